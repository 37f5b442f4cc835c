import { describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../src/alerts/incident.js';
import { capMessages, renderPayload } from '../../src/alerts/payloads.js';

const message: AlertMessage = {
  status: 'firing',
  since: Date.UTC(2026, 5, 1, 12),
  at: Date.UTC(2026, 5, 1, 12, 0, 5),
  incident: { id: 'credential_failed:wxa:access_token', kind: 'credential_failed', subject: 'wxa:access_token', summary: 'wxa:access_token failed: credentials_rejected' },
};

describe('renderPayload', () => {
  it('generic JSON', () => {
    expect(renderPayload('json', message, { hub: 'hub-1' })).toEqual({
      source: 'wxtoken',
      hub: 'hub-1',
      status: 'firing',
      id: 'credential_failed:wxa:access_token',
      kind: 'credential_failed',
      subject: 'wxa:access_token',
      summary: 'wxa:access_token failed: credentials_rejected',
      since: '2026-06-01T12:00:00.000Z',
      at: '2026-06-01T12:00:05.000Z',
    });
  });

  it('a WeCom robot markdown message', () => {
    const body = renderPayload('wecom', { ...message, status: 'resolved' }, { hub: 'hub-1' }) as { msgtype: string; markdown: { content: string } };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('<font color="info">RESOLVED</font>');
    expect(body.markdown.content).toContain('wxa:access_token failed');
  });

  it('a Slack-compatible message', () => {
    expect(renderPayload('slack', message, { hub: 'hub-1' })).toEqual({
      text: '[FIRING] credential_failed wxa:access_token: wxa:access_token failed: credentials_rejected (hub hub-1, since 2026-06-01T12:00:00.000Z)',
    });
  });
});

describe('capMessages', () => {
  const many = Array.from({ length: 25 }, (_, i): AlertMessage => ({ ...message, incident: { ...message.incident, id: `m${i}` } }));
  it.each([
    { n: 3, limit: 10, out: 3 },
    { n: 10, limit: 10, out: 10 },
    { n: 25, limit: 10, out: 10 },
    { n: 25, limit: 1, out: 1 },
  ])('$n messages, limit $limit: $out sent', ({ n, limit, out }) => {
    const capped = capMessages(many.slice(0, n), limit, 0);
    expect(capped).toHaveLength(out);
    if (n > limit) expect(capped.at(-1)!.incident.summary).toContain(`and ${n - limit + 1} more incidents`);
  });
});
