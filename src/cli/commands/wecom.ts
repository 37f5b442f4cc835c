import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../context.js';
import { withHub } from '../runtime.js';
import { readSecret } from './app.js';
import { formatTable, formatTime } from './format.js';
import { storeOption, wecomUpstreamOption } from './shared-options.js';

// Commands that only read or change what is there never create a store.
const EXISTING = { existingStore: true };

/** Registers `wxtoken wecom add|list|remove|token`. */
export function registerWeCom(program: Command, ctx: CliContext): void {
  const wecom = program.command('wecom').description('manage the WeCom (企业微信) apps whose tokens the hub keeps');

  wecom
    .command('add')
    .description("add a WeCom app, or change its secret (the secret is never taken as a plain argument)")
    .argument('<corpid>', 'the corp ID (ww + 16 hex)')
    .requiredOption('--agent <agent>', 'the app: its AgentId, or a name for a secret of no agent (e.g. contacts)')
    .option('--secret-stdin', "read the app's secret from standard input")
    .option('--secret-env <var>', "read the app's secret from this environment variable")
    .addOption(storeOption())
    .action(async (corpid: string, opts: { agent: string; secretStdin?: boolean; secretEnv?: string; store?: string }) => {
      if (Boolean(opts.secretStdin) === Boolean(opts.secretEnv)) throw new UsageError('give exactly one of --secret-stdin or --secret-env VAR');
      const secret = opts.secretStdin ? await readSecret(ctx.stdin) : ctx.env[opts.secretEnv!];
      if (!secret) throw new UsageError(opts.secretStdin ? 'no secret on standard input' : `environment variable ${opts.secretEnv} is empty or unset`);
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const { created } = await runtime.hub.wecom.put(corpid, opts.agent, { secret });
        ctx.stdout.write(`${created ? 'added' : 'updated'} WeCom app ${opts.agent} of corp ${corpid}\n`);
      });
    });

  wecom
    .command('list')
    .description('list WeCom apps with their token state (no secrets, no tokens)')
    .option('--json', 'print JSON instead of a table')
    .addOption(storeOption())
    .action(async (opts: { json?: boolean; store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        const agents = runtime.hub.wecom.list();
        if (opts.json) {
          ctx.stdout.write(`${JSON.stringify(agents, null, 2)}\n`);
          return;
        }
        if (agents.length === 0) {
          ctx.stdout.write('no WeCom apps yet: add one with `wxtoken wecom add CORPID --agent AGENTID --secret-stdin`\n');
          return;
        }
        const rows = agents.map((a) => [a.corpid, a.agent, a.state, formatTime(a.tokenExpiresAt), formatTime(a.lastRefreshAt), a.lastError ? `${a.lastError.code}${a.lastError.errcode !== undefined ? ` (${a.lastError.errcode})` : ''}` : '']);
        ctx.stdout.write(formatTable(['CORPID', 'AGENT', 'STATE', 'TOKEN EXPIRES', 'LAST REFRESH', 'LAST ERROR'], rows));
      }, EXISTING);
    });

  wecom
    .command('remove')
    .description('remove a WeCom app and its stored token and tickets')
    .argument('<corpid>', 'the corp ID')
    .requiredOption('--agent <agent>', 'the app: its AgentId or secret name')
    .addOption(storeOption())
    .action(async (corpid: string, opts: { agent: string; store?: string }) => {
      await withHub(ctx, { store: opts.store }, async (runtime) => {
        if (!(await runtime.hub.wecom.remove(corpid, opts.agent))) throw new Error(`WeCom app ${opts.agent} of corp ${corpid} is not registered`);
        ctx.stdout.write(`removed WeCom app ${opts.agent} of corp ${corpid}\n`);
      }, EXISTING);
    });

  wecom
    .command('token')
    .description("print a WeCom app's current access token (fetching one only if none valid is stored)")
    .argument('<corpid>', 'the corp ID')
    .requiredOption('--agent <agent>', 'the app: its AgentId or secret name')
    .option('--json', 'print {"access_token","expires_in","expires_at"} instead of the bare token')
    .addOption(storeOption())
    .addOption(wecomUpstreamOption())
    .action(async (corpid: string, opts: { agent: string; json?: boolean; store?: string; wecomUpstream?: string }) => {
      await withHub(ctx, { store: opts.store, wecomUpstream: opts.wecomUpstream }, async (runtime) => {
        const issued = await runtime.hub.wecom.getToken(corpid, opts.agent);
        if (opts.json) {
          const expiresIn = Math.max(0, Math.floor((issued.expiresAt - runtime.clock.now()) / 1000));
          ctx.stdout.write(`${JSON.stringify({ access_token: issued.token, expires_in: expiresIn, expires_at: new Date(issued.expiresAt).toISOString() })}\n`);
        } else {
          ctx.stdout.write(`${issued.token}\n`);
        }
      }, EXISTING);
    });
}
