import type { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import pinoPretty from 'pino-pretty';

/** How log lines are written: one JSON object a line (machines), or pino-pretty's coloured lines (people). */
export type LogFormat = 'json' | 'pretty';

/** The values `--log-format` / WXTOKEN_LOG_FORMAT accept. */
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** The format asked for, else pretty when `stream` is a terminal (a person reads it), else JSON. */
export function chooseLogFormat(asked: LogFormat | undefined, stream: Writable): LogFormat {
  return asked ?? ((stream as Writable & { isTTY?: boolean }).isTTY === true ? 'pretty' : 'json');
}

/**
 * Where pino writes: `stream` itself for JSON; for pretty, a pino-pretty stream in this process (no worker
 * thread: a transport's thread would lose the last lines of a process that exits at once). The redaction and
 * serializers apply before formatting, so pretty lines hide exactly what JSON lines hide.
 */
export function logDestination(format: LogFormat, stream: Writable): DestinationStream {
  if (format === 'json') return stream;
  return pinoPretty({
    destination: stream,
    colorize: (stream as Writable & { isTTY?: boolean }).isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
}
