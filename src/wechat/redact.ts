/** What replaces a secret wherever one would otherwise be shown. */
export const REDACTED = '[redacted]';

/** Removes every occurrence of each secret (and its URL-encoded form) from `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    out = out.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(REDACTED);
  }
  return out;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]*/gi;
const SECRET_PARAM = /\b(secret|corpsecret|appsecret|access_token|ticket)=[^&\s"'<>`]*/gi;

/**
 * Makes a foreign error message safe to show: URLs lose their query and credentials (where WeChat's secrets
 * travel), `secret=`-style pairs lose their values, and the known secrets are removed wherever they appear.
 */
export function scrubText(text: string, secrets: readonly string[]): string {
  const withoutUrls = text.replace(URL_IN_TEXT, (match) => {
    try {
      const url = new URL(match);
      return `${url.protocol}//${url.host}${url.pathname}`;
    } catch {
      return '[url]';
    }
  });
  return redact(withoutUrls.replace(SECRET_PARAM, `$1=${REDACTED}`), secrets);
}

/** How deep a cause chain is copied; undici nests two levels, more is noise. */
const MAX_CAUSE_DEPTH = 4;

/**
 * A copy of an error thrown by fetch (and its cause chain) that is safe to keep as a `cause`: scrubbed messages,
 * the `code`/`errno`/`syscall` that say what went wrong, and nothing else (no request objects, no URL).
 */
export function sanitizeError(err: unknown, secrets: readonly string[], depth = 0): Error {
  const source = err instanceof Error ? err : undefined;
  const message = scrubText(source ? source.message : describeThrown(err), secrets);
  const cause = source?.cause !== undefined && depth < MAX_CAUSE_DEPTH ? sanitizeError(source.cause, secrets, depth + 1) : undefined;
  const copy = cause === undefined ? new Error(message) : new Error(message, { cause });
  copy.name = source ? scrubText(source.name, secrets) : 'Error';
  // The original stack's first line repeats the unsafe message; the copy's own stack points here, which is enough.
  copy.stack = `${copy.name}: ${message}`;
  const fields = source as { code?: unknown; errno?: unknown; syscall?: unknown } | undefined;
  const extra = copy as Error & { code?: string; errno?: number; syscall?: string };
  if (typeof fields?.code === 'string') extra.code = scrubText(fields.code, secrets);
  if (typeof fields?.errno === 'number') extra.errno = fields.errno;
  if (typeof fields?.syscall === 'string') extra.syscall = scrubText(fields.syscall, secrets);
  return copy;
}

/** The first `code` (ECONNRESET, UND_ERR_SOCKET...) along an error's cause chain. */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return `non-Error value thrown (${value === null ? 'null' : typeof value})`;
}
