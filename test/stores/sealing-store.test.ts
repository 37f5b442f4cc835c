import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { createSealer } from '../../src/core/sealer.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { credentialContext, SealingStore } from '../../src/stores/sealing-store.js';
import type { CredentialRecord, Store } from '../../src/stores/store.js';

const KEY = 'wx0123456789abcdef:access_token';
const record = (token: string | null): CredentialRecord => ({
  key: KEY,
  version: 0,
  token,
  expiresAt: 2_000,
  obtainedAt: 1_000,
  failure: null,
  state: null,
  pending: null,
  invalidations: 0,
});

describe('SealingStore', () => {
  const sealer = createSealer({ current: Buffer.alloc(32, 9) });

  it('stores the value sealed under the record key and hands it back opened', async () => {
    const inner = createMemoryStore({ clock: new ManualClock() });
    const store = new SealingStore(inner, sealer);
    expect(await store.putCredential(record('74_plain'), 0)).toBe(true);
    const raw = await inner.getCredential(KEY);
    expect(raw?.token).toMatch(/^v2\./);
    expect(JSON.stringify(raw)).not.toContain('74_plain');
    expect(sealer.open(raw!.token!, credentialContext(KEY))).toBe('74_plain');
    expect(await store.getCredential(KEY)).toEqual({ ...record('74_plain'), version: 1 });
  });

  it('reads a plaintext value written before sealing, and seals it on the next write', async () => {
    const inner = createMemoryStore({ clock: new ManualClock() });
    await inner.putCredential(record('OLD_PLAINTEXT'), 0);
    const store = new SealingStore(inner, sealer);
    const read = await store.getCredential(KEY);
    expect(read?.token).toBe('OLD_PLAINTEXT');
    await store.putCredential(read!, read!.version);
    expect((await inner.getCredential(KEY))?.token).toMatch(/^v2\./);
    expect((await store.getCredential(KEY))?.token).toBe('OLD_PLAINTEXT');
  });

  it('keeps a record without a value as it is, and refuses a value moved to another key', async () => {
    const inner = createMemoryStore({ clock: new ManualClock() });
    const store = new SealingStore(inner, sealer);
    await store.putCredential(record(null), 0);
    expect((await store.getCredential(KEY))?.token).toBeNull();
    const sealed = (await (async () => {
      await store.putCredential(record('74_x'), 1);
      return (await inner.getCredential(KEY))!.token!;
    })());
    await inner.putCredential({ ...record(sealed), key: 'wxfedcba9876543210:access_token' }, 0);
    await expect(store.getCredential('wxfedcba9876543210:access_token')).rejects.toMatchObject({ code: 'invalid_config' });
  });

  it('has a clock exactly when its backend has one', () => {
    const inner: Store = createMemoryStore({ clock: new ManualClock() });
    expect(new SealingStore(inner, sealer).time).toBeUndefined();
    const timed: Store = Object.assign(Object.create(inner) as Store, { time: async () => 42 });
    expect(new SealingStore(timed, sealer).time).toEqual(expect.any(Function));
  });
});
