import { InvalidArgumentError, type Command } from 'commander';
import { TICKET_TYPES, type TicketType } from '../../wechat/index.js';
import type { CliContext } from '../context.js';
import { withHub } from '../runtime.js';
import { storeOption, upstreamOption } from './shared-options.js';

/** Registers `wxtoken ticket APPID [--type jsapi|wx_card]` and `wxtoken sign APPID --url URL`. */
export function registerTicket(program: Command, ctx: CliContext): void {
  program
    .command('ticket')
    .description("print an app's current JS-SDK or card ticket (fetching one only if none valid is stored)")
    .argument('<appid>', 'the AppID')
    .option('--type <type>', `${TICKET_TYPES.join(' or ')} (default jsapi)`, parseType, 'jsapi' as TicketType)
    .option('--json', 'print {"ticket","expires_in","expires_at","age_known"} instead of the bare ticket')
    .addOption(storeOption())
    .addOption(upstreamOption())
    .action(async (appid: string, opts: { type: TicketType; json?: boolean; store?: string; upstream?: string }) => {
      await withHub(ctx, { store: opts.store, upstream: opts.upstream }, async (runtime) => {
        const issued = await runtime.hub.getTicket(appid, opts.type);
        if (opts.json) {
          const expiresIn = Math.max(0, Math.floor((issued.expiresAt - runtime.clock.now()) / 1000));
          const body = { ticket: issued.token, expires_in: expiresIn, expires_at: new Date(issued.expiresAt).toISOString(), age_known: issued.ageKnown };
          ctx.stdout.write(`${JSON.stringify(body)}\n`);
        } else {
          // The ticket alone on the last line, for scripts (like `wxtoken token`).
          ctx.stdout.write(`${issued.token}\n`);
        }
      });
    });

  program
    .command('sign')
    .description('print a wx.config for a page, signed with the app\'s jsapi ticket, as JSON')
    .argument('<appid>', 'the AppID')
    .requiredOption('--url <url>', "the page's full URL (anything after # is not signed)")
    .addOption(storeOption())
    .addOption(upstreamOption())
    .action(async (appid: string, opts: { url: string; store?: string; upstream?: string }) => {
      await withHub(ctx, { store: opts.store, upstream: opts.upstream }, async (runtime) => {
        ctx.stdout.write(`${JSON.stringify(await runtime.hub.signJsSdkConfig(appid, opts.url))}\n`);
      });
    });
}

function parseType(value: string): TicketType {
  if (!(TICKET_TYPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected ${TICKET_TYPES.join(' or ')}`);
  return value as TicketType;
}
