/**
 * Sweeps through BullMQ on a real redis-server (started here on a free loopback port, stopped at the
 * end) with `transmri worker` processes: a worker SIGKILLed mid-job, a Redis restart mid-sweep, a
 * throwing job; merged results equal those of the local pool for the same seeds.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep, type SweepConfigInput } from '../../src/index.js';
import { TestRedis, hasRedisServer, startWorker, stopProcess } from './redis-server.js';

const job = { module: new URL('./fixtures/arith-job.ts', import.meta.url).pathname };
const available = hasRedisServer();
if (!available) console.warn('test/sweep/redis.test.ts: redis-server not found on PATH (apt-get install redis-server): skipping the BullMQ tests');

describe.skipIf(!available)('runSweep through BullMQ on a real redis-server', () => {
  let redis: TestRedis;
  const workers: Array<Awaited<ReturnType<typeof startWorker>>> = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    workers.push(...(await Promise.all([startWorker(redis.url, 'w1'), startWorker(redis.url, 'w2')])));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopProcess(w.proc)));
    await redis?.stop();
  }, 60_000);

  it('a worker killed mid-job: its job stalls, another worker does it, counted once; merged results equal the local pool', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sweep-redis-kill-'));
    const config: SweepConfigInput = { name: 'kill', experiment: job, settings: { grid: { a: [1, 2] }, base: { b: 1, sleepMs: 1500 } }, seeds: 3, out, codeVersion: 'test' };
    const artefacts = join(out, 'artefacts');
    const w1 = workers[0];
    let killedKey: string | undefined;
    // kill w1 as soon as one of its jobs has started (its marker file try-1-<pid> appears)
    const watcher = setInterval(() => {
      if (killedKey !== undefined || !existsSync(artefacts)) return;
      for (const key of readdirSync(artefacts)) {
        if (readdirSync(join(artefacts, key)).includes(`try-1-${w1.proc.pid}`)) {
          killedKey = key;
          w1.proc.kill('SIGKILL');
          return;
        }
      }
    }, 50);
    const lines: string[] = [];
    const viaQueue = await runSweep(config, { queue: redis.url, report: false, log: (l) => lines.push(l) });
    clearInterval(watcher);
    expect(killedKey).toBeDefined();
    expect(viaQueue.summary.jobs).toEqual({ total: 6, done: 6, failed: 0, missing: 0 });
    expect(readdirSync(join(out, 'jobs'))).toHaveLength(6);
    const killed = viaQueue.records.find((r) => r.key === killedKey)!;
    expect(killed).toMatchObject({ status: 'done', worker: 'w2', stalls: 1 });
    const tries = readdirSync(join(artefacts, killedKey!)).filter((f) => f.startsWith('try-'));
    expect(tries).toHaveLength(2); // started on w1 (killed) and on w2
    expect(lines.some((l) => /stalled/.test(l))).toBe(true);

    const local = await runSweep({ ...config, settings: { grid: { a: [1, 2] }, base: { b: 1 } }, out: mkdtempSync(join(tmpdir(), 'sweep-redis-local-')) }, { workers: 2, report: false });
    expect(viaQueue.summary.rows).toEqual(local.summary.rows);
    expect(viaQueue.summary.differences).toEqual(local.summary.differences);

    // the same sweep again: every job is found finished (in the results folder), nothing is queued
    const again = await runSweep(config, { queue: redis.url, report: false });
    expect(again.ran).toBe(0);
    workers.splice(0, 1, await startWorker(redis.url, 'w3'));
  }, 180_000);

  it('a Redis restart mid-sweep: the sweep resumes; a throwing job is recorded with its error and tries', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sweep-redis-restart-'));
    let restarted: Promise<void> | undefined;
    const lines: string[] = [];
    const r = await runSweep(
      { name: 'restart', experiment: job, settings: { list: [{ sleepMs: 700 }, { sleepMs: 700, failSeed: 1 }] }, seeds: 3, out, attempts: 2, codeVersion: 'test' },
      {
        queue: redis.url,
        report: false,
        log: (l) => lines.push(l),
        onProgress: (p) => {
          if (restarted === undefined && p.done >= 1) restarted = redis.restart(1000);
        },
      },
    );
    await restarted;
    expect(restarted).toBeDefined();
    expect(r.summary.jobs).toEqual({ total: 6, done: 5, failed: 1, missing: 0 });
    const failed = r.records.find((x) => x.status === 'failed')!;
    expect(failed).toMatchObject({ seed: 1, setting: 'sleepMs=700, failSeed=1', attempts: 2, error: { name: 'RangeError', message: 'seed 1 is refused by failSeed' } });
    // score = seed + 1 (a = 1, b = 0)
    expect(r.summary.rows.find((x) => x.metric === 'score' && x.setting === 'sleepMs=700')).toMatchObject({ n: 3, mean: 2, sd: 1 });
  }, 180_000);
});
