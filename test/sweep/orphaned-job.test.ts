/**
 * A job process whose parent is SIGKILLed while the job spins synchronously (never yielding to the
 * event loop, so its main thread never sees the IPC disconnect) must end within a few seconds, for
 * the local pool (parent: a `transmri sweep` process) and for a queue worker (parent: `transmri worker`).
 * The job writes its pid in its marker file (`try-<attempt>-<worker>-<pid>`, fixtures/arith-job.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSweep } from '../../src/index.js';
import { TestRedis, hasRedisServer, killOnExit, startWorker, stopProcess } from './redis-server.js';
import { tempDirs } from './temp.js';

const module = fileURLToPath(new URL('./fixtures/arith-job.ts', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/transmri.js', import.meta.url));
const tempDir = tempDirs();
// seed 0 spins for 2 minutes on its first try (then scores 1 on a retry)
const spinning = { list: [{ busySeed: 0, busyTries: 1, busyMs: 120_000 }] };

/** Gone: no such process, or a zombie (exited; this container's init does not reap orphans). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The pid of the first try's job process, once its marker file is in `artefacts`. */
async function jobPid(artefacts: string, timeoutMs = 90_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const key of existsSync(artefacts) ? readdirSync(artefacts) : []) {
      const marker = readdirSync(join(artefacts, key)).find((f) => f.startsWith('try-1-'));
      if (marker !== undefined) return Number(marker.slice(marker.lastIndexOf('-') + 1));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no job started in ${artefacts} after ${timeoutMs} ms`);
}

/** Seconds until `pid` is gone (Infinity after `limitMs`, and then it is killed here). */
async function secondsUntilGone(pid: number, limitMs = 10_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    if (gone(pid)) return (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL'); // the orphan this test is about: do not leave it spinning
  return Infinity;
}

describe('a job process whose parent is SIGKILLed mid-job (a busy loop) ends', () => {
  it('local pool: the `transmri sweep` process killed', async () => {
    const dir = tempDir('sweep-orphan-local-');
    const file = join(dir, 'orphan.json');
    writeFileSync(file, JSON.stringify({ experiment: { module }, settings: spinning, seeds: 1, out: join(dir, 'out'), codeVersion: 'test' }));
    const parent = spawn(process.execPath, [bin, 'sweep', file, '--workers', '1', '--threads', '1', '--no-report', '--quiet'], { stdio: 'ignore' });
    killOnExit(parent);
    const pid = await jobPid(join(dir, 'out', 'artefacts'));
    const exited = new Promise((r) => parent.once('exit', r));
    parent.kill('SIGKILL');
    await exited;
    expect(await secondsUntilGone(pid)).toBeLessThan(5);
  }, 120_000);

  it.skipIf(!hasRedisServer())('queue worker: the `transmri worker` process killed; the job is done by another worker', async () => {
    const redis = await TestRedis.start();
    const workers: Array<Awaited<ReturnType<typeof startWorker>>> = [];
    try {
      const queueName = 'orphan';
      workers.push(await startWorker(redis.url, 'orphan-w1', ['--queue-name', queueName]));
      const out = tempDir('sweep-orphan-queue-');
      const sweep = runSweep({ name: 'orphan', experiment: { module }, settings: spinning, seeds: 1, out, codeVersion: 'test' }, { queue: redis.url, queueName, report: false });
      sweep.catch(() => {}); // awaited below; observed here in case an assertion fails first
      const pid = await jobPid(join(out, 'artefacts'));
      const w1 = workers[0].proc;
      const exited = new Promise((r) => w1.once('exit', r));
      w1.kill('SIGKILL');
      await exited;
      expect(await secondsUntilGone(pid)).toBeLessThan(5);
      // the stalled job goes to a new worker (its second try does not spin)
      workers.push(await startWorker(redis.url, 'orphan-w2', ['--queue-name', queueName]));
      const r = await sweep;
      expect(r.records).toMatchObject([{ status: 'done', worker: 'orphan-w2', stalls: 1, metrics: { score: 1 } }]);
    } finally {
      await Promise.all(workers.map((w) => stopProcess(w.proc)));
      await redis.destroy();
    }
  }, 180_000);
});
