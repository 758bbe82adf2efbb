import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSweep, type SweepConfigInput, type SweepProgress } from '../../src/index.js';
import { tempDirs } from './temp.js';

const job = { module: new URL('./fixtures/arith-job.ts', import.meta.url).pathname };
const tempDir = tempDirs();
const tries = (artefacts: string, key: string): string[] => readdirSync(join(artefacts, key)).filter((f) => f.startsWith('try-'));

describe('runSweep on the local pool', () => {
  it('runs settings x seeds on 2 processes with their own thread count, merges, and re-uses finished jobs by key', async () => {
    const out = tempDir('sweep-local-');
    // the barrier holds each worker's first job until both processes have one, so the jobs spread over both however slowly each starts
    const barrier = tempDir('sweep-barrier-');
    const config: SweepConfigInput = { name: 'arith', experiment: job, settings: { grid: { a: [1, 2] }, base: { b: 1, barrier, barrierCount: 2 } }, seeds: 3, out, codeVersion: 'test' };
    const seen: SweepProgress[] = [];
    const r = await runSweep(config, { workers: 2, onProgress: (p) => seen.push(p) });
    expect(r.ran).toBe(6);
    // score = a·(seed + 1) + b: a=1 → 2, 3, 4; a=2 → 3, 5, 7
    expect(r.summary.rows.find((x) => x.metric === 'score' && x.setting === 'a=2')).toMatchObject({ n: 3, mean: 5, sd: 2 });
    expect(r.summary.differences.find((x) => x.metric === 'score')).toMatchObject({ setting: 'a=2', baseline: 'a=1', mean: 2, sd: 1, wins: 3 });
    expect(new Set(r.records.map((x) => x.worker))).toEqual(new Set(['local-1', 'local-2']));
    const threads = Math.max(1, Math.floor(availableParallelism() / 2));
    for (const rec of r.records) expect(rec.results).toMatchObject({ threads });
    expect(seen.at(-1)).toMatchObject({ total: 6, done: 6, failed: 0, running: 0, pending: 0 });
    expect(Math.max(...seen.map((p) => p.running))).toBeGreaterThan(0);
    expect(readdirSync(out).sort()).toEqual(['artefacts', 'jobs', 'report.html', 'results.json', 'table.md']);

    const again = await runSweep(config, { workers: 2, report: false });
    expect(again.ran).toBe(0);
    expect(again.summary.rows).toEqual(r.summary.rows);
    for (const j of again.records) expect(tries(join(out, 'artefacts'), j.key)).toHaveLength(1);
  });

  it('records a throwing job with its error and tries, a NaN metric as a failure, and runs the rest', async () => {
    const out = tempDir('sweep-local-fail-');
    const r = await runSweep({ experiment: job, settings: { list: [{ failSeed: 1 }, { nanSeed: 2 }] }, seeds: 3, out, attempts: 2, codeVersion: 'test' }, { workers: 2, report: false });
    expect(r.summary.jobs).toEqual({ total: 6, done: 4, failed: 2, missing: 0 });
    const thrown = r.records.find((x) => x.status === 'failed' && x.seed === 1)!;
    expect(thrown).toMatchObject({ setting: 'failSeed=1', attempts: 2, error: { name: 'RangeError', message: 'seed 1 is refused by failSeed' } });
    expect(tries(join(out, 'artefacts'), thrown.key)).toHaveLength(2);
    const nan = r.records.find((x) => x.status === 'failed' && x.seed === 2)!;
    expect(nan).toMatchObject({ setting: 'nanSeed=2', error: { name: 'SweepJobResultError' } });
    expect(nan.error!.message).toMatch(/metric "score" is NaN/);
    // a re-run retries only the failed jobs (they fail again, deterministically)
    const again = await runSweep({ experiment: job, settings: { list: [{ failSeed: 1 }, { nanSeed: 2 }] }, seeds: 3, out, attempts: 1, codeVersion: 'test' }, { workers: 2, report: false });
    expect(again.ran).toBe(2);
    expect(again.summary.jobs.done).toBe(4);
  });

  it('gives the job of a worker killed mid-job (SIGKILL) to a new process: done exactly once', async () => {
    const out = tempDir('sweep-local-kill-');
    const lines: string[] = [];
    const r = await runSweep({ experiment: job, settings: { list: [{ killSeed: 0 }] }, seeds: 3, out, codeVersion: 'test' }, { workers: 2, report: false, log: (l) => lines.push(l) });
    expect(r.summary.jobs).toEqual({ total: 3, done: 3, failed: 0, missing: 0 });
    const killed = r.records.find((x) => x.seed === 0)!;
    expect(killed).toMatchObject({ status: 'done', stalls: 1, attempts: 2, metrics: { score: 1 } });
    expect(tries(join(out, 'artefacts'), killed.key)).toHaveLength(2);
    expect(readdirSync(join(out, 'jobs'))).toHaveLength(3);
    expect(lines.some((l) => /died \(SIGKILL\)/.test(l))).toBe(true);
  });

  it('kills a job outliving timeoutSeconds (a busy loop), records SweepJobTimeoutError naming job and limit, retries per attempts', async () => {
    const out = tempDir('sweep-local-timeout-');
    const lines: string[] = [];
    // seed 0 spins (never yielding) on its first try only; seed 1 on every try
    const r = await runSweep({ experiment: job, settings: { list: [{ busySeed: 0, busyTries: 1, busyMs: 120_000 }, { busySeed: 1, busyMs: 120_000 }] }, seeds: 2, out, attempts: 2, timeoutSeconds: 3, codeVersion: 'test' }, { workers: 2, report: false, log: (l) => lines.push(l) });
    expect(r.summary.jobs).toEqual({ total: 4, done: 3, failed: 1, missing: 0 });
    const retried = r.records.find((x) => x.setting.startsWith('busySeed=0') && x.seed === 0)!;
    expect(retried).toMatchObject({ status: 'done', attempts: 2, stalls: 0, metrics: { score: 1 } });
    const failed = r.records.find((x) => x.status === 'failed')!;
    expect(failed).toMatchObject({ seed: 1, attempts: 2, stalls: 0, seconds: 3, error: { name: 'SweepJobTimeoutError' } });
    expect(failed.error!.message).toBe(`job ${failed.key} (${failed.setting}, seed 1) ran longer than the limit of 3 s (timeoutSeconds): killed`);
    expect(tries(join(out, 'artefacts'), failed.key)).toHaveLength(2);
    expect(lines.filter((l) => /SweepJobTimeoutError/.test(l))).toHaveLength(3); // 2 retries + the final failure
  }, 120_000);
});
