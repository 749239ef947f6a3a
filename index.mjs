// ES module entry point: the same objects as the CommonJS one (index.js).
import napiSession from './index.js';

export const { createSessions, stringify, parse, SessionError } = napiSession;
export default napiSession;
