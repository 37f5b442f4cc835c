/**
 * The Redis Store (ioredis), for running several hub instances against one Redis.
 *
 * Key layout, with P = keyPrefix (default `wxtoken:`). Every key carries the hash tag `{wxtoken}`, so all of an
 * environment's keys live in one Redis Cluster slot and every Lua script touches keys of that one slot. The data
 * is small (a record per app, credential and client key), so one slot costs nothing and keeps deleteApp atomic.
 *
 *   P{wxtoken}:apps            hash   appid → AppRecord JSON (sealed secret, opaque here)
 *   P{wxtoken}:credentials     hash   "<appid>:<kind>" → CredentialRecord JSON, with its `version`
 *   P{wxtoken}:client-keys     hash   name → ClientKeyRecord JSON (a SHA-256 of the key, never the key)
 *   P{wxtoken}:lease:<name>    string the owner; expires by Redis's clock (SET PX)
 *   Pevents                    pub/sub channel of {"origin": <instance id>, "event": StoreEvent}
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
 * background (capped backoff) and the subscriber re-subscribes, so the store recovers without being recreated.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { StoreUnavailableError, WxTokenError } from '../../errors/index.js';
import { ListenerSet } from '../events.js';
import { assertTtl } from '../memory/memory-store.js';
import type { AppRecord, ClientKeyRecord, CredentialRecord, Store, StoreEvent, StoreListener } from '../store.js';
import { resolveRedisOptions, type RedisStoreOptions, type ResolvedRedisOptions, type StoreLogger } from './options.js';
import {
  decodeApp,
  decodeClientKey,
  decodeCredential,
  decodeMessage,
  encodeApp,
  encodeClientKey,
  encodeCredential,
  encodeMessage,
} from './records.js';
import { defineScripts, type RedisScripts } from './scripts.js';

/** The cluster hash tag shared by every key of the store. */
const HASH_TAG = '{wxtoken}';

/** The keys of one environment (one prefix). */
interface Keys {
  readonly apps: string;
  readonly credentials: string;
  readonly clientKeys: string;
  readonly channel: string;
  lease(name: string): string;
}

function keysFor(prefix: string): Keys {
  const base = `${prefix}${HASH_TAG}:`;
  return {
    apps: `${base}apps`,
    credentials: `${base}credentials`,
    clientKeys: `${base}client-keys`,
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
  readonly #origin = randomUUID();
  readonly #listeners = new ListenerSet();
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
    this.#outage = new OutageReport(resolved.logger, this.description);
    redis.on('error', (error: unknown) => this.#outage.down(error));
    redis.on('close', () => {
      if (!this.#closed) this.#outage.down(new Error('connection closed'));
    });
    redis.on('ready', () => this.#outage.up());
  }

  async listApps(): Promise<AppRecord[]> {
    const fields = await this.#run('list apps', () => this.#redis.hgetall(this.#keys.apps));
    return Object.entries(fields)
      .map(([appid, v]) => decodeApp(v, appid))
      .sort((a, b) => compare(a.appid, b.appid));
  }

  async getApp(appid: string): Promise<AppRecord | null> {
    const value = await this.#run('read app', () => this.#redis.hget(this.#keys.apps, appid));
    return value === null ? null : decodeApp(value, appid);
  }

  async putApp(app: AppRecord): Promise<void> {
    const event: StoreEvent = { type: 'app', appid: app.appid };
    await this.#run('write app', () => this.#scripts.putApp(this.#keys.apps, app.appid, encodeApp(app), this.#keys.channel, this.#message(event)));
    this.#listeners.emit(event);
  }

  async deleteApp(appid: string): Promise<boolean> {
    const event: StoreEvent = { type: 'app', appid };
    const existed = await this.#run('delete app', () =>
      this.#scripts.deleteApp(this.#keys.apps, this.#keys.credentials, appid, this.#keys.channel, this.#message(event)),
    );
    if (existed !== 1) return false;
    this.#listeners.emit(event);
    return true;
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    const value = await this.#run('read credential', () => this.#redis.hget(this.#keys.credentials, key));
    return value === null ? null : decodeCredential(value, key);
  }

  async putCredential(record: CredentialRecord, expectedVersion: number): Promise<boolean> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new RangeError(`expectedVersion must be a non-negative integer, got ${expectedVersion}`);
    }
    const version = expectedVersion + 1;
    const event: StoreEvent = { type: 'credential', key: record.key, version };
    const written = await this.#run('write credential', () =>
      this.#scripts.casCredential(
        this.#keys.credentials,
        record.key,
        expectedVersion,
        encodeCredential(record, version),
        this.#keys.channel,
        this.#message(event),
      ),
    );
    if (written !== 1) return false;
    this.#listeners.emit(event);
    return true;
  }

  async listClientKeys(): Promise<ClientKeyRecord[]> {
    const fields = await this.#run('list client keys', () => this.#redis.hgetall(this.#keys.clientKeys));
    return Object.entries(fields)
      .map(([name, v]) => decodeClientKey(v, name))
      .sort((a, b) => compare(a.name, b.name));
  }

  async addClientKey(key: ClientKeyRecord): Promise<boolean> {
    const event: StoreEvent = { type: 'client-key', name: key.name };
    const added = await this.#run('add client key', () =>
      this.#scripts.addClientKey(this.#keys.clientKeys, key.name, encodeClientKey(key), this.#keys.channel, this.#message(event)),
    );
    if (added !== 1) return false;
    this.#listeners.emit(event);
    return true;
  }

  async deleteClientKey(name: string): Promise<boolean> {
    const event: StoreEvent = { type: 'client-key', name };
    const existed = await this.#run('delete client key', () =>
      this.#scripts.deleteClientKey(this.#keys.clientKeys, name, this.#keys.channel, this.#message(event)),
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
    } catch (error) {
      this.#closed = true;
      this.#redis.disconnect();
      throw this.#wrap('connect', error);
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
        throw this.#wrap('subscribe', error);
      }
      if (this.#closed) {
        subscriber.disconnect();
        throw this.#wrap('subscribe', new Error('closed while subscribing'));
      }
      this.#subscriber = subscriber;
    })().finally(() => {
      this.#subscribing = undefined;
    });
    await this.#subscribing;
  }

  #onMessage(channel: string, text: string): void {
    if (channel !== this.#keys.channel || this.#closed) return;
    const message = decodeMessage(text);
    // Our own writes were delivered when they succeeded.
    if (message === null || message.origin === this.#origin) return;
    this.#listeners.emit(message.event);
  }

  #message(event: StoreEvent): string {
    return encodeMessage(this.#origin, event);
  }

  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      // Reported here too, not only on connection events: a command can fail on a socket that has seen the
      // server's FIN before ioredis emits 'close'.
      this.#outage.down(error);
      throw this.#wrap(operation, error);
    }
    this.#outage.up();
    return result;
  }

  #wrap(operation: string, error: unknown): WxTokenError {
    if (error instanceof WxTokenError) return error;
    return new StoreUnavailableError(`Redis store ${this.description}: ${operation} failed: ${messageOf(error)}`, {
      cause: safeCause(error),
    });
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

/** Reports an outage once when it starts and once when it ends, however many calls fail in between. */
class OutageReport {
  #down = false;
  readonly #logger: StoreLogger | undefined;
  readonly #description: string;

  constructor(logger: StoreLogger | undefined, description: string) {
    this.#logger = logger;
    this.#description = description;
  }

  down(error: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#logger?.warn(
      { store: this.#description, err: messageOf(error) },
      'Redis store unreachable; store calls fail with store_unavailable until it returns',
    );
  }

  up(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#logger?.warn({ store: this.#description }, 'Redis store reachable again');
  }
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A copy of `error` fit to keep as a cause: ioredis attaches the failed command and its arguments (records, tokens,
 * an AUTH password) to its errors, and a logger serialising the cause would print them.
 */
function safeCause(error: unknown): Error {
  const copy = new Error(messageOf(error));
  copy.name = error instanceof Error ? error.name : 'Error';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (copy as Error & { code: string }).code = code;
  return copy;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
