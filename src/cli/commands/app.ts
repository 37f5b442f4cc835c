import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../context.js';
import { withHub } from '../runtime.js';

// Commands that only read or change what is there never create a store (issue 13, finding 9).
const EXISTING = { existingStore: true };
import { parseGrant, storeOption } from './shared-options.js';
import { formatTable, formatTime } from './format.js';
import type { Grant } from '../../stores/store.js';
import type { Readable } from 'node:stream';

/** Registers `wxtoken app add|list|remove`. */
export function registerApp(program: Command, ctx: CliContext): void {
  const app = program.command('app').description('manage the WeChat apps whose tokens the hub keeps');

  app
    .command('add')
    .description('add an app, or change its secret or grant (the secret is never taken as a plain argument)')
    .argument('<appid>', 'the AppID, "wx" followed by 16 hex digits')
    .option('--secret-stdin', 'read the AppSecret from standard input')
    .option('--secret-env <var>', 'read the AppSecret from this environment variable')
    .option('--grant <grant>', 'stable (POST /cgi-bin/stable_token, default) or classic (GET /cgi-bin/token)', parseGrant, 'stable' as Grant)
    .addOption(storeOption())
    .action(async (appid: string, opts: { secretStdin?: boolean; secretEnv?: string; grant: Grant; store?: string }) => {
      if (Boolean(opts.secretStdin) === Boolean(opts.secretEnv)) throw new UsageError('give exactly one of --secret-stdin or --secret-env VAR');
      const secret = opts.secretStdin ? await readSecret(ctx.stdin) : ctx.env[opts.secretEnv!];
      if (!secret) throw new UsageError(opts.secretStdin ? 'no secret on standard input' : `environment variable ${opts.secretEnv} is empty or unset`);
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const { created } = await runtime.hub.putApp(appid, { secret, grant: opts.grant });
        ctx.stdout.write(`${created ? 'added' : 'updated'} app ${appid} (grant ${opts.grant})\n`);
      });
    });

  app
    .command('list')
    .description('list apps with their token state (no secrets, no tokens)')
    .option('--json', 'print JSON instead of a table')
    .addOption(storeOption())
    .action(async (opts: { json?: boolean; store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const apps = await runtime.hub.listApps();
        if (opts.json) {
          ctx.stdout.write(`${JSON.stringify(apps, null, 2)}\n`);
          return;
        }
        if (apps.length === 0) {
          ctx.stdout.write('no apps yet: add one with `wxtoken app add APPID --secret-stdin`\n');
          return;
        }
        const rows = apps.map((a) => [a.appid, a.grant, a.state, formatTime(a.tokenExpiresAt), formatTime(a.lastRefreshAt), a.lastError ? `${a.lastError.code}${a.lastError.errcode !== undefined ? ` (${a.lastError.errcode})` : ''}` : '']);
        ctx.stdout.write(formatTable(['APPID', 'GRANT', 'STATE', 'TOKEN EXPIRES', 'LAST REFRESH', 'LAST ERROR'], rows));
      }, EXISTING);
    });

  app
    .command('remove')
    .description('remove an app and its stored token')
    .argument('<appid>', 'the AppID')
    .addOption(storeOption())
    .action(async (appid: string, opts: { store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        if (!(await runtime.hub.removeApp(appid))) throw new Error(`app ${appid} is not registered`);
        ctx.stdout.write(`removed app ${appid}\n`);
      }, EXISTING);
    });
}

/** Reads a secret from a pipe: everything up to EOF, without the trailing newline. */
export async function readSecret(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
