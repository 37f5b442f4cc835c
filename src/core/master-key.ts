import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../errors/index.js';
import { DEFAULT_STORE_URL, parseStoreUrl } from '../stores/open-store.js';
import { MASTER_KEY_BYTES } from './secret-box.js';

/** The environment variable holding the master key: 32 bytes as 64 hex characters or base64. */
export const MASTER_KEY_ENV = 'WXTOKEN_MASTER_KEY';

/**
 * Keys that open but never seal: the old key while a rotation is rolled out (docs/keys.md). 32 bytes each, hex or
 * base64, comma-separated.
 */
export const PREVIOUS_MASTER_KEYS_ENV = 'WXTOKEN_MASTER_KEY_PREVIOUS';

/** Appended to the SQLite database path to name the key file beside it (`./wxtoken.db.key`). */
export const KEY_FILE_SUFFIX = '.key';

/** The file-system calls loadMasterKey makes; node:fs/promises by default, a fake in tests. */
export interface MasterKeyFs {
  stat(path: string): Promise<{ mode: number; isFile(): boolean }>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: string, options: { mode: number; flag: string }): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
}

/** Options for loadMasterKey. */
export interface LoadMasterKeyOptions {
  /** Where WXTOKEN_MASTER_KEY is read from (an empty value counts as unset). */
  env: Readonly<Record<string, string | undefined>>;
  /** The store URL; decides where the key file lives when the variable is unset. Default DEFAULT_STORE_URL. */
  storeUrl?: string;
  /** An explicit key file, overriding the one derived from the store URL. */
  keyPath?: string;
  /** Default: node:fs/promises. */
  fs?: MasterKeyFs;
  /** Source of new keys. Default: node:crypto randomBytes. */
  randomBytes?: (size: number) => Buffer;
  /** Decides whether POSIX permission bits mean anything. Default: process.platform. */
  platform?: NodeJS.Platform;
}

/** The master key and where it came from; `warnings` are for the caller to log (they hold no key material). */
export interface MasterKey {
  readonly key: Buffer;
  /**
   * Keys that open values but never seal them (a rotation in progress): WXTOKEN_MASTER_KEY_PREVIOUS, and the lines
   * after the first of a key file.
   */
  readonly previous: readonly Buffer[];
  /**
   * `env`: WXTOKEN_MASTER_KEY; `file`: an existing key file; `created`: a key file written just now (tell the
   * operator once, so they back it up); `ephemeral`: a random key for a memory store, gone at exit.
   */
  readonly source: 'env' | 'file' | 'created' | 'ephemeral';
  /** The key file, for `file` and `created`. */
  readonly path?: string;
  readonly warnings: readonly string[];
}

const FORMAT = `${MASTER_KEY_BYTES} bytes written as 64 hex characters or base64`;

/**
 * Loads the master key that seals app secrets: from WXTOKEN_MASTER_KEY if set, else from the key file beside the
 * SQLite database (`<db>.key`), creating it with mode 0600 if absent. A memory store gets an ephemeral key.
 * Redis and PostgreSQL require the variable: instances on different hosts must share one key, which a per-host
 * file cannot guarantee. Throws ConfigError naming the variable or file, never echoing the key.
 */
export async function loadMasterKey(options: LoadMasterKeyOptions): Promise<MasterKey> {
  const fs = options.fs ?? nodeFs;
  const random = options.randomBytes ?? cryptoRandomBytes;
  const platform = options.platform ?? process.platform;

  const previousFromEnv = parsePreviousKeys(options.env[PREVIOUS_MASTER_KEYS_ENV]);
  const fromEnv = options.env[MASTER_KEY_ENV]?.trim();
  if (fromEnv) return { key: parseKey(fromEnv, MASTER_KEY_ENV), previous: previousFromEnv, source: 'env', warnings: [] };
  const withPrevious = (found: MasterKey): MasterKey => ({ ...found, previous: [...found.previous, ...previousFromEnv] });

  let path = options.keyPath;
  if (path === undefined) {
    const location = parseStoreUrl(options.storeUrl ?? DEFAULT_STORE_URL);
    switch (location.kind) {
      case 'memory':
        return { key: random(MASTER_KEY_BYTES), previous: [], source: 'ephemeral', warnings: [] };
      case 'redis':
      case 'postgres':
        throw new ConfigError(
          `${MASTER_KEY_ENV} must be set for a ${location.kind} store: every instance must seal secrets with the same key`,
        );
      case 'sqlite':
        path = `${location.path}${KEY_FILE_SUFFIX}`;
    }
  }

  const existing = await readKeyFile(fs, path, platform);
  if (existing) return withPrevious(existing);

  const key = random(MASTER_KEY_BYTES);
  if (key.length !== MASTER_KEY_BYTES) throw new ConfigError(`master key randomBytes must return ${MASTER_KEY_BYTES} bytes`);
  try {
    await fs.mkdir(dirname(path), { recursive: true });
    // `wx`: never overwrite a key another process has just written; losing a key loses every secret sealed with it.
    await fs.writeFile(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (errorCode(error) === 'EEXIST') {
      const raced = await readKeyFile(fs, path, platform);
      if (raced) return withPrevious(raced);
    }
    throw new ConfigError(`cannot create master key file ${path} (${errorCode(error) ?? 'unknown error'}); set ${MASTER_KEY_ENV} instead`);
  }
  return { key, previous: previousFromEnv, source: 'created', path, warnings: [] };
}

/** The key in `path`, or undefined when there is no such file. */
async function readKeyFile(fs: MasterKeyFs, path: string, platform: NodeJS.Platform): Promise<MasterKey | undefined> {
  let mode: number;
  let content: Buffer;
  try {
    const stats = await fs.stat(path);
    if (!stats.isFile()) throw new ConfigError(`master key file ${path} is not a regular file`);
    mode = stats.mode;
    content = await fs.readFile(path);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read master key file ${path} (${errorCode(error) ?? 'unknown error'})`);
  }
  const warnings: string[] = [];
  // Windows has no POSIX permission bits; Node reports made-up ones there.
  if (platform !== 'win32' && (mode & 0o077) !== 0) {
    warnings.push(
      `master key file ${path} is accessible to other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 on it`,
    );
  }
  // The first line is the current key; further lines are previous keys (a rotation in progress, docs/keys.md).
  const lines = content.toString('utf8').split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  const where = `master key file ${path}`;
  return {
    key: parseKey(lines[0] ?? '', where),
    previous: lines.slice(1).map((line, i) => parseKey(line, `${where} (line ${i + 2})`)),
    source: 'file',
    path,
    warnings,
  };
}

/** The previous keys in WXTOKEN_MASTER_KEY_PREVIOUS (comma-separated); none when unset or empty. */
function parsePreviousKeys(value: string | undefined): Buffer[] {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part, i) => parseKey(part, `${PREVIOUS_MASTER_KEYS_ENV} (entry ${i + 1})`));
}

/** Decodes 64 hex characters or base64 / base64url of exactly 32 bytes; `where` names the source in errors. */
export function parseKey(text: string, where: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text, 'base64');
    if (decoded.length === MASTER_KEY_BYTES) return decoded;
  }
  // The length helps spot a truncated paste; the value itself never goes into the message.
  throw new ConfigError(`${where} must hold ${FORMAT} (e.g. \`openssl rand -hex 32\`); got ${text.length} characters`);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
