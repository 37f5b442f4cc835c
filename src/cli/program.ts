import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { InvalidRequestError, WxTokenError } from '../errors/index.js';
import type { CliContext } from './context.js';
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './context.js';
export { UsageError } from './context.js';
import { registerApp } from './commands/app.js';
import { registerComponent } from './commands/component.js';
import { registerDemo } from './commands/demo.js';
import { registerKey } from './commands/key.js';
import { registerMasterKey } from './commands/master-key.js';
import { registerServe } from './commands/serve.js';
import { registerSimulate } from './commands/simulate.js';
import { registerTicket } from './commands/ticket.js';
import { registerToken } from './commands/token.js';
import { registerWeCom } from './commands/wecom.js';

/** The version in package.json (two levels up from src/cli and from dist/cli alike). */
export function packageVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** Builds the `wxtoken` command tree; commands write only through `ctx`. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('wxtoken')
    .description('A credential hub for WeChat: obtains, stores and refreshes access tokens for many apps.')
    .version(packageVersion(), '-V, --version', 'print the version of wxtoken')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  registerServe(program, ctx);
  registerApp(program, ctx);
  registerWeCom(program, ctx);
  registerKey(program, ctx);
  registerComponent(program, ctx);
  registerToken(program, ctx);
  registerTicket(program, ctx);
  registerDemo(program, ctx);
  registerSimulate(program, ctx);
  registerMasterKey(program, ctx);
  return program;
}

/** Runs the CLI with `argv` (without node and script), returning the exit code instead of exiting. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are successful exits
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    // A malformed argument (say, an appid that is not "wx" + 16 hex) is a usage error too.
    if (err instanceof UsageError || err instanceof InvalidArgumentError || err instanceof InvalidRequestError) {
      ctx.stderr.write(`wxtoken: ${err.message}\n`);
      return EXIT_USAGE;
    }
    const message = err instanceof WxTokenError ? err.message : err instanceof Error ? err.message : String(err);
    ctx.stderr.write(`wxtoken: ${message}\n`);
    return EXIT_FAILURE;
  }
}
