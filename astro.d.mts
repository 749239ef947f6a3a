import type { DriverOptions } from './index.js';

export interface AstroDriverConfig {
  /** "fs" (default), "memory" or "redis", or `{ name, ...options }`. */
  driver?: DriverOptions['name'] | DriverOptions;
  /** Seconds a session lives after its last write. Default 24 hours. */
  ttl?: number;
  /** The driver's own options (base, url, …) may also be given here. */
  [option: string]: unknown;
}

export interface AstroSessionDriver {
  name: string;
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** Astro's session driver factory: `session.driver = { entrypoint: 'napi-session/astro', config }`. */
export default function napiSessionDriver(config?: AstroDriverConfig): AstroSessionDriver;
