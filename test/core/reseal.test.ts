import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { secretContext } from '../../src/core/principals.js';
import { reseal, type ResealProgress } from '../../src/core/reseal.js';
import { createSealer } from '../../src/core/sealer.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { credentialContext } from '../../src/stores/sealing-store.js';
import type { CredentialRecord, Store } from '../../src/stores/store.js';

const OLD = createSealer({ current: Buffer.alloc(32, 1) });
const NEW = createSealer({ current: Buffer.alloc(32, 2), previous: [Buffer.alloc(32, 1)] });
const APP = 'wx0123456789abcdef';
const KEY = `${APP}:access_token`;

const record = (token: string | null): CredentialRecord => ({
  key: KEY,
  version: 0,
  token,
  expiresAt: 1,
  obtainedAt: 1,
  failure: null,
  state: null,
  pending: null,
  invalidations: 0,
});

async function seeded(): Promise<Store> {
  const store = createMemoryStore({ clock: new ManualClock() });
  await store.putPrincipal({ id: APP, type: 'app', attributes: { grant: 'stable' }, secrets: { secret: OLD.seal('s3cret', APP) }, createdAt: 1, updatedAt: 1 });
  await store.putCredential(record(OLD.seal('74_tok', credentialContext(KEY))), 0);
  await store.putCredential({ ...record('PLAINTEXT_TICKET'), key: `${APP}:jsapi_ticket` }, 0);
  await store.putCredential({ ...record(null), key: `${APP}:wx_card_ticket` }, 0);
  return store;
}

describe('reseal', () => {
  it('re-seals secrets, sealed and plaintext values under the current key, reporting progress', async () => {
    const store = await seeded();
    const progress: ResealProgress[] = [];
    const report = await reseal(store, NEW, { onProgress: (p) => progress.push(p) });
    expect(report).toEqual({ resealed: { secrets: 1, credentials: 2 }, current: { secrets: 0, credentials: 1 }, remaining: 0 });
    expect(progress.at(0)).toEqual({ phase: 'secrets', done: 1, total: 1 });
    expect(progress.at(-1)).toEqual({ phase: 'credentials', done: 3, total: 3 });
    const app = await store.getPrincipal(APP);
    expect(NEW.isCurrent(app!.secrets.secret!) && NEW.open(app!.secrets.secret!, APP)).toBe('s3cret');
    const token = (await store.getCredential(KEY))!.token!;
    expect(NEW.isCurrent(token) && NEW.open(token, credentialContext(KEY))).toBe('74_tok');
    const ticket = (await store.getCredential(`${APP}:jsapi_ticket`))!.token!;
    expect(NEW.open(ticket, credentialContext(`${APP}:jsapi_ticket`))).toBe('PLAINTEXT_TICKET');
    // Idempotent: a second pass finds nothing to do.
    expect(await reseal(store, NEW)).toEqual({ resealed: { secrets: 0, credentials: 0 }, current: { secrets: 1, credentials: 3 }, remaining: 0 });
  });

  it('a dry run counts and writes nothing', async () => {
    const store = await seeded();
    expect(await reseal(store, NEW, { dryRun: true })).toEqual({ resealed: { secrets: 0, credentials: 0 }, current: { secrets: 0, credentials: 1 }, remaining: 3 });
    expect(OLD.isCurrent((await store.getPrincipal(APP))!.secrets.secret!)).toBe(true);
  });

  it('re-seals a principal under its write lease: a refresh token an instance writes meanwhile is never overwritten', async () => {
    const clock = new ManualClock();
    const inner = createMemoryStore({ clock });
    const ID = 'component:wx00000000000000c1/wx00000000000000a1';
    const sealed = (plain: string, sealer = OLD) => ({ refresh_token: sealer.seal(plain, secretContext(ID, 'refresh_token')) });
    await inner.putPrincipal({ id: ID, type: 'authorizer', attributes: { status: 'active' }, secrets: sealed('refresh@@@old'), createdAt: 1, updatedAt: 1 });
    // An instance writes a new refresh token (under its lease, as AuthorizerRecords does) just as re-sealing reads.
    let instanceWrote = false;
    const instanceWrite = async (): Promise<void> => {
      if (!(await inner.acquireLease(`principal:${ID}`, 'instance-a', 3_000))) return;
      await inner.putPrincipal({ id: ID, type: 'authorizer', attributes: { status: 'active' }, secrets: sealed('refresh@@@new', NEW), createdAt: 1, updatedAt: 2 });
      await inner.releaseLease(`principal:${ID}`, 'instance-a');
      instanceWrote = true;
    };
    const racing = new Proxy(inner, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (name === 'getPrincipal') {
          return async (id: string) => {
            const read = await target.getPrincipal(id);
            if (!instanceWrote) await instanceWrite();
            return read;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    await reseal(racing, NEW, { clock });
    // Refused the lease while re-sealing held it, the instance writes after (its retry).
    if (!instanceWrote) await instanceWrite();
    const stored = (await inner.getPrincipal(ID))!;
    expect(NEW.open(stored.secrets.refresh_token!, secretContext(ID, 'refresh_token'))).toBe('refresh@@@new');
  });

  it('a refresh landing between the read and the write wins, and its value is looked at again', async () => {
    const inner = await seeded();
    let raced = false;
    const store = new Proxy(inner, {
      get(target, property) {
        if (property === 'putCredential') {
          return async (r: CredentialRecord, expected: number) => {
            if (!raced && r.key === KEY) {
              raced = true; // another instance refreshes first, still sealing with the old key
              await target.putCredential(record(OLD.seal('74_newer', credentialContext(KEY))), expected);
            }
            return target.putCredential(r, expected);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as Store;
    const report = await reseal(store, NEW);
    expect(report.remaining).toBe(0);
    const token = (await inner.getCredential(KEY))!;
    expect(token.version).toBe(3);
    expect(NEW.isCurrent(token.token!) && NEW.open(token.token!, credentialContext(KEY))).toBe('74_newer');
  });
});
