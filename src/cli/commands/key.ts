import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../context.js';
import { withHub } from '../runtime.js';

// Commands that only read or change what is there never create a store (issue 13, finding 9).
const EXISTING = { existingStore: true };
import { formatTable, formatTime } from './format.js';
import { storeOption } from './shared-options.js';

/** Registers `wxtoken key create|list|revoke`: the keys business services present to read tokens. */
export function registerKey(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('manage client keys (what business services present to read tokens)');

  key
    .command('create')
    .description('create a key; it is printed once, alone on the last line of stdout, and only its hash is stored')
    .requiredOption('--name <name>', 'a unique name, e.g. the service that will use it')
    .requiredOption('--apps <appids>', 'comma-separated AppIDs the key may read, or * for all')
    .addOption(storeOption())
    .action(async (opts: { name: string; apps: string; store?: string }) => {
      const apps = opts.apps.split(',').map((a) => a.trim()).filter(Boolean);
      if (apps.length === 0) throw new UsageError('--apps needs at least one AppID, or *');
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const secret = await runtime.hub.createClientKey(opts.name, apps);
        ctx.stderr.write(`created key ${opts.name} for ${apps.join(', ')}; store it now, it cannot be shown again:\n`);
        ctx.stdout.write(`${secret}\n`);
      });
    });

  key
    .command('list')
    .description('list keys (names and scopes, never the keys)')
    .option('--json', 'print JSON instead of a table')
    .addOption(storeOption())
    .action(async (opts: { json?: boolean; store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const keys = await runtime.hub.listClientKeys();
        if (opts.json) ctx.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
        else if (keys.length === 0) ctx.stdout.write('no keys yet: create one with `wxtoken key create --name NAME --apps APPID`\n');
        else ctx.stdout.write(formatTable(['NAME', 'APPS', 'CREATED'], keys.map((k) => [k.name, k.apps.join(','), formatTime(k.createdAt)])));
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
