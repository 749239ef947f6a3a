// The codec tests' value helpers, in one import: seeded randomness (random.mjs), random value
// graphs (generate.mjs), identity-aware comparison (compare.mjs), readable failures (debug.mjs).
export * from './random.mjs';
export * from './generate.mjs';
export * from './compare.mjs';
export * from './debug.mjs';
