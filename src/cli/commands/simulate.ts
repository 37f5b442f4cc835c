import { isIP } from 'node:net';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createSimulator, type SimulatorOptions } from '../../simulator/index.js';
import { UsageError, untilAborted, type CliContext } from '../context.js';

/** Where `wxtoken simulate` listens unless told otherwise. */
export const DEFAULT_SIMULATOR_LISTEN = '127.0.0.1:8081';

const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const HOSTNAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

interface SimulateFlags {
  listen: { host: string; port: number };
  app?: string[];
  corp?: string[];
  tokenTtl?: number;
  grace?: number;
  stableWindow?: number;
  forceSpacing?: number;
  latency?: number;
}

/** Registers `wxtoken simulate`: runs the WeChat simulator until SIGINT/SIGTERM. */
export function registerSimulate(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .description(
      "run the WeChat simulator: WeChat's credential and sample business endpoints plus a control API under /__sim/ " +
        '(see docs/simulator.md); runs until stopped',
    )
    .addOption(
      new Option('--listen <host:port>', 'address to listen on; port 0 picks a free port')
        .argParser(parseListen)
        .default(parseListen(DEFAULT_SIMULATOR_LISTEN), DEFAULT_SIMULATOR_LISTEN),
    )
    .option('--app <appid:secret>', 'register an Official Account / Mini Program app (repeatable)', collect)
    .option('--corp <corpid:secret>', 'register a WeCom corp (repeatable)', collect)
    .option('--token-ttl <seconds>', 'lifetime of tokens and tickets (default 7200)', seconds(true))
    .option('--grace <seconds>', 'how long a superseded token stays valid (default 300)', seconds(false))
    .option('--stable-window <seconds>', 'stable_token normal mode rotates when this much or less remains (default 300)', seconds(false))
    .option('--force-spacing <seconds>', 'minimum spacing of stable_token force calls that rotate (default 30)', seconds(false))
    .option('--latency <ms>', 'milliseconds added to every token-endpoint response (default 0)', milliseconds)
    .addHelpText('after', '\nSeconds may be fractional. Example:\n  wxtoken simulate --listen 127.0.0.1:0 --app wx0123456789abcdef:s3cret --token-ttl 60 --grace 5\n')
    .action(async (flags: SimulateFlags) => {
      const options: SimulatorOptions = {
        apps: parseCredentials('--app', 'APPID:SECRET', flags.app).map(([appid, secret]) => ({ appid, secret })),
        corps: parseCredentials('--corp', 'CORPID:SECRET', flags.corp).map(([corpid, secret]) => ({ corpid, secret })),
        ...(flags.tokenTtl === undefined ? {} : { tokenTtlSeconds: flags.tokenTtl }),
        ...(flags.grace === undefined ? {} : { graceSeconds: flags.grace }),
        ...(flags.stableWindow === undefined ? {} : { stableWindowSeconds: flags.stableWindow }),
        ...(flags.forceSpacing === undefined ? {} : { forceSpacingSeconds: flags.forceSpacing }),
        ...(flags.latency === undefined ? {} : { latencyMs: flags.latency }),
      };
      const ids = [...options.apps!.map((a) => a.appid), ...options.corps!.map((c) => c.corpid)];
      const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
      if (duplicate !== undefined) throw new UsageError(`${duplicate} is given more than once in --app/--corp`);

      const simulator = createSimulator(options);
      try {
        const url = await simulator.listen(flags.listen);
        ctx.stdout.write(`WeChat simulator listening on ${url}\n`);
        if (ids.length > 0) ctx.stdout.write(`registered: ${ids.join(', ')}\n`);
        await untilAborted(ctx.shutdownSignal);
      } finally {
        await simulator.close();
      }
      ctx.stdout.write('WeChat simulator stopped\n');
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Splits ID:SECRET values; errors name the flag and the id but never the secret. */
function parseCredentials(flag: string, shape: string, values: readonly string[] = []): Array<[string, string]> {
  return values.map((value) => {
    const colon = value.indexOf(':');
    if (colon < 0) throw new UsageError(`${flag} expects ${shape} (missing colon)`);
    const id = value.slice(0, colon);
    const secret = value.slice(colon + 1);
    if (!ID_PATTERN.test(id)) throw new UsageError(`${flag}: bad id ${JSON.stringify(id)} (1-64 characters of A-Z a-z 0-9 _ . -)`);
    if (secret.length === 0) throw new UsageError(`${flag}: empty secret for ${id}`);
    return [id, secret];
  });
}

function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  const hostOk = host !== undefined && (match?.[1] !== undefined ? isIP(host) === 6 : isIP(host) === 4 || HOSTNAME_PATTERN.test(host));
  if (!match || !hostOk || !Number.isInteger(port) || port > 65535) {
    throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:8081 or [::1]:0, with a port from 0 to 65535');
  }
  return { host: host!, port };
}

function seconds(positive: boolean): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (positive && n === 0)) {
      throw new InvalidArgumentError(`expected a ${positive ? 'positive' : 'non-negative'} number of seconds`);
    }
    return n;
  };
}

function milliseconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number of milliseconds');
  return n;
}
