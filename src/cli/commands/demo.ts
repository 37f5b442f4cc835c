import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { createServer } from '../../server/index.js';
import { SignInLinks } from '../../server/dashboard/sign-in-links.js';
import { createSimulator } from '../../simulator/index.js';
import { untilAborted, type CliContext } from '../context.js';
import { chooseLogFormat, logDestination } from '../log-destination.js';
import { openHub, parseListen } from '../runtime.js';
import { DEFAULT_LISTEN } from './serve.js';

/** The demo's two apps: one per grant, with secrets that exist only in the built-in simulator. */
export const DEMO_APPS = [
  { appid: 'wx00000000000000d1', secret: 'demo-secret-stable-0001', grant: 'stable' },
  { appid: 'wx00000000000000d2', secret: 'demo-secret-classic-002', grant: 'classic' },
] as const;

/** Registers `wxtoken demo`: the hub and the WeChat simulator, wired together, with demo apps and a key. */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('run the hub against the built-in WeChat simulator, with two demo apps and a demo key (no real credentials needed)')
    .option('--listen <host:port>', 'hub address', DEFAULT_LISTEN)
    .option('--store <url>', 'store URL (default: a fresh SQLite file in a temporary directory, removed on exit)')
    .option('--token-ttl <seconds>', 'simulated token lifetime, to watch refreshes happen (default: 7200)', parsePositive)
    .action(async (opts: { listen: string; store?: string; tokenTtl?: number }) => {
      await demo(ctx, opts);
    });
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error('expected a positive number of seconds');
  return n;
}

/** Runs the demo until ctx.shutdownSignal aborts; `onReady` receives the URLs and the demo key (for tests). */
export async function demo(
  ctx: CliContext,
  opts: { listen: string; store?: string; tokenTtl?: number },
  onReady?: (info: { hubUrl: string; simulatorUrl: string; clientKey: string; adminKey: string; signInUrl: string }) => void,
): Promise<void> {
  const listen = parseListen(opts.listen);
  const tempDir = opts.store ? undefined : await mkdtemp(join(tmpdir(), 'wxtoken-demo-'));
  const storeUrl = opts.store ?? `sqlite:${join(tempDir!, 'wxtoken.db')}`;
  const simulator = createSimulator({ apps: DEMO_APPS.map(({ appid, secret }) => ({ appid, secret })), ...(opts.tokenTtl !== undefined && { tokenTtlSeconds: opts.tokenTtl }) });
  const closers: (() => Promise<void>)[] = [];
  try {
    const simulatorUrl = await simulator.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => simulator.close());
    // A person watches the demo: readable lines on a terminal, JSON when its output is captured.
    const format = ctx.env['WXTOKEN_LOG_FORMAT'] === 'json' || ctx.env['WXTOKEN_LOG_FORMAT'] === 'pretty' ? ctx.env['WXTOKEN_LOG_FORMAT'] : undefined;
    const logger = pino({ level: ctx.env['WXTOKEN_LOG_LEVEL'] ?? 'info' }, logDestination(chooseLogFormat(format, ctx.stderr), ctx.stderr));
    const runtime = await openHub(ctx, { storeUrl, upstream: simulatorUrl, logger, background: true });
    closers.unshift(() => runtime.close());
    for (const app of DEMO_APPS) await runtime.hub.putApp(app.appid, { secret: app.secret, grant: app.grant });
    const keyName = `demo-${randomBytes(3).toString('hex')}`;
    const clientKey = await runtime.hub.createClientKey(keyName, DEMO_APPS.map((a) => a.appid));
    const ownAdminKey = ctx.env['WXTOKEN_ADMIN_KEY'] || undefined;
    const adminKey = ownAdminKey ?? `adm_${randomBytes(24).toString('base64url')}`;
    // A one-time link signs the person at the terminal in: the admin key stays out of URLs and browser history.
    const signInLinks = new SignInLinks({ clock: runtime.clock });
    const server = createServer({
      service: runtime.hub,
      events: runtime.hub.events,
      ops: runtime.ops,
      credentials: () => runtime.hub.listCredentials(),
      quota: () => runtime.hub.quotaUsage(),
      clock: runtime.clock,
      adminKey,
      upstreamBaseUrl: simulatorUrl,
      dashboard: { signInLinks },
    });
    const hubUrl = await server.listen({ host: listen.host, port: listen.port });
    closers.unshift(() => server.close());
    const signInUrl = `${hubUrl}/dashboard/sign-in?token=${signInLinks.issue()}`;
    const [stable, classic] = DEMO_APPS;
    ctx.stdout.write(
      [
        'wxtoken demo is running (Ctrl-C to stop)',
        `  hub:        ${hubUrl}`,
        `  simulator:  ${simulatorUrl}  (a stand-in for api.weixin.qq.com)`,
        `  store:      ${runtime.store.description}`,
        `  apps:       ${stable.appid} (stable grant), ${classic.appid} (classic grant)`,
        `  client key: ${clientKey}`,
        // A key from the environment may be a real one: never echo it.
        `  admin key:  ${ownAdminKey ? '(from WXTOKEN_ADMIN_KEY)' : adminKey}`,
        `  dashboard:  ${hubUrl}/dashboard`,
        `  sign in:    ${signInUrl}`,
        '              (opens the dashboard signed in; works once, for 15 minutes; then sign in with the admin key)',
        '',
        'Get a token:',
        `  curl -s -H 'Authorization: Bearer ${clientKey}' ${hubUrl}/v1/apps/${stable.appid}/access-token`,
        'Use the WeChat-compatible endpoint, as an unchanged SDK would:',
        `  curl -s '${hubUrl}/cgi-bin/token?grant_type=client_credential&appid=${classic.appid}&secret=${clientKey}'`,
        'See every app (admin):',
        `  curl -s -H 'Authorization: Bearer ${ownAdminKey ? '$WXTOKEN_ADMIN_KEY' : adminKey}' ${hubUrl}/v1/apps`,
        '',
      ].join('\n'),
    );
    onReady?.({ hubUrl, simulatorUrl, clientKey, adminKey, signInUrl });
    await untilAborted(ctx.shutdownSignal);
  } finally {
    for (const close of closers) await close().catch(() => {});
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}
