/**
 * The Redis Store (ioredis), for running several hub instances against one Redis.
 *
 * Key layout, with P = keyPrefix (default `wxtoken:`). Every key carries the hash tag `{wxtoken}`, so all of an
 * environment's keys live in one Redis Cluster slot and every Lua script touches keys of that one slot. The data
 * is small (a record per principal, credential and client key), so one slot costs nothing and keeps
 * deletePrincipal atomic.
 *
 *   P{wxtoken}:principals      hash   id → PrincipalRecord JSON (sealed secrets, opaque here)
 *   P{wxtoken}:credentials     hash   "<principal id>:<kind>" → CredentialRecord JSON, with its `version`
 *   P{wxtoken}:client-keys     hash   name → ClientKeyRecord JSON (a SHA-256 of the key, never the key)
 *   P{wxtoken}:client-key-uses hash   name → the key's last-used time (epoch ms, decimal)
 *   P{wxtoken}:lease:<name>    string the owner; expires by Redis's clock (SET PX)
 *   Pevents                    pub/sub channel of {"origin": <instance id>, "event": RecordEvent}
 *
 * wxtoken 0.1.0 kept apps in `P{wxtoken}:apps` (appid → app JSON); connecting moves them to `principals`
 * (scripts.ts, migrateApp), so a keyspace written by that release opens with its apps intact. Instances of the
 * previous release still running on the keyspace keep writing there; an app they change afterwards is moved by the
 * next instance of this release that connects. Upgrade every instance of a fleet.
 *
 * Writes are the Lua scripts of scripts.ts: each writes and publishes its event in one atomic step. Every instance
 * holds a dedicated subscriber connection (opened on the first subscribe) and delivers what others publish to its
 * listeners; its own writes are delivered directly when they succeed and their echo is skipped by origin.
 *
 * Delivery is best effort: a message published while an instance's subscriber is disconnected is lost (Redis
 * pub/sub keeps nothing). Such an instance converges by re-reading the store; the hub does so periodically (its
 * resync) and after every reconnection it notices.
 *
 * Outages: the connection never queues commands while disconnected and commands time out, so every method
 * rejects with StoreUnavailableError within about a second while Redis is down; ioredis keeps reconnecting in the
 * background (capped backoff) and the store re-subscribes, so it recovers without being recreated.
 */
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../errors/index.js';
import { assertExpectedVersion, assertTtl } from '../arguments.js';
import { EventRelay } from '../events.js';
import { OutageReport } from '../outage.js';
import { compareText } from '../records.js';
import { ofTypes, type ClientKeyRecord, type CredentialRecord, type PrincipalFilter, type PrincipalRecord, type RecordEvent, type Store, type StoreListener } from '../store.js';
import { resolveRedisOptions, type RedisStoreOptions, type ResolvedRedisOptions } from './options.js';
import {
  decodeClientKey,
  decodeCredential,
  decodePrincipal,
  encodeClientKey,
  encodeCredential,
  encodePrincipal,
  principalFromLegacyApp,
} from './records.js';
import { defineScripts, type RedisScripts } from './scripts.js';

/** Fields per page (HSCAN, HMGET) when many are read: small enough for one page to answer well within the timeout. */
const READ_PAGE_SIZE = 1_000;

/** The cluster hash tag shared by every key of the store. */
const HASH_TAG = '{wxtoken}';

/** The keys of one environment (one prefix). */
interface Keys {
  /** Where wxtoken 0.1.0 kept apps; emptied into `principals` on connecting. */
  readonly legacyApps: string;
  readonly principals: string;
  readonly credentials: string;
  readonly clientKeys: string;
  readonly clientKeyUses: string;
  readonly channel: string;
  lease(name: string): string;
}

function keysFor(prefix: string): Keys {
  const base = `${prefix}${HASH_TAG}:`;
  return {
    legacyApps: `${base}apps`,
    principals: `${base}principals`,
    credentials: `${base}credentials`,
    clientKeys: `${base}client-keys`,
    clientKeyUses: `${base}client-key-uses`,
    channel: `${prefix}events`,
    lease: (name) => `${base}lease:${name}`,
  };
}

/** A Store on Redis; see the module comment for the key layout and the delivery guarantees. */
export class RedisStore implements Store {
  readonly description: string;
  readonly #redis: Redis;
  readonly #scripts: RedisScripts;
  readonly #keys: Keys;
  readonly #listeners = new EventRelay();
  readonly #outage: OutageReport;
  #subscriber: Redis | undefined;
  #subscribing: Promise<void> | undefined;
  #closed = false;

  /** Wraps a connection made by createRedisStore (not yet connected). */
  constructor(redis: Redis, resolved: ResolvedRedisOptions) {
    this.description = resolved.description;
    this.#redis = redis;
    this.#keys = keysFor(resolved.keyPrefix);
    this.#scripts = defineScripts(redis);
    this.#outage = new OutageReport('Redis', this.description, resolved.logger);
    redis.on('error', (error: unknown) => this.#outage.down(error));
    redis.on('close', () => {
      if (!this.#closed) this.#outage.down(new Error('connection closed'));
    });
    redis.on('ready', () => this.#outage.up());
  }

  async listPrincipals(filter?: PrincipalFilter): Promise<PrincipalRecord[]> {
    const found =
      filter && 'ids' in filter
        ? await this.#getFields('list principals', this.#keys.principals, filter.ids, decodePrincipal)
        : await this.#scanHash('list principals', this.#keys.principals, (id, v) => {
            const principal = decodePrincipal(v, id);
            return ofTypes(principal, filter?.types) ? principal : undefined;
          });
    return found.sort((a, b) => compareText(a.id, b.id));
  }

  async getPrincipal(id: string): Promise<PrincipalRecord | null> {
    const value = await this.#run('read principal', () => this.#redis.hget(this.#keys.principals, id));
    return value === null ? null : decodePrincipal(value, id);
  }

  async putPrincipal(principal: PrincipalRecord, ifUnchanged?: PrincipalRecord | null): Promise<boolean> {
    const event: RecordEvent = { type: 'principal', id: principal.id };
    const condition = ifUnchanged === undefined ? '' : ifUnchanged === null ? '-' : String(ifUnchanged.updatedAt);
    const written = await this.#run('write principal', () =>
      this.#scripts.putPrincipal(this.#keys.principals, principal.id, encodePrincipal(principal), this.#keys.channel, this.#listeners.message(event), condition),
    );
    if (written !== 1) return false;
    this.#listeners.emit(event);
    return true;
  }

  async deletePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean> {
    const event: RecordEvent = { type: 'principal', id };
    const condition = ifUnchanged === undefined ? '' : String(ifUnchanged.updatedAt);
    const existed = await this.#run('delete principal', () =>
      this.#scripts.deletePrincipal(this.#keys.principals, this.#keys.credentials, id, this.#keys.channel, this.#listeners.message(event), condition),
    );
    if (existed !== 1) return false;
    this.#listeners.emit(event);
    return true;
  }

  async touchClientKey(name: string, at: number): Promise<void> {
    await this.#run('record client key use', () => this.#scripts.touchClientKey(this.#keys.clientKeys, this.#keys.clientKeyUses, name, at));
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    const value = await this.#run('read credential', () => this.#redis.hget(this.#keys.credentials, key));
    return value === null ? null : decodeCredential(value, key);
  }

  async listCredentials(keys?: readonly string[]): Promise<CredentialRecord[]> {
    const found = keys
      ? await this.#getFields('list credentials', this.#keys.credentials, keys, decodeCredential)
      : await this.#scanHash('list credentials', this.#keys.credentials, (key, v) => decodeCredential(v, key));
    return found.sort((a, b) => compareText(a.key, b.key));
  }

  async listCredentialKeys(): Promise<string[]> {
    const keys = await this.#run('list credentials', () => this.#redis.hkeys(this.#keys.credentials));
    return keys.sort(compareText);
  }

  async putCredential(record: CredentialRecord, expectedVersion: number): Promise<boolean> {
    assertExpectedVersion(expectedVersion);
    const version = expectedVersion + 1;
    const event: RecordEvent = { type: 'credential', key: record.key, version };
    const written = await this.#run('write credential', () =>
      this.#scripts.casCredential(
        this.#keys.credentials,
        record.key,
        expectedVersion,
        encodeCredential(record, version),
        this.#keys.channel,
        this.#listeners.message(event),
      ),
    );
    if (written !== 1) return false;
    this.#listeners.emit(event);
    return true;
  }

  async listClientKeys(): Promise<ClientKeyRecord[]> {
    const [fields, uses] = await this.#run('list client keys', () =>
      Promise.all([this.#redis.hgetall(this.#keys.clientKeys), this.#redis.hgetall(this.#keys.clientKeyUses)]),
    );
    return Object.entries(fields)
      .map(([name, v]) => decodeClientKey(v, name, uses[name]))
      .sort((a, b) => compareText(a.name, b.name));
  }

  async addClientKey(key: ClientKeyRecord): Promise<boolean> {
    const event: RecordEvent = { type: 'client-key', name: key.name };
    const added = await this.#run('add client key', () =>
      this.#scripts.addClientKey(this.#keys.clientKeys, this.#keys.clientKeyUses, key.name, encodeClientKey(key), this.#keys.channel, this.#listeners.message(event)),
    );
    if (added !== 1) return false;
    this.#listeners.emit(event);
    return true;
  }

  async deleteClientKey(name: string): Promise<boolean> {
    const event: RecordEvent = { type: 'client-key', name };
    const existed = await this.#run('delete client key', () =>
      this.#scripts.deleteClientKey(this.#keys.clientKeys, this.#keys.clientKeyUses, name, this.#keys.channel, this.#listeners.message(event)),
    );
    if (existed !== 1) return false;
    this.#listeners.emit(event);
    return true;
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    // PX takes whole milliseconds; rounding up never shortens a lease.
    const held = await this.#run('acquire lease', () => this.#scripts.acquireLease(this.#keys.lease(name), owner, Math.ceil(ttlMs)));
    return held === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#run('release lease', () => this.#scripts.releaseLease(this.#keys.lease(name), owner));
  }

  async subscribe(listener: StoreListener): Promise<() => Promise<void>> {
    this.#assertOpen();
    await this.#ensureSubscribed();
    const remove = this.#listeners.add(listener);
    // The subscriber connection stays open after the last unsubscribe: it is one idle connection, and keeping it
    // spares the next subscriber a round trip.
    return async () => remove();
  }

  /** Redis's clock (TIME), in epoch ms. */
  async time(): Promise<number> {
    const [seconds, micros] = await this.#run('read time', () => this.#redis.time());
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async ping(): Promise<void> {
    await this.#run('ping', () => this.#redis.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await Promise.all([quit(this.#redis), this.#subscriber ? quit(this.#subscriber) : undefined]);
  }

  /** Opens the first connection; rejects (and gives up reconnecting) when Redis does not answer. */
  async connect(): Promise<void> {
    try {
      await this.#redis.connect();
      await this.#redis.ping();
      await this.#migrateLegacyApps();
    } catch (error) {
      this.#closed = true;
      this.#redis.disconnect();
      throw this.#outage.wrap('connect', error);
    }
  }

  /**
   * Every field of a hash, read a page at a time (HSCAN) rather than in one HGETALL: with 100,000 authorizers one
   * reply runs to tens of megabytes and outlasts the command timeout. Each page is decoded as it comes (undefined:
   * skipped), so the raw values are never all held at once. Not a snapshot: a field present for the whole scan is
   * returned once (HSCAN's repeats collapse, the last decoding winning); one written meanwhile may come in its old or
   * new form, which readers reconcile by version as for any event.
   */
  async #scanHash<T>(operation: string, key: string, decode: (field: string, value: string) => T | undefined): Promise<T[]> {
    const found = new Map<string, T>();
    let cursor = '0';
    do {
      const [next, page] = await this.#run(operation, () => this.#redis.hscan(key, cursor, 'COUNT', READ_PAGE_SIZE));
      for (let i = 0; i + 1 < page.length; i += 2) {
        const decoded = decode(page[i]!, page[i + 1]!);
        if (decoded !== undefined) found.set(page[i]!, decoded);
        else found.delete(page[i]!);
      }
      cursor = next;
    } while (cursor !== '0');
    return [...found.values()];
  }

  /** Reads the named fields of a hash that exist, HMGET a page at a time. */
  async #getFields<T>(operation: string, key: string, fields: readonly string[], decode: (value: string, field: string) => T): Promise<T[]> {
    const unique = [...new Set(fields)];
    const found: T[] = [];
    for (let start = 0; start < unique.length; start += READ_PAGE_SIZE) {
      const page = unique.slice(start, start + READ_PAGE_SIZE);
      const values = await this.#run(operation, () => this.#redis.hmget(key, ...page));
      values.forEach((value, i) => {
        if (value !== null) found.push(decode(value, page[i]!));
      });
    }
    return found;
  }

  /** Moves the apps wxtoken 0.1.0 stored to the principals hash (see the module comment). */
  async #migrateLegacyApps(): Promise<void> {
    const legacy = await this.#redis.hgetall(this.#keys.legacyApps);
    for (const [appid, text] of Object.entries(legacy)) {
      const principal = principalFromLegacyApp(text, appid);
      // A value that does not parse stays where it is, named in the error but never shown.
      if (principal === null) throw new StoreUnavailableError(`Redis store: malformed app ${JSON.stringify(appid)} in ${this.#keys.legacyApps}`);
      await this.#scripts.migrateApp(this.#keys.legacyApps, this.#keys.principals, appid, text, encodePrincipal(principal));
    }
  }

  /** Opens the subscriber connection and subscribes, once; concurrent callers share the attempt. */
  async #ensureSubscribed(): Promise<void> {
    if (this.#subscriber) return;
    this.#subscribing ??= (async () => {
      const subscriber = this.#redis.duplicate();
      // Outages are reported by the main connection; the subscriber's errors are expected echoes of them.
      subscriber.on('error', () => {});
      subscriber.on('message', (channel: string, text: string) => this.#onMessage(channel, text));
      try {
        await subscriber.connect();
        await subscriber.subscribe(this.#keys.channel);
      } catch (error) {
        subscriber.disconnect();
        throw this.#outage.wrap('subscribe', error);
      }
      if (this.#closed) {
        subscriber.disconnect();
        throw this.#outage.wrap('subscribe', new Error('closed while subscribing'));
      }
      // What was published while the connection was down is gone: after every reconnection the store subscribes
      // again (a new connection is not subscribed) and, once Redis has confirmed it, tells listeners to re-read, so
      // nothing published after their read is missed either. ioredis could re-subscribe by itself, but nothing
      // would handle that command's failure: a connection closed or dropped while it was in flight ended the test
      // process with an unhandled rejection (CI, 2026-11-30, ioredis 5.11.1).
      let interrupted = false;
      subscriber.on('close', () => {
        interrupted = true;
      });
      subscriber.on('ready', () => {
        if (interrupted && !this.#closed) void this.#resubscribe(subscriber, () => (interrupted = false));
      });
      this.#subscriber = subscriber;
    })().finally(() => {
      this.#subscribing = undefined;
    });
    await this.#subscribing;
  }

  /** Subscribes a reconnected subscriber again; on failure, reconnects it so that its next 'ready' tries again. */
  async #resubscribe(subscriber: Redis, done: () => void): Promise<void> {
    try {
      await subscriber.subscribe(this.#keys.channel);
    } catch {
      // Dropped meanwhile: it reconnects by itself. Timed out on a live connection: start over on a new one.
      if (!this.#closed && subscriber.status === 'ready') subscriber.disconnect(true);
      return;
    }
    done();
    if (!this.#closed) this.#listeners.emit({ type: 'resync' });
  }

  #onMessage(channel: string, text: string): void {
    if (channel === this.#keys.channel && !this.#closed) this.#listeners.receive(text);
  }

  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    // A failure is reported as an outage here too, not only on connection events: a command can fail on a socket
    // that has seen the server's FIN before ioredis emits 'close'.
    return this.#outage.call(operation, fn);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError(`Redis store ${this.description} is closed`);
  }
}

/**
 * Connects to the Redis at `url` (`redis://[user:pass@]host:port/db[?prefix=...]`, `rediss://` for TLS). Rejects
 * with ConfigError for a bad URL or option, StoreUnavailableError when Redis cannot be reached.
 */
export async function createRedisStore(url: string, options: RedisStoreOptions = {}): Promise<Store> {
  const resolved = resolveRedisOptions(url, options);
  const store = new RedisStore(new Redis(resolved.ioredis), resolved);
  await store.connect();
  return store;
}

/** Closes politely when connected, else at once (QUIT cannot be sent without a connection). */
async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Fall through: the connection went away meanwhile.
    }
  }
  redis.disconnect();
}
