import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../context.js';
import { withHub } from '../runtime.js';
import { formatTable, formatTime } from './format.js';
import { storeOption } from './shared-options.js';

// Commands that only read or change what is there never create a store (issue 13, finding 9).
const EXISTING = { existingStore: true };

/** Registers `wxtoken component add|list|remove` and `wxtoken authorizer list`. */
export function registerComponent(program: Command, ctx: CliContext): void {
  const component = program.command('component').description('manage Open Platform (第三方平台) components');

  component
    .command('add')
    .description('add a component, or change its secret, message token or EncodingAESKey (none is taken as a plain argument)')
    .argument('<component_appid>', 'the component AppID, "wx" followed by 16 hex digits')
    .option('--secret-stdin', 'read the component AppSecret from standard input')
    .option('--secret-env <var>', 'read the component AppSecret from this environment variable')
    .requiredOption('--token-env <var>', 'read the message-verification token (消息校验Token) from this environment variable')
    .requiredOption('--aes-key-env <var>', 'read the EncodingAESKey (消息加解密Key, 43 characters) from this environment variable')
    .option('--landing-url <url>', 'where GET /open/{component_appid}/authorized sends the merchant after authorizing')
    .addOption(storeOption())
    .action(
      async (
        appid: string,
        opts: { secretStdin?: boolean; secretEnv?: string; tokenEnv: string; aesKeyEnv: string; landingUrl?: string; store?: string },
      ) => {
        if (Boolean(opts.secretStdin) === Boolean(opts.secretEnv)) throw new UsageError('give exactly one of --secret-stdin or --secret-env VAR');
        const secret = opts.secretStdin ? await readSecret(ctx.stdin) : ctx.env[opts.secretEnv!];
        if (!secret) throw new UsageError(opts.secretStdin ? 'no secret on standard input' : `environment variable ${opts.secretEnv} is empty or unset`);
        const messageToken = ctx.env[opts.tokenEnv];
        if (!messageToken) throw new UsageError(`environment variable ${opts.tokenEnv} is empty or unset`);
        const aesKey = ctx.env[opts.aesKeyEnv];
        if (!aesKey) throw new UsageError(`environment variable ${opts.aesKeyEnv} is empty or unset`);
        await withHub(ctx, { store: opts.store }, async (runtime) => {
          const { created } = await runtime.hub.open.putComponent(appid, { secret, messageToken, aesKey, ...(opts.landingUrl !== undefined && { landingUrl: opts.landingUrl }) });
          ctx.stdout.write(`${created ? 'added' : 'updated'} component ${appid}\n`);
          ctx.stdout.write(`set its 授权事件接收URL to https://<hub>/open/${appid}/events in the Open Platform console\n`);
        });
      },
    );

  component
    .command('list')
    .description("list components with their verify ticket's age, their token state and the last authorization code WeChat refused (no secrets, no tokens)")
    .option('--json', 'print JSON instead of a table')
    .addOption(storeOption())
    .action(async (opts: { json?: boolean; store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const components = await runtime.hub.open.listComponents();
        if (opts.json) {
          ctx.stdout.write(`${JSON.stringify(components, null, 2)}\n`);
          return;
        }
        if (components.length === 0) {
          ctx.stdout.write('no components yet: add one with `wxtoken component add COMPONENT_APPID --secret-stdin --token-env VAR --aes-key-env VAR`\n');
          return;
        }
        const rows = components.map((c) => [
          c.componentAppid,
          c.verifyTicket.health,
          'ageMs' in c.verifyTicket ? `${Math.floor(c.verifyTicket.ageMs / 60_000)} min` : '',
          c.token?.state ?? 'pending',
          formatTime(c.token?.tokenExpiresAt ?? null),
          c.token?.lastError ? `${c.token.lastError.code}${c.token.lastError.errcode !== undefined ? ` (${c.token.lastError.errcode})` : ''}` : '',
          c.lastAuthorizationFailure ? `${c.lastAuthorizationFailure.errcode} ${c.lastAuthorizationFailure.source} ${formatTime(c.lastAuthorizationFailure.at)}` : '',
        ]);
        ctx.stdout.write(formatTable(['COMPONENT', 'TICKET', 'TICKET AGE', 'TOKEN', 'TOKEN EXPIRES', 'LAST ERROR', 'LAST REFUSED CODE'], rows));
      }, EXISTING);
    });

  component
    .command('remove')
    .description('remove a component and its token (its authorizers and their refresh tokens stay)')
    .argument('<component_appid>', 'the component AppID')
    .addOption(storeOption())
    .action(async (appid: string, opts: { store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        if (!(await runtime.hub.open.removeComponent(appid))) throw new Error(`component ${appid} is not registered`);
        ctx.stdout.write(`removed component ${appid}\n`);
      }, EXISTING);
    });

  const authorizer = program.command('authorizer').description('inspect the authorizers (merchants) of Open Platform components');
  authorizer
    .command('list')
    .description('list authorizers with their status and why (no refresh tokens, no tokens)')
    .option('--component <component_appid>', 'only the authorizers of this component')
    .option('--state <status>', 'only authorizers in this status: active, needs_exchange, needs_reauth, unauthorized, frozen')
    .option('--offset <n>', 'skip this many', (v) => Number(v), 0)
    .option('--limit <n>', 'show at most this many (1-1000)', (v) => Number(v), 100)
    .option('--json', 'print JSON instead of a table')
    .addOption(storeOption())
    .action(async (opts: { component?: string; state?: string; offset: number; limit: number; json?: boolean; store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const page = await runtime.hub.open.listAuthorizers({
          ...(opts.component !== undefined && { componentAppid: opts.component }),
          ...(opts.state !== undefined && { status: opts.state }),
          offset: opts.offset,
          limit: opts.limit,
        });
        if (opts.json) {
          ctx.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
          return;
        }
        if (page.total === 0) {
          ctx.stdout.write('no authorizers\n');
          return;
        }
        const rows = page.authorizers.map((a) => [a.componentAppid, a.authorizerAppid, a.status, formatTime(a.statusAt), a.refreshTokenHeld ? 'yes' : 'NO', a.reason]);
        ctx.stdout.write(formatTable(['COMPONENT', 'AUTHORIZER', 'STATUS', 'SINCE', 'REFRESH TOKEN', 'REASON'], rows));
        if (page.total > opts.offset + page.authorizers.length) ctx.stdout.write(`(${page.authorizers.length} of ${page.total}; next: --offset ${opts.offset + page.authorizers.length})\n`);
      }, EXISTING);
    });
}

/** Reads a secret from a pipe: everything up to EOF, without the trailing newline. */
async function readSecret(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
