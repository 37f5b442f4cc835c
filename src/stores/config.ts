import { ConfigError } from '../errors/index.js';

/** Validation of store URLs and options shared by the backends; messages never echo a password. */

/** `value` with anything between `//` and `@` (user:password) and any query string (which may carry one) hidden. */
export function redactUrl(value: string): string {
  return value.replace(/\/\/[^/?#]*@/, '//***@').replace(/\?.*$/, '?***');
}

/** Parses `value` as a URL; `label` names it in the ConfigError otherwise (e.g. `Redis store URL`). */
export function parseUrl(value: string, label: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ConfigError(`${label} ${JSON.stringify(redactUrl(value))} is not a valid URL`);
  }
}

/** `value` if it is a positive finite number, else a ConfigError `<what> must be a positive number<unit>, got ...`. */
export function positiveOption(what: string, value: number, unit = ''): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${what} must be a positive number${unit}, got ${String(value)}`);
  }
  return value;
}
