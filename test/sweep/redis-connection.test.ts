import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OptionError, QueueUnreachableError, parseRedisUrl } from '../../src/index.js';
import { checkRedis, redisConnection } from '../../src/sweep/redis.js';

/** A loopback port that nothing listens on (taken, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('Redis URLs and the BullMQ connection', () => {
  it('parses redis:// URLs (defaults, credentials, database) and names the option of a bad one', () => {
    expect(parseRedisUrl('redis://10.0.0.5')).toEqual({ host: '10.0.0.5', port: 6379, db: 0, username: undefined, password: undefined });
    expect(parseRedisUrl('redis://ann:p%40ss@host:7000/3')).toEqual({ host: 'host', port: 7000, db: 3, username: 'ann', password: 'p@ss' });
    expect(parseRedisUrl('redis://[::1]:6380')).toMatchObject({ host: '::1', port: 6380 });
    expect(() => parseRedisUrl('localhost:6379', 'SweepWorkerOptions.queue')).toThrow(OptionError);
    expect(() => parseRedisUrl('localhost:6379', 'SweepWorkerOptions.queue')).toThrow(/^option SweepWorkerOptions\.queue: only redis:\/\/ URLs are supported, got "localhost:6379"$/);
    expect(() => parseRedisUrl('redis://h:1/x')).toThrow(/^option queue: database index must be a non-negative integer, got "x"/);
    expect(() => parseRedisUrl('not a url')).toThrow(/^option queue: expected a URL like redis:\/\/127\.0\.0\.1:6379/);
  });

  it('gives BullMQ ioredis options that wait for a reconnect (maxRetriesPerRequest null), without empty credentials', () => {
    expect(redisConnection('redis://h:7000/2')).toEqual({ host: 'h', port: 7000, db: 2, maxRetriesPerRequest: null });
    expect(redisConnection('redis://:secret@h')).toEqual({ host: 'h', port: 6379, db: 0, password: 'secret', maxRetriesPerRequest: null });
    expect(() => redisConnection('http://h', 'RunSweepOptions.queue')).toThrow(/^option RunSweepOptions\.queue: /);
  });

  it('fails fast with QueueUnreachableError naming the URL when no server listens', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const t0 = Date.now();
    const err = await checkRedis(url, 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnreachableError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot reach Redis at ${url.replace(/[.]/g, '\\.')}: .*ECONNREFUSED`));
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
