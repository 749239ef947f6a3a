// `napi-session/express` for `import`: the same function as the CommonJS module (lib/express.js),
// loaded with Node's own require so that bundlers' dev servers (Vite's module runner) need no
// CommonJS interop.
import { createRequire } from 'node:module';

const session = createRequire(import.meta.url)('./express.js');

export { session };
export default session;
