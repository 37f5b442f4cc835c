import type { Redis } from 'ioredis';

/**
 * The atomic steps of the Redis store, as named Lua scripts registered with ioredis `defineCommand` (which runs
 * them by EVALSHA and re-sends the source after a server restart flushed the script cache).
 *
 * Every script touches only keys under one hash tag (see the key layout in redis-store.ts), so each runs on a
 * single Redis Cluster slot. A script that changes a record PUBLISHes its event in the same atomic step: a write
 * is never visible without its event having been sent, and a write that did not happen publishes nothing.
 * Channels are not keys, so PUBLISH is allowed in a script on a cluster too.
 */

/**
 * Lua: returns 0 from the script unless principal ARGV[1] is stored in KEYS[1] with the updatedAt in ARGV[n] (a
 * number below 2^53, so exact as a Lua number): the conditions of putPrincipal and deletePrincipal.
 */
function unchangedSince(n: number): string {
  return `local current = redis.call('HGET', KEYS[1], ARGV[1])
  if not current then return 0 end
  local ok, decoded = pcall(cjson.decode, current)
  if not ok or type(decoded) ~= 'table' or decoded.updatedAt ~= tonumber(ARGV[${n}]) then return 0 end`;
}

/**
 * putPrincipal — creates or replaces a principal and announces it; with a condition, only if the stored one is still
 * the one the writer read (none, or the same updatedAt).
 * KEYS[1] principals hash. ARGV[1] id, ARGV[2] the PrincipalRecord as JSON, ARGV[3] channel, ARGV[4] event message,
 * ARGV[5] the condition: '' none, '-' no principal stored, else the updatedAt the stored one must have.
 * Returns 1 when written, 0 when the condition failed.
 */
const PUT_PRINCIPAL = `
if ARGV[5] == '-' then
  if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
elseif ARGV[5] ~= '' then
  ${unchangedSince(5)}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/**
 * deletePrincipal — removes a principal and every credential whose key starts with "<id>:", in one step so no
 * reader sees the credentials of a deleted principal. Keys are compared as plain strings (string.sub), never as
 * patterns: ids may contain `*`, `%` or `_`. Orphaned credentials go even when the principal is already gone; the
 * event is published only when it existed. With a condition, nothing is removed unless the stored principal has
 * that updatedAt (as putPrincipal compares).
 * KEYS[1] principals hash, KEYS[2] credentials hash. ARGV[1] id, ARGV[2] channel, ARGV[3] event message, ARGV[4]
 * the condition: '' none, else the updatedAt the stored principal must have.
 * Returns 1 when the principal existed (and was removed), else 0.
 */
const DELETE_PRINCIPAL = `
if ARGV[4] ~= '' then
  ${unchangedSince(4)}
end
local existed = redis.call('HDEL', KEYS[1], ARGV[1])
local prefix = ARGV[1] .. ':'
local n = #prefix
local doomed = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  if string.sub(field, 1, n) == prefix then
    doomed[#doomed + 1] = field
  end
end
-- unpack() is bounded by Lua's C stack, so delete in batches.
for i = 1, #doomed, 500 do
  redis.call('HDEL', KEYS[2], unpack(doomed, i, math.min(i + 499, #doomed)))
end
if existed == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return existed
`;

/**
 * migrateApp — moves one app of wxtoken 0.1.0's `apps` hash to the principals hash, only if its stored form is
 * still the one the caller read and converted (an instance of the previous release may have rewritten it since:
 * then it stays, for the next migration). A principal already there wins: it was written by this release.
 * KEYS[1] legacy apps hash, KEYS[2] principals hash. ARGV[1] appid, ARGV[2] the app's JSON as read, ARGV[3] the
 * principal's JSON. Returns 1 when moved, else 0.
 */
const MIGRATE_APP = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;

/**
 * casCredential — the fencing compare-and-set of one credential record: writes only if the stored version is the
 * expected one (0: no record), so an instance that lost its lease cannot overwrite a newer token.
 * KEYS[1] credentials hash. ARGV[1] credential key, ARGV[2] expected version, ARGV[3] the new record as JSON
 * (carrying version = expected + 1), ARGV[4] channel, ARGV[5] event message.
 * Returns 1 when written, 0 when another writer got there first (nothing written, nothing published).
 */
const CAS_CREDENTIAL = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local version = 0
if current then
  version = tonumber(cjson.decode(current).version)
end
if version ~= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;

/**
 * addClientKey — adds a client key unless the name is taken, with no last-used time.
 * KEYS[1] client-keys hash, KEYS[2] client-key-uses hash. ARGV[1] name, ARGV[2] the ClientKeyRecord as JSON,
 * ARGV[3] channel, ARGV[4] message.
 * Returns 1 when added, 0 when the name was taken (nothing written, nothing published).
 */
const ADD_CLIENT_KEY = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/**
 * deleteClientKey — removes a client key and its last-used time.
 * KEYS[1] client-keys hash, KEYS[2] client-key-uses hash. ARGV[1] name, ARGV[2] channel, ARGV[3] event message.
 * Returns 1 when it existed, else 0 (and publishes nothing).
 */
const DELETE_CLIENT_KEY = `
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

/**
 * touchClientKey — records a key's last use, keeping the later time; nothing for an unknown key, no event.
 * Kept beside the record rather than in its JSON so the record is never re-encoded by Lua (cjson would round
 * large numbers). KEYS[1] client-keys hash, KEYS[2] client-key-uses hash. ARGV[1] name, ARGV[2] epoch ms.
 */
const TOUCH_CLIENT_KEY = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and tonumber(current) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`;

/**
 * acquireLease — takes a free (or expired) lease, or extends one the owner already holds. Expiry is Redis's own
 * clock: the key simply disappears PX milliseconds after it was last set, whatever the instances' clocks say.
 * KEYS[1] lease key. ARGV[1] owner, ARGV[2] TTL in ms (a positive integer).
 * Returns 1 when the owner now holds the lease, 0 when someone else does.
 */
const ACQUIRE_LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/**
 * releaseLease — deletes the lease only if the caller still holds it, so an instance whose lease expired and was
 * taken over cannot release the new holder's lease.
 * KEYS[1] lease key. ARGV[1] owner. Returns 1 when released, else 0.
 */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

type Arg = string | number;

/** The scripts, callable once registered on a connection. Each resolves to the script's integer reply. */
export interface RedisScripts {
  putPrincipal(principals: string, id: string, json: string, channel: string, message: string, condition: string): Promise<number>;
  deletePrincipal(principals: string, credentials: string, id: string, channel: string, message: string, condition: string): Promise<number>;
  migrateApp(legacyApps: string, principals: string, appid: string, legacyJson: string, json: string): Promise<number>;
  casCredential(
    credentials: string,
    key: string,
    expectedVersion: number,
    json: string,
    channel: string,
    message: string,
  ): Promise<number>;
  addClientKey(clientKeys: string, uses: string, name: string, json: string, channel: string, message: string): Promise<number>;
  deleteClientKey(clientKeys: string, uses: string, name: string, channel: string, message: string): Promise<number>;
  touchClientKey(clientKeys: string, uses: string, name: string, at: number): Promise<number>;
  acquireLease(lease: string, owner: string, ttlMs: number): Promise<number>;
  releaseLease(lease: string, owner: string): Promise<number>;
}

const DEFINITIONS: Record<keyof RedisScripts, { numberOfKeys: number; lua: string }> = {
  putPrincipal: { numberOfKeys: 1, lua: PUT_PRINCIPAL },
  deletePrincipal: { numberOfKeys: 2, lua: DELETE_PRINCIPAL },
  migrateApp: { numberOfKeys: 2, lua: MIGRATE_APP },
  casCredential: { numberOfKeys: 1, lua: CAS_CREDENTIAL },
  addClientKey: { numberOfKeys: 2, lua: ADD_CLIENT_KEY },
  deleteClientKey: { numberOfKeys: 2, lua: DELETE_CLIENT_KEY },
  touchClientKey: { numberOfKeys: 2, lua: TOUCH_CLIENT_KEY },
  acquireLease: { numberOfKeys: 1, lua: ACQUIRE_LEASE },
  releaseLease: { numberOfKeys: 1, lua: RELEASE_LEASE },
};

/** Registers every script on `redis` (defineCommand) and returns them as typed functions. */
export function defineScripts(redis: Redis): RedisScripts {
  const commands = redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>;
  const scripts: Partial<Record<keyof RedisScripts, (...args: Arg[]) => Promise<number>>> = {};
  for (const [name, definition] of Object.entries(DEFINITIONS) as [keyof RedisScripts, (typeof DEFINITIONS)[keyof RedisScripts]][]) {
    redis.defineCommand(name, definition);
    scripts[name] = async (...args: Arg[]) => Number(await commands[name]!.call(redis, ...args));
  }
  return scripts as unknown as RedisScripts;
}
