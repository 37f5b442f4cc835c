import { InvalidArgumentError } from 'commander';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses a duration such as `90d`, `12h`, `30m`, `45s` or `2w` into milliseconds (`--expires-in`). */
export function parseDuration(value: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : 0;
  if (!match || ms <= 0) throw new InvalidArgumentError('expected a positive whole number and a unit s, m, h, d or w, e.g. 90d');
  return ms;
}

/** Parses an ISO-8601 time with a date and an explicit zone (`--expires-at 2027-03-01T00:00:00Z`) into epoch ms. */
export function parseInstant(value: string): number {
  // A zone is required: a bare local time would expire keys at a different instant on each host.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value.trim())) {
    throw new InvalidArgumentError('expected an ISO-8601 time with a zone, e.g. 2027-03-01T00:00:00Z');
  }
  const ms = Date.parse(value.trim());
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('not a valid time');
  return ms;
}

/**
 * The absolute expiry of a new key from `--expires-in` (relative to `now`) or `--expires-at`; null when neither.
 * Both at once is a usage error the caller reports.
 */
export function keyExpiry(flags: { expiresIn?: number | undefined; expiresAt?: number | undefined }, now: number): number | null {
  if (flags.expiresIn !== undefined) return now + flags.expiresIn;
  return flags.expiresAt ?? null;
}
