import type { Readable, Writable } from 'node:stream';

/** What a CLI command may touch of the outside world; injectable so commands are testable in-process. */
export interface CliContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands await it. */
  readonly shutdownSignal: AbortSignal;
}

/** Exit codes: 0 success, 1 runtime failure, 2 usage error. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A bad flag value or combination detected after parsing; exits with code 2. */
export class UsageError extends Error {}

/** Resolves when `signal` aborts (at once if it already has): long-running commands await the shutdown signal. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
