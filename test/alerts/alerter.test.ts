import { afterEach, describe, expect, it } from 'vitest';
import { Alerter, ALERT_LEADER_LEASE, ALERT_RECORD_KEY, type AlertSource } from '../../src/alerts/alerter.js';
import type { AlertMessage } from '../../src/alerts/incident.js';
import { parseWebhookTarget } from '../../src/alerts/webhook-target.js';
import type { CredentialState } from '../../src/core/token-service.js';
import { StoreUnavailableError } from '../../src/errors/index.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import type { Store } from '../../src/stores/store.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

const TARGET = parseWebhookTarget('http://127.0.0.1:9/hook');

/** A source whose credentials the test sets. */
class Source implements AlertSource {
  credentials: CredentialState[] = [];
  beforeRound?: () => Promise<void>;
  listCredentials(): CredentialState[] {
    return this.credentials;
  }
}

function failed(key: string): CredentialState {
  return { key, kind: 'access_token', appid: key.split(':')[0]!, state: 'failed', tokenExpiresAt: null, lastRefreshAt: null, nextAttemptAt: null, lastError: { code: 'credentials_rejected', message: 'm', errcode: 40125, at: 0 } };
}

/** A store whose every call can be made to fail like an unreachable backend. */
function breakable(inner: Store): Store & { down: boolean } {
  const wrapper = { down: false } as Store & { down: boolean };
  for (const name of ['acquireLease', 'releaseLease', 'getCredential', 'putCredential', 'ping'] as const) {
    (wrapper as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (wrapper.down) return Promise.reject(new StoreUnavailableError('down'));
      return (inner[name] as (...a: unknown[]) => unknown).apply(inner, args);
    };
  }
  return wrapper;
}

const alerters: Alerter[] = [];
afterEach(async () => {
  for (const a of alerters.splice(0)) await a.stop();
});

async function fleet(count: number) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const store = breakable(createMemoryStore({ clock }));
  const source = new Source();
  const sent: Array<{ instance: string; message: AlertMessage }> = [];
  const members = Array.from({ length: count }, (_, i) => {
    const instance = `hub-${i}`;
    const alerter = new Alerter({
      source,
      store,
      targets: [TARGET],
      instanceId: instance,
      clock,
      logger: silentLogger,
      intervalMs: 1_000,
      send: async (_target, message) => {
        sent.push({ instance, message });
        return true;
      },
    });
    alerters.push(alerter);
    return alerter;
  });
  const round = async (): Promise<void> => {
    for (const m of members) await m.round();
  };
  return { clock, store, source, sent, members, round };
}

const lines = (sent: Array<{ message: AlertMessage }>): string[] => sent.map(({ message }) => `${message.status} ${message.incident.id}`);

describe('Alerter', () => {
  it('sends one message per incident across instances, and one when it ends', async () => {
    const f = await fleet(3);
    await f.round();
    expect(f.sent).toEqual([]);
    f.source.credentials = [failed('wxa:access_token')];
    for (let i = 0; i < 3; i++) {
      await f.round();
      await f.clock.advance(1_000);
    }
    expect(lines(f.sent)).toEqual(['firing credential_failed:wxa:access_token']);
    f.source.credentials = [];
    await f.round();
    await f.round();
    expect(lines(f.sent)).toEqual(['firing credential_failed:wxa:access_token', 'resolved credential_failed:wxa:access_token']);
    expect(new Set(f.sent.map((s) => s.instance)).size).toBe(1);
  });

  it('a new sender after the first one stops neither repeats an open incident nor forgets to resolve it', async () => {
    const f = await fleet(2);
    f.source.credentials = [failed('wxa:access_token')];
    await f.members[0]!.round();
    expect(lines(f.sent)).toEqual(['firing credential_failed:wxa:access_token']);
    await f.members[0]!.stop();
    await f.members[1]!.round();
    expect(f.sent).toHaveLength(1);
    f.source.credentials = [];
    await f.members[1]!.round();
    expect(f.sent.map((s) => `${s.instance} ${s.message.status}`)).toEqual(['hub-0 firing', 'hub-1 resolved']);
  });

  it('a crashed sender is replaced once its lease lapses', async () => {
    const f = await fleet(2);
    await f.members[0]!.round();
    f.source.credentials = [failed('wxa:access_token')];
    await f.members[1]!.round();
    expect(f.sent).toEqual([]);
    await f.clock.advance(3_001);
    await f.members[1]!.round();
    expect(f.sent.map((s) => `${s.instance} ${s.message.status}`)).toEqual(['hub-1 firing']);
  });

  it('reports a store outage once, from the instance that was sending, and its end', async () => {
    const f = await fleet(3);
    await f.round();
    f.store.down = true;
    for (let i = 0; i < 5; i++) {
      await f.clock.advance(1_000);
      await f.round();
    }
    expect(f.sent.map((s) => `${s.instance} ${s.message.status} ${s.message.incident.id}`)).toEqual(['hub-0 firing store_unreachable']);
    f.store.down = false;
    await f.round();
    await f.round();
    expect(f.sent.map((s) => `${s.instance} ${s.message.status} ${s.message.incident.id}`)).toEqual(['hub-0 firing store_unreachable', 'hub-0 resolved store_unreachable']);
  });

  it('reports WeChat unreachable only after the threshold, then its end', async () => {
    const f = await fleet(1);
    const start = f.clock.now();
    const retrying = (at: number, lastRefreshAt: number | null): CredentialState => ({
      ...failed('wxa:access_token'),
      state: 'retrying',
      lastRefreshAt,
      lastError: { code: 'upstream_unavailable', message: 'm', at },
    });
    for (let minute = 0; minute <= 6; minute++) {
      if (minute > 0) await f.clock.advance(60_000);
      f.source.credentials = [retrying(f.clock.now(), start - 1)];
      await f.round();
      if (minute < 5) expect(f.sent, `minute ${minute}`).toEqual([]);
    }
    expect(lines(f.sent)).toEqual(['firing upstream_unreachable']);
    f.source.credentials = [{ ...retrying(f.clock.now() - 1, f.clock.now()), state: 'ok', lastError: null }];
    await f.round();
    expect(lines(f.sent)).toEqual(['firing upstream_unreachable', 'resolved upstream_unreachable']);
  });

  it('remembers what it reported in the store, and hands the lease on when stopped', async () => {
    const f = await fleet(1);
    f.source.credentials = [failed('wxa:access_token')];
    await f.round();
    const record = await f.store.getCredential(ALERT_RECORD_KEY);
    expect(Object.keys((record?.state as { open: object }).open)).toEqual(['credential_failed:wxa:access_token']);
    await f.members[0]!.stop();
    expect(await f.store.acquireLease(ALERT_LEADER_LEASE, 'someone-else', 1_000)).toBe(true);
  });

  it('leaves the work before a round (reading quotas) to the sending instance', async () => {
    const f = await fleet(3);
    let calls = 0;
    f.source.beforeRound = async () => void calls++;
    for (let i = 0; i < 4; i++) await f.round();
    expect(calls).toBe(4);
  });

  it('sends a digest instead of a flood', async () => {
    const f = await fleet(1);
    f.source.credentials = Array.from({ length: 1_000 }, (_, i) => failed(`wx${String(i).padStart(16, '0')}:access_token`));
    await f.round();
    expect(f.sent).toHaveLength(10);
    expect(f.sent.at(-1)!.message.incident.summary).toContain('and 991 more incidents');
  });
});
