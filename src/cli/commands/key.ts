import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../context.js';
import { withHub } from '../runtime.js';

// Commands that only read or change what is there never create a store (issue 13, finding 9).
const EXISTING = { existingStore: true };
import { formatTable, formatTime } from './format.js';
import { keyExpiry, parseDuration, parseInstant } from './key-expiry.js';
import { storeOption } from './shared-options.js';

/** Registers `wxtoken key create|list|revoke`: the keys business services present to read tokens. */
export function registerKey(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('manage client keys (what business services present to read tokens)');

  key
    .command('create')
    .description('create a key; it is printed once, alone on the last line of stdout, and only its hash is stored')
    .requiredOption('--name <name>', 'a unique name, e.g. the service that will use it')
    .requiredOption(
      '--apps <scopes>',
      'comma-separated scopes the key covers: AppIDs, * for all, wecom:<corpid>/<agentid|*>, component:<appid>[/<appid|*>]',
    )
    .addOption(new Option('--sign-only', 'the key may only ask the hub to sign (JS-SDK config, card signature), never receive a token or ticket').conflicts('loginOnly'))
    .option('--login-only', 'the key may only have the hub make user-login calls (jscode2session, web OAuth code exchange), nothing else')
    .addOption(new Option('--expires-in <duration>', 'the key stops working after this long: 90d, 12h, 30m, 2w (default: never)').argParser(parseDuration).conflicts('expiresAt'))
    .addOption(new Option('--expires-at <time>', 'the key stops working at this ISO-8601 time, e.g. 2027-03-01T00:00:00Z (default: never)').argParser(parseInstant))
    .addOption(storeOption())
    .action(async (opts: { name: string; apps: string; signOnly?: boolean; loginOnly?: boolean; expiresIn?: number; expiresAt?: number; store?: string }) => {
      const apps = opts.apps.split(',').map((a) => a.trim()).filter(Boolean);
      if (apps.length === 0) throw new UsageError('--apps needs at least one AppID, or *');
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const expiresAt = keyExpiry(opts, runtime.clock.now());
        const secret = await runtime.hub.createClientKey(opts.name, apps, { signOnly: opts.signOnly === true, loginOnly: opts.loginOnly === true, expiresAt });
        const what = `${opts.signOnly ? 'sign-only ' : opts.loginOnly ? 'login-only ' : ''}key ${opts.name} for ${apps.join(', ')}`;
        const until = expiresAt === null ? '' : `, valid until ${formatTime(expiresAt)}`;
        ctx.stderr.write(`created ${what}${until}; store it now, it cannot be shown again:\n`);
        ctx.stdout.write(`${secret}\n`);
      });
    });

  key
    .command('list')
    .description('list keys: names, scopes, capabilities, created, expires and last-used times (about a minute\'s resolution), never the keys')
    .option('--json', 'print JSON instead of a table')
    .addOption(storeOption())
    .action(async (opts: { json?: boolean; store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const keys = await runtime.hub.listClientKeys();
        if (opts.json) ctx.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
        else if (keys.length === 0) ctx.stdout.write('no keys yet: create one with `wxtoken key create --name NAME --apps APPID`\n');
        else {
          const now = runtime.clock.now();
          const rows = keys.map((k) => [
            k.name,
            k.apps.join(','),
            k.capabilities.join(','),
            formatTime(k.createdAt),
            k.expiresAt === null ? 'never' : `${formatTime(k.expiresAt)}${k.expiresAt <= now ? ' (expired)' : ''}`,
            k.lastUsedAt === null ? 'never' : formatTime(k.lastUsedAt),
          ]);
          ctx.stdout.write(formatTable(['NAME', 'APPS', 'CAPABILITIES', 'CREATED', 'EXPIRES', 'LAST USED'], rows));
        }
      }, EXISTING);
    });

  key
    .command('revoke')
    .description('revoke a key by name; running hubs stop accepting it within moments')
    .argument('<name>', 'the key name')
    .addOption(storeOption())
    .action(async (name: string, opts: { store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        if (!(await runtime.hub.revokeClientKey(name))) throw new Error(`no key named ${name}`);
        ctx.stdout.write(`revoked key ${name}\n`);
      }, EXISTING);
    });
}
