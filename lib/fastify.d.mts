// Types of napi-session/fastify for `import` (see lib/fastify.d.ts).
import napiSession from './fastify.js';

export type NapiSessionOptions = napiSession.NapiSessionOptions;
export { napiSession };
export default napiSession;
