import type { Command } from 'commander';
import { pino } from 'pino';
import { createServer } from '../../server/index.js';
import type { CliContext } from '../context.js';
import { openHub, parseListen, resolveStoreUrl, resolveUpstream } from '../runtime.js';
import { storeOption, upstreamOption } from './shared-options.js';

/** Default bind address: loopback only, so a fresh install never exposes secrets' tokens to the network. */
export const DEFAULT_LISTEN = '127.0.0.1:8080';

/** Registers `wxtoken serve`: the hub's HTTP API until SIGINT/SIGTERM. */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the hub: obtain, store and refresh tokens, and serve them over HTTP')
    .option('--listen <host:port>', `address to listen on [env: WXTOKEN_LISTEN, default: ${DEFAULT_LISTEN}]`)
    .addOption(storeOption())
    .addOption(upstreamOption())
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent [env: WXTOKEN_LOG_LEVEL]', undefined)
    .addHelpText(
      'after',
      '\nThe admin API (/v1/apps, /v1/keys) is enabled when WXTOKEN_ADMIN_KEY is set; secrets are encrypted with\nWXTOKEN_MASTER_KEY (or a key file created beside the SQLite database).',
    )
    .action(async (opts: { listen?: string; store?: string; upstream?: string; logLevel?: string }) => {
      await serve(ctx, opts);
    });
}

/** Runs the hub until ctx.shutdownSignal aborts, then drains requests and closes the store. */
export async function serve(
  ctx: CliContext,
  opts: { listen?: string; store?: string; upstream?: string; logLevel?: string },
  onListening?: (url: string) => void,
): Promise<void> {
  const listen = parseListen(opts.listen ?? ctx.env['WXTOKEN_LISTEN'] ?? DEFAULT_LISTEN);
  const storeUrl = resolveStoreUrl(opts.store, ctx.env);
  const upstream = resolveUpstream(opts.upstream, ctx.env);
  const logger = pino({ level: opts.logLevel ?? ctx.env['WXTOKEN_LOG_LEVEL'] ?? 'info' }, ctx.stderr);
  const runtime = await openHub(ctx, { storeUrl, upstream, logger, background: true });
  const adminKey = ctx.env['WXTOKEN_ADMIN_KEY'] || undefined;
  const app = createServer({ service: runtime.hub, events: runtime.hub.events, upstreamBaseUrl: upstream, ...(adminKey !== undefined && { adminKey }) });
  try {
    const address = await app.listen({ host: listen.host, port: listen.port });
    ctx.stdout.write(`wxtoken hub listening on ${address} (store ${runtime.store.description}, upstream ${upstream})\n`);
    if (!adminKey) ctx.stdout.write('admin API disabled: set WXTOKEN_ADMIN_KEY to enable /v1/apps and /v1/keys\n');
    onListening?.(address);
    await new Promise<void>((resolve) => {
      if (ctx.shutdownSignal.aborted) return resolve();
      ctx.shutdownSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info({}, 'shutting down: draining requests');
  } finally {
    // Stop accepting, let in-flight requests finish, then stop refreshing and close the store.
    await app.close();
    await runtime.close();
  }
}
