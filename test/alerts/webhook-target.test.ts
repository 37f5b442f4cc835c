import { describe, expect, it } from 'vitest';
import { parseWebhookList, parseWebhookTarget } from '../../src/alerts/webhook-target.js';
import { ConfigError } from '../../src/errors/index.js';

describe('parseWebhookTarget', () => {
  const cases = [
    { spec: 'https://hooks.example.com/alerts', format: 'json', url: 'https://hooks.example.com/alerts' },
    { spec: 'http://127.0.0.1:9000/', format: 'json', url: 'http://127.0.0.1:9000/' },
    { spec: 'wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY', format: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY' },
    { spec: 'slack+https://hooks.slack.com/services/T/B/SECRETPATH', format: 'slack', url: 'https://hooks.slack.com/services/T/B/SECRETPATH' },
  ] as const;
  it.each(cases)('$spec', ({ spec, format, url }) => {
    const target = parseWebhookTarget(spec);
    expect(target).toMatchObject({ format, url });
    // The label is what logs show: never the robot's key or Slack's secret path.
    expect(target.label).not.toContain('SECRET');
  });

  it.each(['ftp://x.example/', 'not a url', 'wecom+mailto:a@b', 'slack+'])('refuses %s', (spec) => {
    expect(() => parseWebhookTarget(spec)).toThrow(ConfigError);
  });

  it('keeps a secret out of the error for a malformed entry', () => {
    expect(() => parseWebhookTarget('wecom+https//host/send?key=SECRETKEY')).toThrow(/^(?!.*SECRETKEY)/s);
  });

  it('reads a comma-separated list, ignoring empty entries', () => {
    expect(parseWebhookList('https://a.example/x, ,wecom+https://b.example/y,').map((t) => t.format)).toEqual(['json', 'wecom']);
  });
});
