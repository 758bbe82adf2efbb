import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZE, KD_BRAIN_TUMOR_SPEC, main, mergeResults, normalizationStep, parseKdSettings, resultsTable, selectMetric } from '../../scripts/kd-brain-tumor.js';
import { OptionError } from '../../src/backend/errors.js';
import { SHARED_DATA } from '../helpers/shared-data.js';

describe('kd-brain-tumor --kd parsing', () => {
  it('reads T/alpha[/reduction] lists and refuses bad ones with a typed error naming --kd', () => {
    expect(parseKdSettings('1/0.5/mean,4/0.7')).toEqual([
      { temperature: 1, alpha: 0.5, reduction: 'mean' },
      { temperature: 4, alpha: 0.7, reduction: 'batchmean' },
    ]);
    expect(parseKdSettings('')).toEqual([]);
    // bad student init refused before any data is read
    return expect(main(['--studentInit', 'xavier', '--root', '/nonexistent', '--quiet'])).rejects.toThrow(/--studentInit.*xavier/);
    for (const bad of ['0/0.5', '2/1.5', '2', '2/0.5/sum', '2/0.5/mean/x']) {
      expect(() => parseKdSettings(bad)).toThrow(OptionError);
      expect(() => parseKdSettings(bad)).toThrow(/--kd/);
    }
  });
});

describe('kd-brain-tumor --normalize', () => {
  it('names the step of each choice and refuses others naming --normalize', () => {
    expect(normalizationStep('zscore')).toEqual({ op: 'zScore' });
    expect(normalizationStep('imagenet')).toBe(IMAGENET_NORMALIZE);
    expect(() => normalizationStep('minmax')).toThrow(/--normalize/);
  });
});

describe('kd-brain-tumor --select', () => {
  it('picks epochs by validation balanced accuracy by default, by accuracy on request (the anchor), and refuses others naming --select', async () => {
    expect(KD_BRAIN_TUMOR_SPEC.defaults.select).toBe('balancedAccuracy');
    expect(selectMetric('accuracy')).toBe('accuracy');
    expect(selectMetric('balancedAccuracy')).toBe('balancedAccuracy');
    expect(() => selectMetric('auc')).toThrow(OptionError);
    await expect(main(['--root', '/nonexistent', '--select', 'loss', '--quiet'])).rejects.toThrow(/--select: expected 'balancedAccuracy' or 'accuracy', got "loss"/);
  });
});

describe('kd-brain-tumor on any class-folder set', () => {
  const score = (all: number, recall: number[]) => ({ all, dedup: all, balanced: all - 1, n: 40, nDedup: 40, recall });
  it('--root is required (no machine-specific default)', async () => {
    await expect(main(['--quiet'])).rejects.toThrow(/--root: is required/);
  });
  it('per-class recall columns (mean ± sd over seeds); the published column only for brain-tumor-mri\'s classes', () => {
    const runs = [
      { method: 'CE, wd 0.01', seed: 1, bestEpoch: 1, secondsPerEpoch: 1, ...score(80, [90, 70]) },
      { method: 'CE, wd 0.01', seed: 2, bestEpoch: 1, secondsPerEpoch: 1, ...score(82, [94, 74]) },
    ];
    const other = resultsTable(score(90, [100, 80]), ['CE, wd 0.01'], runs, 0, ['AD', 'CN']).split('\n');
    expect(other[0]).toBe('| model | seeds | all 40 test | without 0 duplicates | balanced | recall AD | recall CN |');
    expect(other[2]).toBe('| teacher | 1 | 90.00 | 90.00 | 89.00 | 100.00 | 80.00 |');
    // recall AD 90, 94 → 92 ± 2.83 (sample sd √8); CN 70, 74 → 72 ± 2.83
    expect(other[3]).toBe('| CE, wd 0.01 | 2 | 81.00 ± 1.41 | 81.00 ± 1.41 | 80.00 ± 1.41 | 92.00 ± 2.83 | 72.00 ± 2.83 |');
    const tumour = resultsTable(undefined, ['CE, wd 0.01'], runs, 0, ['glioma', 'meningioma', 'notumor', 'pituitary']).split('\n');
    expect(tumour[0]).toMatch(/\| recall pituitary \| published \|$/);
    expect(tumour[2]).toMatch(/\| 90\.98 \|$/);
  });
});

describe('kd-brain-tumor --merge', () => {
  const score = (all: number) => ({ all, dedup: all - 1, balanced: all - 2, n: 1311, nDedup: 1208 });
  const run = (method: string, seed: number, all: number) => ({ method, seed, bestEpoch: 3, secondsPerEpoch: 1, ...score(all) });

  it('pools runs by method across files: mean ± sample sd, teacher from the file that has one; refuses files from other data', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kd-merge-'));
    try {
      const a = path.join(dir, 'a.json');
      const b = path.join(dir, 'b.json');
      const c = path.join(dir, 'c.json');
      await writeFile(a, JSON.stringify({ teacher: null, duplicates: 103, runs: [run('CE, wd 0.01', 1, 88), run('CE, wd 0.01', 2, 90)] }));
      await writeFile(b, JSON.stringify({ teacher: score(97), duplicates: 103, runs: [run('KD T=1, α=0.5 (mean)', 1, 91), run('CE, wd 0.01', 3, 92)] }));
      await writeFile(c, JSON.stringify({ teacher: null, duplicates: 7, runs: [] }));
      const merged = await mergeResults([a, b]);
      expect(merged.runs).toHaveLength(4);
      const lines = merged.table.split('\n');
      expect(lines[0]).toBe('| model | seeds | all 1311 test | without 103 duplicates | balanced | published |');
      expect(lines[2]).toBe('| teacher | 1 | 97.00 | 96.00 | 95.00 | 95.67 |');
      // CE: 88, 90, 92 → mean 90, sample sd 2; dedup 87/89/91; balanced 86/88/90.
      expect(lines[3]).toBe('| CE, wd 0.01 | 3 | 90.00 ± 2.00 | 89.00 ± 2.00 | 88.00 ± 2.00 | 90.98 |');
      expect(lines[4]).toBe('| KD T=1, α=0.5 (mean) | 1 | 91.00 | 90.00 | 89.00 | 92.15 |');
      await expect(mergeResults([a, c])).rejects.toThrow(/--merge.*7 duplicates/);
      // a partial file (a run stopped part-way) pools too, but one method and seed from two files is refused
      const d = path.join(dir, 'd.json');
      await writeFile(d, JSON.stringify({ teacher: null, duplicates: 103, complete: false, runs: [run('KD T=1, α=0.5 (mean)', 2, 93)] }));
      expect((await mergeResults([a, b, d])).runs).toHaveLength(5);
      await expect(mergeResults([a, b, a])).rejects.toThrow(/--merge.*repeats CE, wd 0\.01, seed 1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pairs KD with CE by seed: KD − CE per seed, mean ± sd, t interval, paired t p, bootstrap interval, wins/ties/losses (by hand)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kd-merge-'));
    try {
      const kd = 'KD T=1, α=0.5 (mean)';
      // seed 4 has CE only and seed 5 KD only: not paired. Seed 2's CE predicts one class (collapsed).
      const one = { confusion: [[3, 0], [2, 0]] };
      const two = { confusion: [[2, 1], [1, 1]] };
      const files = [1, 2, 3, 4, 5].map((s) => path.join(dir, `seed-${s}.json`));
      const ce = { 1: 88, 2: 89, 3: 90, 4: 91 } as Record<number, number>;
      const kdAll = { 1: 89, 2: 89, 3: 92, 5: 93 } as Record<number, number>;
      for (const [i, s] of [1, 2, 3, 4, 5].entries()) {
        const runs = [
          ...(ce[s] !== undefined ? [{ ...run('CE, wd 0.01', s, ce[s]), ...(s === 2 ? one : two) }] : []),
          ...(kdAll[s] !== undefined ? [{ ...run(kd, s, kdAll[s]), ...two }] : []),
        ];
        await writeFile(files[i], JSON.stringify({ teacher: null, duplicates: 103, runs }));
      }
      const merged = await mergeResults(files);
      expect(merged.comparisons).toHaveLength(1);
      const c = merged.comparisons[0];
      expect([c.kd, c.ce, c.seeds, c.collapsed]).toEqual([kd, 'CE, wd 0.01', [1, 2, 3], [2]]);
      // d = KD − CE = [1, 0, 2] (dedup and balanced shift both methods alike, so the same differences):
      // mean 1, sd 1, t = 1 / (1/√3) = √3 on 2 df, p = 1 − t/√(t² + 2) = 1 − √(3/5);
      // t interval 1 ± t(0.975, 2)/√3 = 1 ± 4.302653/√3 = 1 ± 2.484138; the bootstrap means of three
      // values drawn from {1, 0, 2} range over 0..2, with P(0) = P(2) = 1/27 > 2.5 %, so the interval is [0, 2]
      for (const p of [c.all, c.dedup, c.balanced]) {
        expect(p.values).toEqual([1, 0, 2]);
        expect(p.mean).toBeCloseTo(1, 12);
        expect(p.sd).toBeCloseTo(1, 12);
        expect(p.t).toBeCloseTo(Math.sqrt(3), 10);
        expect(p.p).toBeCloseTo(1 - Math.sqrt(3 / 5), 9);
        expect(p.ci[0]).toBeCloseTo(1 - 2.484138, 5);
        expect(p.ci[1]).toBeCloseTo(1 + 2.484138, 5);
        expect(p.bootstrapCi).toEqual([0, 2]);
        expect([p.wins, p.ties, p.losses]).toEqual([2, 1, 0]);
      }
      const lines = merged.comparisonTable.split('\n');
      expect(lines[0]).toBe(`${kd} − CE, wd 0.01, test percentage points, 3 paired seed(s):`);
      expect(lines[2]).toBe('|  | all | without duplicates | balanced |');
      expect(lines[4]).toBe('| seed 1 | +1.00 | +1.00 | +1.00 |');
      expect(lines[5]).toBe('| seed 2 (collapsed) | +0.00 | +0.00 | +0.00 |');
      expect(lines[7]).toBe('| mean ± sd | +1.00 ± 1.00 | +1.00 ± 1.00 | +1.00 ± 1.00 |');
      expect(lines[8]).toBe('| 95 % t interval | [-1.48, +3.48] | [-1.48, +3.48] | [-1.48, +3.48] |');
      expect(lines[9]).toBe('| paired t-test p | 0.225 | 0.225 | 0.225 |');
      expect(lines[10]).toBe('| 95 % bootstrap interval | [+0.00, +2.00] | [+0.00, +2.00] | [+0.00, +2.00] |');
      expect(lines[11]).toBe('| wins / ties / losses | 2 / 1 / 0 | 2 / 1 / 0 | 2 / 1 / 0 |');
      // --merge writes the comparison into table.md and results.json
      const out = path.join(dir, 'merged');
      await main(['--merge', files.join(','), '--out', out, '--quiet']);
      expect(await readFile(path.join(out, 'table.md'), 'utf8')).toContain('| paired t-test p | 0.225 | 0.225 | 0.225 |');
      const json = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as { comparisons: Array<{ all: { p: number } }> };
      expect(json.comparisons[0].all.p).toBeCloseTo(1 - Math.sqrt(3 / 5), 9);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const ROOT = `${SHARED_DATA}/brain-tumor-mri`;

describe.skipIf(!existsSync(ROOT))(`scripts/kd-brain-tumor.ts on ${ROOT} (skipped when the data folder is absent)`, () => {
  it('short run on a few hundred images: teacher, CE and KD students, duplicates excluded, results.json, table.md, report.html; a saved teacher reloads', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'kd-tumour-'));
    try {
      const args = ['--root', ROOT, '--perClass', '40', '--size', '32', '--teacherWidths', '8,16', '--teacherEpochs', '2', '--studentEpochs', '2', '--seeds', '1', '--kd', '1/0.5/mean', '--out', out, '--quiet'];
      const results = (await main(args)) as {
        classes: string[];
        samples: { train: number; valid: number; test: number };
        duplicates: number;
        teacher: { all: number; dedup: number; n: number; nDedup: number };
        runs: Array<{ method: string; seed: number; all: number; dedup: number; balanced: number; nDedup: number }>;
      };
      expect(results.classes).toEqual(['glioma', 'meningioma', 'notumor', 'pituitary']);
      // 40 per class and folder: 160 Training images split 90/10 (stratified), 160 Testing images.
      expect(results.samples.train + results.samples.valid).toBe(160);
      expect(results.samples.valid).toBe(16);
      expect(results.samples.test).toBe(160);
      expect(results.teacher.nDedup).toBe(160 - results.duplicates);
      expect(results.runs.map((r) => r.method)).toEqual(['CE, wd 0.01', 'KD T=1, α=0.5 (mean)']);
      for (const r of [results.teacher, ...results.runs]) {
        expect(r.all).toBeGreaterThanOrEqual(0);
        expect(r.all).toBeLessThanOrEqual(100);
        expect(Number.isFinite(r.dedup)).toBe(true);
      }
      // Accuracy is a multiple of 1/n: 160 test images.
      for (const r of results.runs) expect(Math.abs(r.all * 1.6 - Math.round(r.all * 1.6))).toBeLessThan(1e-9);
      const onDisk = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as { runs: unknown[]; complete: boolean };
      expect(onDisk.runs).toHaveLength(2);
      expect(onDisk.complete).toBe(true);
      // written by temp file + rename: no temp file is left behind
      expect((await readdir(out)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(await readFile(path.join(out, 'table.md'), 'utf8')).toMatch(/\| KD T=1, α=0\.5 \(mean\) \| 1 \|/);
      expect(existsSync(path.join(out, 'report.html'))).toBe(true);

      // The saved teacher scores the same when reloaded, and the student run is reproducible with the same seed;
      // with the cache elsewhere, the output folder is still created.
      const again = (await main([...args, '--teacher', path.join(out, 'teacher'), '--kd', '', '--cacheDir', path.join(out, 'cache'), '--out', path.join(out, 'again')])) as typeof results;
      expect(again.teacher.all).toBeCloseTo(results.teacher.all, 10);
      expect(again.runs).toHaveLength(1);
      expect(again.runs[0].all).toBeCloseTo(results.runs[0].all, 10);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);
});
