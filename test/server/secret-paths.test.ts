import { describe, expect, it } from 'vitest';
import { readSecretCall, secretBearingPath, SECRET_BEARING_PATHS } from '../../src/server/compat/secret-paths.js';

const A = 'wx0123456789abcdef';
const B = 'wxfedcba9876543210';
const login = secretBearingPath('/sns/jscode2session')!;
const quota = secretBearingPath('/cgi-bin/clear_quota/v2')!;

describe('secretBearingPath', () => {
  it.each([
    ['/sns/jscode2session', '/sns/jscode2session'],
    ['/sns/JSCODE2SESSION/', '/sns/jscode2session'],
    ['/sns/oauth2/access_token', '/sns/oauth2/access_token'],
    ['/cgi-bin/clear_quota/v2', '/cgi-bin/clear_quota/v2'],
    ['/cgi-bin/component/clear_quota/v2', '/cgi-bin/component/clear_quota/v2'],
    ['/cgi-bin/clear_quota', null],
    ['/sns/userinfo', null],
    ['/sns/jscode2session2', null],
  ])('%s → %s', (path, canonical) => expect(secretBearingPath(path)?.path ?? null).toBe(canonical));

  it('names what a key needs on each path (none where the hub keeps no secret)', () => {
    expect(SECRET_BEARING_PATHS.map((p) => [p.path, p.capability])).toEqual([
      ['/sns/jscode2session', 'login'],
      ['/sns/oauth2/access_token', 'login'],
      ['/cgi-bin/clear_quota/v2', 'read-token'],
      ['/cgi-bin/component/clear_quota/v2', null],
    ]);
  });
});

describe('readSecretCall', () => {
  type Row = [string, Array<[string, string]>, Record<string, unknown> | null, { appid: string; secret: string; in: string } | number];
  const rows: Row[] = [
    ['query', [['appid', A], ['secret', 'K'], ['js_code', 'c']], null, { appid: A, secret: 'K', in: 'query' }],
    ['missing appid', [['secret', 'K']], null, 41002],
    ['empty appid', [['appid', ''], ['secret', 'K']], null, 41002],
    ['malformed appid', [['appid', `${A}&appid=${B}`], ['secret', 'K']], null, 40013],
    ['missing secret', [['appid', A]], null, 41004],
    ['appid twice', [['appid', A], ['appid', B], ['secret', 'K']], null, 40097],
    ['secret twice', [['appid', A], ['secret', 'K'], ['secret', 'S']], null, 40097],
    ['APPID', [['APPID', B], ['appid', A], ['secret', 'K']], null, 40097],
    ['appid[]', [['appid[]', B], ['appid', A], ['secret', 'K']], null, 40097],
    ['Secret', [['appid', A], ['secret', 'K'], ['Secret', 'S']], null, 40097],
    ['unrelated names pass', [['appid', A], ['secret', 'K'], ['appidx', B], ['grant_type', 'authorization_code']], null, { appid: A, secret: 'K', in: 'query' }],
  ];
  it.each(rows)('jscode2session, %s', (_name, query, body, expected) => {
    const reading = readSecretCall(login, query, body);
    if (typeof expected === 'number') expect(reading.ok ? 'accepted' : reading.refusal.base.errcode).toBe(expected);
    else expect(reading).toEqual({ ok: true, call: expected });
  });

  const quotaRows: Row[] = [
    ['body', [], { appid: A, appsecret: 'K' }, { appid: A, secret: 'K', in: 'body' }],
    ['query', [['appid', A], ['appsecret', 'K']], null, { appid: A, secret: 'K', in: 'query' }],
    ['appid in both', [['appid', A]], { appid: B, appsecret: 'K' }, 40097],
    ['split between query and body', [['appsecret', 'K']], { appid: B }, 40097],
    ['a number as the secret', [], { appid: A, appsecret: 7 }, 40125],
    ['APPSECRET in the body', [], { appid: A, appsecret: 'K', APPSECRET: 'S' }, 40097],
  ];
  it.each(quotaRows)('clear_quota/v2, %s', (_name, query, body, expected) => {
    const reading = readSecretCall(quota, query, body);
    if (typeof expected === 'number') expect(reading.ok ? 'accepted' : reading.refusal.base.errcode).toBe(expected);
    else expect(reading).toEqual({ ok: true, call: expected });
  });
});
