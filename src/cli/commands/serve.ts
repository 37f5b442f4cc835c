import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { Alerter, QuotaPoller, type VerifyTicketReading } from '../../alerts/index.js';
import { getApiQuota } from '../../wechat/index.js';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import {
  createServer,
  DEFAULT_AUTH_FAILURE_LIMIT,
  DEFAULT_AUTH_FAILURE_WINDOW_MS,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES,
  DEFAULT_REPLAY_BODY_LIMIT_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TOKEN_CHECK_INTERVAL_MS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
} from '../../server/index.js';
import { untilAborted, type CliContext } from '../context.js';
import { chooseLogFormat, logDestination, LOG_FORMATS } from '../log-destination.js';
import { openHub } from '../runtime.js';
import { DEFAULT_LISTEN, resolveServeConfig, type ServeOptions } from './serve-config.js';
import { storeOption, upstreamOption, wecomUpstreamOption } from './shared-options.js';

export { DEFAULT_LISTEN, type ServeOptions } from './serve-config.js';

/** Registers `wxtoken serve`: the hub's HTTP API until SIGINT/SIGTERM. */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the hub: obtain, store and refresh tokens, and serve them over HTTP')
    .option('--listen <host:port>', `address to listen on [env: WXTOKEN_LISTEN, default: ${DEFAULT_LISTEN}]`)
    .addOption(storeOption())
    .addOption(upstreamOption())
    .addOption(wecomUpstreamOption())
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent [env: WXTOKEN_LOG_LEVEL]', undefined)
    .addOption(new Option('--log-format <format>', 'json (one object a line) or pretty (for people) [env: WXTOKEN_LOG_FORMAT; default: pretty on a terminal, else json]').choices(LOG_FORMATS))
    .option('--refresh-lead <seconds>', 'refresh a 7200 s token this long before expiry (must stay under WeChat\'s 300 s overlap)', parseSeconds)
    .option('--serve-margin <seconds>', 'stop handing out a token this long before expiry', parseSeconds)
    .option('--lease-ttl <seconds>', 'refresh lease lifetime, renewed while its holder works: bounds how long a dead holder stalls a refresh (default 3)', parseSeconds)
    .option('--invalidation-floor <seconds>', 'minimum age of a token before a second report-driven refresh in a row, doubling after each (default 60, 0: off)', parseNonNegativeSeconds)
    .option('--reference-lifetime <seconds>', 'lifetime the lead and margin are meant for; shorter tokens get proportionally less', parseSeconds)
    .option('--request-timeout <seconds>', `close a request whose headers and body have not all arrived by then [default: ${DEFAULT_REQUEST_TIMEOUT_MS / 1000}]`, parseSeconds)
    .option('--headers-timeout <seconds>', `close a request whose headers have not all arrived by then [default: ${DEFAULT_HEADERS_TIMEOUT_MS / 1000}]`, parseSeconds)
    .option('--keep-alive-timeout <seconds>', `close a keep-alive connection idle this long between requests [default: ${DEFAULT_KEEP_ALIVE_TIMEOUT_MS / 1000}]`, parseSeconds)
    .option('--idle-timeout <seconds>', `close a connection with no traffic either way for this long [default: ${DEFAULT_CONNECTION_TIMEOUT_MS / 1000}]`, parseSeconds)
    .option('--max-connections <n>', `refuse connections beyond this many open ones [default: ${DEFAULT_MAX_CONNECTIONS}]`, parseCount)
    .option('--auth-failure-limit <n>', `failed authentications from one address per window before it gets 429; 0 disables [default: ${DEFAULT_AUTH_FAILURE_LIMIT}]`, parseCountOrZero)
    .option('--auth-failure-window <seconds>', `the window of --auth-failure-limit, and how long a block lasts [default: ${DEFAULT_AUTH_FAILURE_WINDOW_MS / 1000}]`, parseSeconds)
    .option('--upstream-timeout <seconds>', `wait this long for WeChat's answer to a forwarded call, and at most this long between its body chunks [default: ${DEFAULT_UPSTREAM_TIMEOUT_MS / 1000}]`, parseSeconds)
    .option('--passthrough-body-limit <bytes>', `largest body the passthrough and the proxy forward (streamed) [default: ${DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES}]`, parseCount)
    .option('--replay-body-limit <bytes>', `bodies up to this size are held so a call WeChat rejects for its token can be replayed [default: ${DEFAULT_REPLAY_BODY_LIMIT_BYTES}]`, parseCountOrZero)
    .option('--token-check-interval <seconds>', `at most one verification call per app this often when an SDK comes back early for a token; 0 disables [default: ${DEFAULT_TOKEN_CHECK_INTERVAL_MS / 1000}]`, parseNonNegativeSeconds)
    .option('--metrics-key <source>', 'require a bearer key for /metrics: "admin" (the admin key) or "env:VAR" [env: WXTOKEN_METRICS_KEY; default: open]')
    .option('--allow-caller-secret', "forward a caller's own AppSecret on the secret-bearing paths (jscode2session, web OAuth, clear_quota/v2) instead of refusing it with 40125 [env: WXTOKEN_ALLOW_CALLER_SECRET=1; default: refuse]")
    .option(
      '--alert-webhook <url>',
      'send alerts to this webhook (repeatable): a plain http(s) URL gets generic JSON, wecom+https://… a WeCom group robot message, slack+https://… a Slack-compatible one [env: WXTOKEN_ALERT_WEBHOOKS, comma-separated]',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--alert-quota-threshold <percent>', 'alert when a quota the hub counts is used above this [default: 80]', parsePercent)
    .option('--alert-upstream-after <minutes>', 'alert when WeChat has been unreachable this long [default: 5]', parseMinutes)
    .option('--alert-interval <seconds>', 'how often alert conditions are judged [default: 10]', parseSeconds)
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate chain (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .addHelpText(
      'after',
      '\nThe admin API (/v1/apps, /v1/keys) and the dashboard (/dashboard, sign-in with the admin key) are enabled when\nWXTOKEN_ADMIN_KEY is set to a random key of at least 128 bits (`openssl rand -hex 32`); secrets are encrypted with WXTOKEN_MASTER_KEY (or a key file created beside\nthe SQLite database). Every option is checked before anything is opened.',
    )
    .action(async (opts: ServeOptions) => {
      await serve(ctx, opts);
    });
}

function parseNonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds, 0 or more');
  return n;
}

function parseMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of minutes');
  return n;
}

function parsePercent(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 100) throw new InvalidArgumentError('expected a percentage above 0, at most 100');
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function parseCountOrZero(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number (0 disables)');
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** Runs the hub until ctx.shutdownSignal aborts, then drains requests and closes the store. */
export async function serve(
  ctx: CliContext,
  opts: ServeOptions,
  onListening?: (url: string) => void,
): Promise<void> {
  // Every option is checked before the store is opened or a refresh armed.
  const config = resolveServeConfig(ctx.env, opts);
  const destination = logDestination(chooseLogFormat(config.logFormat, ctx.stderr), ctx.stderr);
  const logger = pino({ level: config.logLevel }, destination);
  const runtime = await openHub(ctx, { storeUrl: config.storeUrl, upstream: config.upstream, wecomUpstream: config.wecomUpstream, logger, background: true, tuning: config.tuning });
  // WeChat's own daily count of each app's token endpoint; read by the fleet's alert sender only (alerter.ts).
  const quotaPoller = new QuotaPoller({
    targets: async () => (await runtime.hub.listApps()).map((a) => ({ appid: a.appid, cgiPath: a.grant === 'stable' ? '/cgi-bin/stable_token' : '/cgi-bin/token' })),
    fetchQuota: async (appid, cgiPath) => getApiQuota({ baseUrl: config.upstream, clock: runtime.clock, accessToken: (await runtime.hub.getAccessToken(appid)).token, cgiPath }),
    clock: runtime.clock,
    logger,
  });
  let app: FastifyInstance;
  try {
    // The server logs internal errors, 5xx answers and failed passthrough calls, never a query, body or key.
    app = createServer({
      ...config.server,
      service: runtime.hub,
      events: runtime.hub.events,
      ops: runtime.ops,
      credentials: () => runtime.hub.listCredentials(),
      quota: () => [...runtime.hub.quotaUsage(), ...quotaPoller.readings()],
      clock: runtime.clock,
      logger: { level: config.logLevel, stream: destination },
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  // The Open Platform components' verify tickets, read by the sender before it judges (the readings are sync).
  let verifyTickets: VerifyTicketReading[] = [];
  const readVerifyTickets = async (): Promise<void> => {
    verifyTickets = (await runtime.hub.open.listComponents()).map((c) => ({
      componentAppid: c.componentAppid,
      receivedAt: 'receivedAt' in c.verifyTicket ? c.verifyTicket.receivedAt : null,
    }));
  };
  const alerter =
    config.alerts.targets.length === 0
      ? undefined
      : new Alerter({
          source: {
            listCredentials: () => runtime.hub.listCredentials(),
            quotaUsage: () => [...runtime.hub.quotaUsage(), ...quotaPoller.readings()],
            verifyTickets: () => verifyTickets,
            beforeRound: async () => {
              await Promise.all([quotaPoller.poll(), readVerifyTickets()]);
            },
          },
          store: runtime.store,
          targets: config.alerts.targets,
          instanceId: randomUUID(),
          // Host and pid: several instances may share a host, and the operator wants to know which one spoke.
          hubName: `${hostname()} (pid ${process.pid})`,
          clock: runtime.clock,
          logger,
          intervalMs: config.alerts.intervalMs,
          thresholds: { quotaThreshold: config.alerts.quotaThreshold, upstreamUnreachableMs: config.alerts.upstreamUnreachableMs },
        });
  try {
    const address = await app.listen({ host: config.listen.host, port: config.listen.port });
    ctx.stdout.write(`wxtoken hub listening on ${address} (store ${runtime.store.description}, upstream ${config.upstream})\n`);
    if (config.server.adminKey === undefined) ctx.stdout.write('admin API disabled: set WXTOKEN_ADMIN_KEY to enable /v1/apps and /v1/keys\n');
    if (alerter) {
      alerter.start();
      ctx.stdout.write(`alerts to ${config.alerts.targets.map((t) => t.label).join(', ')}\n`);
    }
    onListening?.(address);
    await untilAborted(ctx.shutdownSignal);
    logger.info({}, 'shutting down: draining requests');
  } finally {
    // Stop accepting, let in-flight requests finish, then stop refreshing and close the store.
    await app.close();
    await alerter?.stop();
    await runtime.close();
  }
}
