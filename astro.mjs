// `napi-session/astro`: Astro's session driver factory, backed by napi-session's Rust drivers.
//
// Loaded through Node's own require rather than an ESM import of the CommonJS module: Astro's dev
// server runs this file in Vite's module runner, where CommonJS interop is not available.
import { createRequire } from 'node:module';

const { napiSessionDriver } = createRequire(import.meta.url)('napi-session/astro');

export default napiSessionDriver;
