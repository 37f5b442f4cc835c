// Which tokens the passthrough recognises as the hub's: the current ones, and those handed out earlier for as long
// again as the hub vouched for them; never a stranger's.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { ISSUED_TOKEN_MEMORY_SIZE, IssuedTokens } from '../../../src/server/upstream/issued-tokens.js';
import { FakeTokenService } from '../fake-token-service.js';

const APPID = 'wx0123456789abcdef';

function setup(): { clock: ManualClock; service: FakeTokenService; issued: IssuedTokens } {
  const clock = new ManualClock(1_000_000);
  const service = new FakeTokenService(clock);
  service.addApp(APPID, 'secret-0123456789abcdef0123456789');
  return { clock, service, issued: new IssuedTokens(service, clock) };
}

describe('IssuedTokens', () => {
  it('recognises the current token, and a replaced one it saw, until as long again after its expiry', async () => {
    const { clock, service, issued } = setup();
    const first = await service.getAccessToken(APPID);
    issued.remember(first.token, APPID, first.expiresAt);
    expect(issued.appOf(first.token)).toBe(APPID);
    await service.invalidate(APPID, first.token);
    expect(issued.appOf(first.token)).toBe(APPID);
    const lifetime = first.expiresAt - 1_000_000;
    await clock.advance(first.expiresAt + lifetime - 1 - clock.now());
    expect(issued.appOf(first.token)).toBe(APPID);
    await clock.advance(1);
    expect(issued.appOf(first.token)).toBeUndefined();
  });

  it('never recognises a token the hub did not issue', () => {
    const { issued } = setup();
    expect(issued.appOf('someone-elses-token')).toBeUndefined();
    expect(issued.appOf('')).toBeUndefined();
  });

  it('forgets the oldest token beyond its bound', () => {
    const { issued } = setup();
    for (let i = 0; i <= ISSUED_TOKEN_MEMORY_SIZE; i++) issued.remember(`t${i}`, APPID, 2_000_000);
    expect(issued.appOf('t0')).toBeUndefined();
    expect(issued.appOf('t1')).toBe(APPID);
    expect(issued.appOf(`t${ISSUED_TOKEN_MEMORY_SIZE}`)).toBe(APPID);
  });
});
