/**
 * The Redis side of BullMQ sweeps, through ioredis (BullMQ's default driver, its optional peer
 * dependency). A `redis://` URL becomes the ioredis options BullMQ passes to `new IORedis(...)`:
 * every Queue and Worker then opens and closes its own connections, as the BullMQ connection guide
 * shows, with `maxRetriesPerRequest: null` (a command waits for a reconnect instead of failing after
 * 20 tries: required for workers, and what lets the coordinator ride out a Redis restart) and BullMQ's
 * reconnect strategy (every second for the first tries, then growing to at most 20 s between tries, forever).
 */
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { OptionError, TransmriError } from '../backend/errors.js';

/** Where a Redis server is. */
export interface RedisAddress {
  host: string;
  port: number;
  /** Database index; default 0. */
  db: number;
  username?: string;
  password?: string;
}

/**
 * Parses `redis://[user:password@]host[:port][/db]` (port 6379 and db 0 by default).
 * @throws OptionError naming `option` when the URL is not a redis:// URL.
 */
export function parseRedisUrl(url: string, option = 'queue'): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OptionError(option, `expected a URL like redis://127.0.0.1:6379, got "${url}"`);
  }
  if (u.protocol !== 'redis:') throw new OptionError(option, `only redis:// URLs are supported, got "${url}"`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new OptionError(option, `database index must be a non-negative integer, got "${u.pathname.slice(1)}" in "${url}"`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
}

/**
 * BullMQ's `connection` option for the server at `url`: ioredis options (not a shared client), so each
 * Queue and Worker owns its connections and closes them in its `close()`.
 * @throws OptionError naming `option` when the URL is not a redis:// URL.
 */
export function redisConnection(url: string, option = 'queue'): RedisOptions {
  const a = parseRedisUrl(url, option);
  return { host: a.host, port: a.port, db: a.db, ...(a.username === undefined ? {} : { username: a.username }), ...(a.password === undefined ? {} : { password: a.password }), maxRetriesPerRequest: null };
}

/** Redis could not be reached. */
export class QueueUnreachableError extends TransmriError {}

/**
 * Connects once and PINGs, with a timeout and no retries, so that a wrong URL fails fast with a clear message.
 * @throws OptionError naming `option` for a malformed URL, QueueUnreachableError naming the URL when no server answers
 */
export async function checkRedis(url: string, timeoutMs = 5000, option = 'queue'): Promise<void> {
  const client = new Redis({ ...redisConnection(url, option), lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let socketError: Error | undefined; // ioredis rejects with 'Connection is closed.': the socket's error says why
  client.on('error', (e: Error) => (socketError ??= e));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new QueueUnreachableError(`cannot reach Redis at ${url}: ${(socketError ?? (err as Error)).message}`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
