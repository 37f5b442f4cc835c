import { PassThrough, Readable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';

/** A CLI context with captured output, a given stdin and environment, and a stop switch. */
export function testContext(env: NodeJS.ProcessEnv = {}, stdin = ''): CliContext & { out: () => string; err: () => string; stop: () => void } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const controller = new AbortController();
  return {
    stdout,
    stderr,
    stdin: Readable.from([stdin]),
    env,
    shutdownSignal: controller.signal,
    out: () => out,
    err: () => err,
    stop: () => controller.abort(),
  };
}

/** Runs `wxtoken …args` in-process; returns the exit code and what it printed. */
export async function wxtoken(args: string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const ctx = testContext(env, stdin);
  const code = await runCli(args, ctx);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: ctx.out(), stderr: ctx.err() };
}
