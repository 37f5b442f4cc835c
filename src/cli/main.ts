import { runCli } from './program.js';

// The process entry point: wires real stdio, env and signals into the CLI and exits with its code.
const controller = new AbortController();
const stop = (): void => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  shutdownSignal: controller.signal,
});
process.exitCode = code;
// Long-running commands have closed their servers by now; do not wait on stray handles (e.g. stdin).
if (code !== 0 || controller.signal.aborted) setImmediate(() => process.exit(code));
