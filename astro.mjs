// `napi-session/astro`: Astro's session driver factory, backed by napi-session's Rust drivers.
import lib from './lib/astro.js';

export default lib.napiSessionDriver;
