// Deletes a bench key prefix from Redis (SCAN + DEL), so runs leave nothing behind.
import { Redis } from 'ioredis';

/** Removes every key under `prefix`. */
export async function dropPrefix(url, prefix) {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
