// `napi-session/fastify` for `import`: the same plugin as the CommonJS module (lib/fastify.js),
// loaded with Node's own require so that bundlers' dev servers need no CommonJS interop.
import { createRequire } from 'node:module';

const napiSession = createRequire(import.meta.url)('./fastify.js');

export { napiSession };
export default napiSession;
