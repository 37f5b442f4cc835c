import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withHub } from '../runtime.js';
import { storeOption, upstreamOption } from './shared-options.js';

/** Registers `wxtoken token APPID [--force]`. */
export function registerToken(program: Command, ctx: CliContext): void {
  program
    .command('token')
    .description("print an app's current access token (fetching one only if none valid is stored; shares the hub's lease)")
    .argument('<appid>', 'the AppID')
    .option('--force', 'obtain a new token even if the stored one is valid (stable grant: WeChat force mode, ≤ 20 a day)')
    .option('--json', 'print {"access_token","expires_in","expires_at"} instead of the bare token')
    .addOption(storeOption())
    .addOption(upstreamOption())
    .action(async (appid: string, opts: { force?: boolean; json?: boolean; store?: string; upstream?: string }) => {
      await withHub(ctx, { store: opts.store, upstream: opts.upstream }, async (runtime) => {
        const issued = opts.force ? await runtime.hub.refresh(appid) : await runtime.hub.getAccessToken(appid);
        if (opts.json) {
          const expiresIn = Math.max(0, Math.floor((issued.expiresAt - runtime.clock.now()) / 1000));
          ctx.stdout.write(`${JSON.stringify({ access_token: issued.token, expires_in: expiresIn, expires_at: new Date(issued.expiresAt).toISOString() })}\n`);
        } else {
          ctx.stdout.write(`${issued.token}\n`);
        }
      }, { existingStore: true });
    });
}
