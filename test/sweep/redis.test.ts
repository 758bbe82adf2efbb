/**
 * Sweeps through BullMQ on a real redis-server (started here on a free loopback port, stopped at the
 * end) with `transmri worker` processes: a worker SIGKILLed mid-job, a Redis restart mid-sweep, a
 * throwing job; merged results equal those of the local pool for the same seeds.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep, type SweepConfigInput } from '../../src/index.js';
import { TestRedis, hasRedisServer, startWorker, stopProcess } from './redis-server.js';
import { tempDirs } from './temp.js';

const job = { module: new URL('./fixtures/arith-job.ts', import.meta.url).pathname };
const tempDir = tempDirs();
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
    await redis?.destroy();
  }, 60_000);

  it('a worker killed mid-job: its job stalls, another worker does it, counted once; merged results equal the local pool', async () => {
    const out = tempDir('sweep-redis-kill-');
    const config: SweepConfigInput = { name: 'kill', experiment: job, settings: { grid: { a: [1, 2] }, base: { b: 1, sleepMs: 1500 } }, seeds: 3, out, codeVersion: 'test' };
    const artefacts = join(out, 'artefacts');
    const w1 = workers[0];
    let killedKey: string | undefined;
    // kill w1 as soon as one of its jobs has started (its marker file try-1-<pid> appears)
    const watcher = setInterval(() => {
      if (killedKey !== undefined || !existsSync(artefacts)) return;
      for (const key of readdirSync(artefacts)) {
        if (readdirSync(join(artefacts, key)).some((f) => f.startsWith('try-1-w1-'))) {
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

    const local = await runSweep({ ...config, settings: { grid: { a: [1, 2] }, base: { b: 1 } }, out: tempDir('sweep-redis-local-') }, { workers: 2, report: false });
    expect(viaQueue.summary.rows).toEqual(local.summary.rows);
    expect(viaQueue.summary.differences).toEqual(local.summary.differences);

    // the same sweep again: every job is found finished (in the results folder), nothing is queued
    const again = await runSweep(config, { queue: redis.url, report: false });
    expect(again.ran).toBe(0);
    workers.splice(0, 1, await startWorker(redis.url, 'w3'));
  }, 180_000);

  it('a Redis restart mid-sweep: the sweep resumes; a throwing job is recorded with its error and tries', async () => {
    const out = tempDir('sweep-redis-restart-');
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

  it('a job outliving timeoutSeconds: its job process is killed, the try fails with SweepJobTimeoutError naming job and limit, retried per attempts', async () => {
    const out = tempDir('sweep-redis-timeout-');
    // seed 0 spins (never yielding) on its first try only; seed 1 on every try
    const r = await runSweep({ name: 'timeout', experiment: job, settings: { list: [{ busySeed: 0, busyTries: 1, busyMs: 120_000 }, { busySeed: 1, busyMs: 120_000 }] }, seeds: 2, out, attempts: 2, timeoutSeconds: 3, codeVersion: 'test' }, { queue: redis.url, report: false });
    expect(r.summary.jobs).toEqual({ total: 4, done: 3, failed: 1, missing: 0 });
    const retried = r.records.find((x) => x.setting.startsWith('busySeed=0') && x.seed === 0)!;
    expect(retried).toMatchObject({ status: 'done', attempts: 2, metrics: { score: 1 } });
    const failed = r.records.find((x) => x.status === 'failed')!;
    expect(failed).toMatchObject({ seed: 1, attempts: 2, error: { name: 'SweepJobTimeoutError' } });
    expect(failed.error!.message).toBe(`job ${failed.key} (${failed.setting}, seed 1) ran longer than the limit of 3 s (timeoutSeconds): killed`);
    expect(readdirSync(join(out, 'artefacts', failed.key)).filter((f) => f.startsWith('try-'))).toHaveLength(2);
    // the workers replaced their killed job processes and go on taking jobs
    const after = await runSweep({ name: 'after-timeout', experiment: job, settings: { list: [{ a: 3 }] }, seeds: 2, out: tempDir('sweep-redis-after-'), codeVersion: 'test' }, { queue: redis.url, report: false });
    expect(after.summary.rows.find((x) => x.metric === 'score')).toMatchObject({ n: 2, mean: 4.5 });
  }, 180_000);
});
