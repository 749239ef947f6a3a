// `napi-session/hono` for `import`: the same middleware as the CommonJS module (lib/hono.js),
// loaded with Node's own require so that Vite's dev server (@hono/vite-dev-server) needs no
// CommonJS interop.
import { createRequire } from 'node:module';

const session = createRequire(import.meta.url)('./hono.js');

export { session };
export default session;
