import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../src/alerts/incident.js';
import { createWebhookSender } from '../../src/alerts/webhook-sender.js';
import { parseWebhookTarget } from '../../src/alerts/webhook-target.js';
import { systemClock } from '../../src/util/clock.js';

const message: AlertMessage = {
  status: 'firing',
  since: 0,
  at: 0,
  incident: { id: 'credential_failed:wxa:access_token', kind: 'credential_failed', subject: 'wxa:access_token', summary: 's' },
};

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A local receiver answering each request with the next of `answers` (the last one repeats). */
async function receiver(answers: Array<(res: ServerResponse) => void>): Promise<{ base: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      answers[Math.min(bodies.length - 1, answers.length - 1)]!(res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

function logger() {
  const lines: string[] = [];
  const log = (obj: object, msg: string): void => void lines.push(JSON.stringify({ ...obj, msg }));
  return { lines, logger: { info: log, warn: log, error: log } };
}

const ok = (res: ServerResponse): void => void res.end('{"errcode":0,"errmsg":"ok"}');
const fail = (res: ServerResponse): void => void (res.statusCode = 503, res.end());
const refuse = (res: ServerResponse): void => void res.end('{"errcode":93000,"errmsg":"invalid webhook url"}');

describe('createWebhookSender', () => {
  it('posts the rendered body once when the receiver accepts it', async () => {
    const r = await receiver([ok]);
    const { logger: log } = logger();
    const send = createWebhookSender({ clock: systemClock, logger: log, retryDelayMs: 1 }, { hub: 'h' });
    expect(await send(parseWebhookTarget(`${r.base}/x`), message)).toBe(true);
    expect(r.bodies.map((b) => JSON.parse(b).status)).toEqual(['firing']);
  });

  it('retries a failing receiver a bounded number of times', async () => {
    const r = await receiver([fail, fail, ok]);
    const send = createWebhookSender({ clock: systemClock, logger: logger().logger, retries: 2, retryDelayMs: 1 }, { hub: 'h' });
    expect(await send(parseWebhookTarget(`${r.base}/x`), message)).toBe(true);
    expect(r.bodies).toHaveLength(3);
  });

  it('gives up after the retries and logs the target without its key', async () => {
    const r = await receiver([refuse]);
    const { lines, logger: log } = logger();
    const send = createWebhookSender({ clock: systemClock, logger: log, retries: 1, retryDelayMs: 1 }, { hub: 'h' });
    expect(await send(parseWebhookTarget(`wecom+${r.base}/cgi-bin/webhook/send?key=ROBOTKEY123`), message)).toBe(false);
    expect(r.bodies).toHaveLength(2);
    expect(lines.join('\n')).toContain('alert webhook failed');
    expect(lines.join('\n')).not.toContain('ROBOTKEY123');
  });

  it('times out a receiver that never answers', async () => {
    const r = await receiver([() => {}]);
    const send = createWebhookSender({ clock: systemClock, logger: logger().logger, timeoutMs: 50, retries: 1, retryDelayMs: 1 }, { hub: 'h' });
    expect(await send(parseWebhookTarget(`${r.base}/x`), message)).toBe(false);
    expect(r.bodies).toHaveLength(2);
  });
});
