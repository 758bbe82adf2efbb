import { describe, expect, it } from 'vitest';
import { expandJobs, mergeRecords, parseSweepConfig, summaryMarkdown, type SweepJobRecord } from '../../src/index.js';

function record(key: string, setting: string, seed: number, fold: number | null, metrics: Record<string, number>, status: 'done' | 'failed' = 'done'): SweepJobRecord {
  return { key, setting, settings: {}, seed, fold, codeVersion: 'v', status, metrics, attempts: 1, stalls: 0, seconds: 1, startedAt: '', finishedAt: '', host: 'h', pid: 1, worker: 'w', ...(status === 'failed' ? { error: { name: 'RangeError', message: 'no' } } : {}) };
}

describe('mergeRecords', () => {
  it('mean ± sd per setting, paired differences with a bootstrap interval (values by hand)', () => {
    const cfg = parseSweepConfig({ experiment: { module: '/j.ts' }, settings: { list: [{ a: 1 }, { a: 2 }] }, seeds: 3, bootstrap: 500 }, 't', '/');
    const jobs = expandJobs(cfg, 'v');
    // a=1: 2, 3, 4 (mean 3, sd 1); a=2: 3, 5, 7 (mean 5, sd 2); differences 1, 2, 3 (mean 2, sd 1)
    const values: Record<string, number[]> = { 'a=1': [2, 3, 4], 'a=2': [3, 5, 7] };
    const records = new Map(jobs.map((j) => [j.key, record(j.key, j.setting, j.seed, j.fold, { score: values[j.setting][j.seed] })]));
    const s = mergeRecords(cfg, jobs, records);
    expect(s.rows).toEqual([
      { setting: 'a=1', metric: 'score', n: 3, mean: 3, sd: 1, perSeed: [{ seed: 0, value: 2 }, { seed: 1, value: 3 }, { seed: 2, value: 4 }] },
      { setting: 'a=2', metric: 'score', n: 3, mean: 5, sd: 2, perSeed: [{ seed: 0, value: 3 }, { seed: 1, value: 5 }, { seed: 2, value: 7 }] },
    ]);
    const d = s.differences[0];
    expect(d).toMatchObject({ setting: 'a=2', baseline: 'a=1', n: 3, mean: 2, sd: 1, wins: 3, ties: 0, losses: 0 });
    // resampled means of {1, 2, 3} lie in [1, 3]; the 2.5 % / 97.5 % quantiles of 500 resamples reach the ends or close
    expect(d.ci[0]).toBeGreaterThanOrEqual(1);
    expect(d.ci[0]).toBeLessThan(2);
    expect(d.ci[1]).toBeLessThanOrEqual(3);
    expect(d.ci[1]).toBeGreaterThan(2);
    expect(s.jobs).toEqual({ total: 6, done: 6, failed: 0, missing: 0 });
    expect(summaryMarkdown(s)).toContain('| a=2 | 3 | 5.0000 ± 2.0000 | 2.0000 ± 1.0000 [');
  });

  it('averages folds per seed; a seed with a failed fold has no value and leaves the pairs', () => {
    const cfg = parseSweepConfig({ experiment: { module: '/j.ts' }, settings: { list: [{ a: 1 }, { a: 2 }] }, seeds: 2, folds: 2 }, 't', '/');
    const jobs = expandJobs(cfg, 'v');
    const records = new Map<string, SweepJobRecord>();
    for (const j of jobs) {
      const failed = j.setting === 'a=2' && j.seed === 1 && j.fold === 1;
      // score = seed + fold + (a=2 ? 10 : 0): a=1 seed 0 → mean(0, 1) = 0.5, seed 1 → 1.5
      records.set(j.key, record(j.key, j.setting, j.seed, j.fold, failed ? {} : { score: j.seed + j.fold! + (j.setting === 'a=2' ? 10 : 0) }, failed ? 'failed' : 'done'));
    }
    const s = mergeRecords(cfg, jobs, records);
    expect(s.rows[0]).toMatchObject({ setting: 'a=1', n: 2, mean: 1 });
    expect(s.rows[0].perSeed).toEqual([{ seed: 0, value: 0.5 }, { seed: 1, value: 1.5 }]);
    expect(s.rows[1]).toMatchObject({ setting: 'a=2', n: 1, mean: 10.5, sd: 0 });
    expect(s.differences[0]).toMatchObject({ n: 1, mean: 10, perSeed: [{ seed: 0, value: 10 }] });
    expect(s.jobs).toEqual({ total: 8, done: 7, failed: 1, missing: 0 });
    expect(s.failures[0]).toMatchObject({ setting: 'a=2', seed: 1, fold: 1, error: 'RangeError: no' });
  });
});
