import type { CredentialState } from '../core/token-service.js';

/**
 * Since when WeChat has looked unreachable, judged from the credentials' shared records: the newest transport
 * failure (`upstream_unavailable`) is newer than the newest success. `previous` carries the start of a streak across
 * observations, because each credential's record keeps only its latest failure. Pure.
 */
export function upstreamFailingSince(previous: number | null, credentials: readonly CredentialState[]): number | null {
  let lastSuccess = -Infinity;
  let firstFailure = Infinity;
  let lastFailure = -Infinity;
  for (const c of credentials) {
    if (c.lastRefreshAt !== null && c.lastRefreshAt > lastSuccess) lastSuccess = c.lastRefreshAt;
  }
  for (const c of credentials) {
    const err = c.lastError;
    if (err === null || err.code !== 'upstream_unavailable' || err.at <= lastSuccess) continue;
    if (err.at < firstFailure) firstFailure = err.at;
    if (err.at > lastFailure) lastFailure = err.at;
  }
  if (lastFailure === -Infinity) return null;
  // A streak already running keeps its start; a new one starts at the oldest failure still on record.
  return previous !== null && previous > lastSuccess ? Math.min(previous, firstFailure) : firstFailure;
}
