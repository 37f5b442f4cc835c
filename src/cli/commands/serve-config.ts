import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { DEFAULT_REFRESH_LEAD_MS, DEFAULT_SERVE_MARGIN_MS } from '../../core/engine/credential-engine.js';
import { MASTER_KEY_ENV, parseKey } from '../../core/master-key.js';
import { DEFAULT_ALERT_INTERVAL_MS, DEFAULT_QUOTA_THRESHOLD, DEFAULT_UPSTREAM_UNREACHABLE_MS, parseWebhookList, parseWebhookTarget, type WebhookTarget } from '../../alerts/index.js';
import { WxTokenError } from '../../errors/index.js';
import { LOG_FORMATS, type LogFormat } from '../log-destination.js';
import { resolveServerSettings, type ServerOptions } from '../../server/index.js';
import { parseStoreUrl } from '../../stores/open-store.js';
import { UsageError } from '../context.js';
import { parseListen, resolveStoreUrl, resolveUpstream, resolveWecomUpstream } from '../runtime.js';

/** Default bind address: loopback only, so a fresh install never exposes secrets' tokens to the network. */
export const DEFAULT_LISTEN = '127.0.0.1:8080';

/** The levels `--log-level` / WXTOKEN_LOG_LEVEL accept (pino's, plus silent). */
export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Flags of `wxtoken serve`. */
export interface ServeOptions {
  listen?: string;
  store?: string;
  upstream?: string;
  wecomUpstream?: string;
  logLevel?: string;
  refreshLead?: number;
  serveMargin?: number;
  leaseTtl?: number;
  referenceLifetime?: number;
  invalidationFloor?: number;
  requestTimeout?: number;
  headersTimeout?: number;
  keepAliveTimeout?: number;
  idleTimeout?: number;
  maxConnections?: number;
  authFailureLimit?: number;
  authFailureWindow?: number;
  upstreamTimeout?: number;
  passthroughBodyLimit?: number;
  replayBodyLimit?: number;
  tokenCheckInterval?: number;
  metricsKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowCallerSecret?: boolean;
  logFormat?: string;
  /** Repeatable `--alert-webhook`. */
  alertWebhook?: string[];
  /** Seconds between alert rounds. */
  alertInterval?: number;
  /** Minutes WeChat must stay unreachable before an alert. */
  alertUpstreamAfter?: number;
  /** Percent of a quota above which an alert fires. */
  alertQuotaThreshold?: number;
}

/** The environment variable listing alert webhooks, comma-separated, when no `--alert-webhook` is given. */
export const ALERT_WEBHOOKS_ENV = 'WXTOKEN_ALERT_WEBHOOKS';

/** Alerting as configured; `targets` empty: alerting off. */
export interface AlertConfig {
  readonly targets: readonly WebhookTarget[];
  readonly intervalMs: number;
  readonly upstreamUnreachableMs: number;
  readonly quotaThreshold: number;
}

/** Everything `serve` needs, validated; the server settings lack only what the opened hub provides. */
export interface ServeConfig {
  readonly listen: { host: string; port: number };
  readonly storeUrl: string;
  readonly upstream: string;
  readonly wecomUpstream: string;
  readonly logLevel: string;
  /** Undefined: pretty on a terminal, JSON otherwise (log-destination.ts). */
  readonly logFormat: LogFormat | undefined;
  readonly alerts: AlertConfig;
  readonly tuning: { refreshLeadMs?: number; serveMarginMs?: number; leaseTtlMs?: number; referenceLifetimeMs?: number; invalidationFloorMs?: number };
  readonly server: Omit<ServerOptions, 'service' | 'events' | 'clock' | 'logger'>;
}

/**
 * Validates every flag and environment variable of `serve` before anything is opened or armed: a bad value ends
 * the command (UsageError, exit 2) with nothing created, no store opened and no refresh scheduled. Messages name
 * the option and never a key.
 */
export function resolveServeConfig(env: NodeJS.ProcessEnv, opts: ServeOptions): ServeConfig {
  const listen = parseListen(opts.listen ?? env['WXTOKEN_LISTEN'] ?? DEFAULT_LISTEN);
  const storeUrl = resolveStoreUrl(opts.store, env);
  const upstream = resolveUpstream(opts.upstream, env);
  const wecomUpstream = resolveWecomUpstream(opts.wecomUpstream, env);
  const logLevel = opts.logLevel ?? env['WXTOKEN_LOG_LEVEL'] ?? 'info';
  const ms = (v: number | undefined): number | undefined => (v === undefined ? undefined : Math.round(v * 1000));
  const tuning = defined({
    refreshLeadMs: ms(opts.refreshLead),
    serveMarginMs: ms(opts.serveMargin),
    leaseTtlMs: ms(opts.leaseTtl),
    referenceLifetimeMs: ms(opts.referenceLifetime),
    invalidationFloorMs: ms(opts.invalidationFloor),
  });
  const adminKey = env['WXTOKEN_ADMIN_KEY'] || undefined;
  const metricsKey = resolveMetricsKey(env, opts.metricsKey, adminKey);
  const tls = readTls(opts.tlsCert, opts.tlsKey);
  const server = defined({
    metricsKey,
    tls,
    upstreamBaseUrl: upstream,
    wecomUpstreamBaseUrl: wecomUpstream,
    adminKey,
    requestTimeoutMs: ms(opts.requestTimeout),
    headersTimeoutMs: ms(opts.headersTimeout),
    keepAliveTimeoutMs: ms(opts.keepAliveTimeout),
    connectionTimeoutMs: ms(opts.idleTimeout),
    maxConnections: opts.maxConnections,
    authFailureLimit: opts.authFailureLimit,
    authFailureWindowMs: ms(opts.authFailureWindow),
    allowCallerSecret: opts.allowCallerSecret === true || parseFlagEnv(env, ALLOW_CALLER_SECRET_ENV) ? true : undefined,
    upstreamTimeoutMs: ms(opts.upstreamTimeout),
    passthroughBodyLimitBytes: opts.passthroughBodyLimit,
    replayBodyLimitBytes: opts.replayBodyLimit,
    tokenCheckIntervalMs: ms(opts.tokenCheckInterval),
  });
  asUsage(() => {
    parseStoreUrl(storeUrl);
    const masterKey = env[MASTER_KEY_ENV]?.trim();
    if (masterKey) parseKey(masterKey, MASTER_KEY_ENV);
    resolveServerSettings(server);
  }, (message) =>
    message
      .replace(/^createServer: option "adminKey"/, 'WXTOKEN_ADMIN_KEY')
      .replace(/^createServer: option "metricsKey"/, opts.metricsKey?.startsWith('env:') ? opts.metricsKey.slice(4) : METRICS_KEY_ENV),
  );
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new UsageError(`invalid log level ${JSON.stringify(logLevel)} (--log-level / WXTOKEN_LOG_LEVEL): expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const logFormat = opts.logFormat ?? (env['WXTOKEN_LOG_FORMAT'] || undefined);
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new UsageError(`invalid log format ${JSON.stringify(logFormat)} (--log-format / WXTOKEN_LOG_FORMAT): expected one of ${LOG_FORMATS.join(', ')}`);
  }
  const alerts = resolveAlerts(env, opts);
  const lead = tuning.refreshLeadMs ?? DEFAULT_REFRESH_LEAD_MS;
  const margin = tuning.serveMarginMs ?? DEFAULT_SERVE_MARGIN_MS;
  if (margin >= lead) throw new UsageError(`--serve-margin (${margin / 1000} s) must be smaller than --refresh-lead (${lead / 1000} s)`);
  return { listen, storeUrl, upstream, wecomUpstream, logLevel, logFormat: logFormat as LogFormat | undefined, alerts, tuning, server };
}

/** Set to 1 (or true) to forward callers' own AppSecrets on the secret-bearing paths, as --allow-caller-secret. */
export const ALLOW_CALLER_SECRET_ENV = 'WXTOKEN_ALLOW_CALLER_SECRET';

/** A boolean environment variable: unset or empty is false, 1/true true, anything else a UsageError naming it. */
function parseFlagEnv(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new UsageError(`${name} must be 1, true, 0 or false, got ${JSON.stringify(env[name])}`);
}

/**
 * The alert webhooks (`--alert-webhook`, repeatable, else WXTOKEN_ALERT_WEBHOOKS comma-separated) and thresholds.
 * A malformed webhook is a usage error naming only its scheme and host (a robot URL carries its key).
 */
export function resolveAlerts(env: NodeJS.ProcessEnv, opts: ServeOptions): AlertConfig {
  let targets: WebhookTarget[] = [];
  asUsage(() => {
    targets = opts.alertWebhook && opts.alertWebhook.length > 0 ? opts.alertWebhook.map(parseWebhookTarget) : parseWebhookList(env[ALERT_WEBHOOKS_ENV] ?? '');
  }, (message) => message);
  const threshold = opts.alertQuotaThreshold;
  if (threshold !== undefined && !(threshold > 0 && threshold <= 100)) {
    throw new UsageError(`--alert-quota-threshold must be a percentage in (0, 100], got ${threshold}`);
  }
  return {
    targets,
    intervalMs: opts.alertInterval === undefined ? DEFAULT_ALERT_INTERVAL_MS : Math.round(opts.alertInterval * 1000),
    upstreamUnreachableMs: opts.alertUpstreamAfter === undefined ? DEFAULT_UPSTREAM_UNREACHABLE_MS : Math.round(opts.alertUpstreamAfter * 60_000),
    quotaThreshold: threshold === undefined ? DEFAULT_QUOTA_THRESHOLD : threshold / 100,
  };
}

/** The environment variable holding the key GET /metrics requires, when `--metrics-key` does not say otherwise. */
export const METRICS_KEY_ENV = 'WXTOKEN_METRICS_KEY';

/**
 * The key /metrics requires: `--metrics-key admin` (the admin key), `--metrics-key env:VAR` (the key in VAR), else
 * WXTOKEN_METRICS_KEY, else none (open). A key itself is never accepted as an argument: it would show in `ps`.
 */
export function resolveMetricsKey(env: NodeJS.ProcessEnv, flag: string | undefined, adminKey: string | undefined): string | undefined {
  if (flag === undefined) return env[METRICS_KEY_ENV] || undefined;
  if (flag === 'admin') {
    if (adminKey === undefined) throw new UsageError('--metrics-key admin needs WXTOKEN_ADMIN_KEY to be set');
    return adminKey;
  }
  if (flag.startsWith('env:') && flag.length > 4) {
    const value = env[flag.slice(4)];
    if (!value) throw new UsageError(`--metrics-key ${flag}: environment variable ${flag.slice(4)} is empty or unset`);
    return value;
  }
  throw new UsageError('--metrics-key takes "admin" or "env:VAR" (a key is never taken as a plain argument: it would show in the process list)');
}

/** The PEM files of `--tls-cert` and `--tls-key`, read and checked to form a usable pair; both or neither. */
export function readTls(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`cannot read ${flag} ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const pair = { cert: read('--tls-cert', certFile), key: read('--tls-key', keyFile) };
  try {
    createSecureContext(pair);
  } catch (err) {
    // OpenSSL's reason (e.g. "key values mismatch") names no key material.
    throw new UsageError(`--tls-cert ${certFile} and --tls-key ${keyFile} are not a usable certificate and key (${(err as Error).message})`);
  }
  return pair;
}

/** Runs `check`, turning a configuration error into a usage error (exit 2) with its message rewritten by `word`. */
function asUsage(check: () => void, word: (message: string) => string): void {
  try {
    check();
  } catch (err) {
    if (err instanceof WxTokenError) throw new UsageError(word(err.message));
    throw err;
  }
}

/** `values` without its undefined entries (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
