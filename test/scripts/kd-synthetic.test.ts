import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeKdSynthetic, parseSeverity, runKdSynthetic, subjectOf, teacherCandidates, type KdSyntheticConfig } from '../../scripts/kd-synthetic.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

describe('scripts/kd-synthetic.ts (CI variant: 1 seed, 2 students, tiny sizes)', () => {
  expectNoTensorLeaks();
  const dirs: string[] = [];
  beforeAll(() => {
    dirs.push(...['a', 'b', 'c', 'd'].map((k) => mkdtempSync(path.join(tmpdir(), `transmri-kd-${k}-`))));
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const cfg = (out: string): KdSyntheticConfig => ({
    seed: 2,
    seeds: '0,1,2,3,4',
    out,
    subjects: 16,
    severity: '0.5,1',
    size: 16,
    flip: 0.5,
    teacher: 'scratch',
    aeEpochs: 1,
    clfEpochs: 1,
    encoderLr: 0.1,
    batchSize: 4,
    students: 'slice,joint',
    slices: 3,
    seqSlices: 4,
    widths: '4,8',
    studentEpochs: 2,
    studentLr: 3e-3,
    temperature: 4,
    alpha: 0.5,
    similarity: 5,
    similarityNormalize: 'cosine-max',
    teacherFeatures: 'head_hidden',
    bootstrap: 10,
    transfer: 0,
    labelled: 1,
    teacherBatchNorm: false,
    oracle: false,
    merge: '',
  });

  it('writes the table and results.json with finite balanced accuracies, and the same seed gives the same numbers', async () => {
    const first = await runKdSynthetic(cfg(dirs[0]), () => {});
    expect(first.seeds).toEqual([2]);
    expect(first.perSeed).toHaveLength(1);
    const row = first.perSeed[0];
    expect(row.teacher.kind).toBe('scratch');
    expect(Object.keys(row.students)).toEqual(['slice', 'joint']);
    const values = [row.teacher.candidates.scratch!.balancedAccuracy, ...Object.values(row.students).flatMap((s) => [s.plain.balancedAccuracy, s.distilled.balancedAccuracy])];
    for (const v of values) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    const s = first.summary.students.slice!;
    expect(s.difference.mean).toBeCloseTo(s.distilled.mean - s.plain.mean, 12);
    expect(s.difference.wins + s.difference.ties + s.difference.losses).toBe(1);
    const table = readFileSync(path.join(dirs[0], 'table.md'), 'utf8');
    expect(table).toMatch(/\| model \| plain CE, mean ± sd \| distilled, mean ± sd \| distilled − plain \|/);
    for (const name of ['3D teacher (scratch)', 'slice', 'joint', 'mean over students']) expect(table).toContain(`| ${name} |`);
    expect(table).toMatch(/\| 2 \| scratch \d\.\d{3} \| \d\.\d{3} \/ \d\.\d{3} \| \d\.\d{3} \/ \d\.\d{3} \|/);
    const saved = JSON.parse(readFileSync(path.join(dirs[0], 'results.json'), 'utf8')) as typeof first;
    expect(saved.perSeed[0].students.joint!.distilled.balancedAccuracy).toBe(row.students.joint!.distilled.balancedAccuracy);
    // per-class recall and confusion of every model: recall[k] = confusion[k][k] / row k's total, balanced accuracy their mean
    expect(first.classes).toHaveLength(2);
    for (const t of [row.teacher.candidates.scratch!, ...Object.values(row.students).flatMap((x) => [x.plain, x.distilled])]) {
      t.recall.forEach((r, k) => expect(r).toBeCloseTo(t.confusion[k][k] / t.confusion[k].reduce((a, b) => a + b, 0), 12));
      expect(t.balancedAccuracy).toBeCloseTo((t.recall[0] + t.recall[1]) / 2, 12);
    }
    const jd = row.students.joint!.distilled;
    expect(table).toContain(`| model | recall ${first.classes[0]} | recall ${first.classes[1]} | confusion`);
    expect(table).toContain(`| joint distilled | ${jd.recall[0].toFixed(3)} ± 0.000 | ${jd.recall[1].toFixed(3)} ± 0.000 | [${jd.confusion[0].join(' ')}; ${jd.confusion[1].join(' ')}] |`);
    expect(table).toContain('| 3D teacher (scratch) | ');

    const second = await runKdSynthetic(cfg(dirs[1]), () => {});
    const strip = (r: typeof first) => r.perSeed.map((p) => ({ teacher: p.teacher.candidates.scratch!.balancedAccuracy, students: Object.values(p.students).map((x) => [x.plain.balancedAccuracy, x.plain.auc, x.distilled.balancedAccuracy, x.distilled.auc]) }));
    expect(strip(second)).toEqual(strip(first));
  }, 60_000);

  it('trains every listed teacher, lets the best validation score teach (the first on a tie) and records the severity', async () => {
    const lines: string[] = [];
    const r = await runKdSynthetic({ ...cfg(dirs[1]), seed: 3, teacher: 'finetune,transfer', severity: '0.2,0.4', students: 'edge', studentEpochs: 1, transfer: 2, oracle: true }, (l) => lines.push(l));
    const { kind, candidates } = r.perSeed[0].teacher;
    expect(Object.keys(candidates)).toEqual(['finetune', 'transfer']);
    const [f, t] = [candidates.finetune!.validBalancedAccuracy, candidates.transfer!.validBalancedAccuracy];
    expect(kind).toBe(t > f ? 'transfer' : 'finetune');
    expect(lines.filter((l) => l.includes('← teaches'))).toEqual([expect.stringContaining(`teacher ${kind}`)]);
    const table = readFileSync(path.join(dirs[1], 'table.md'), 'utf8');
    expect(table).toContain('disease severity U[0.2, 0.4]; teacher finetune,transfer');
    expect(table).toContain("with a transfer set of 2 unlabelled site-B subjects (4 scans) in the distilled students' training set");
    // --oracle: a third run per student, on the transfer scans with their true labels, in the table and per seed
    const edge = r.perSeed[0].students.edge!;
    expect(edge.oracle!.balancedAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.summary.students.edge!.oracleDifference!.mean).toBeCloseTo(edge.oracle!.balancedAccuracy - edge.plain.balancedAccuracy, 12);
    expect(table).toContain('| oracle (transfer scans labelled) | oracle − plain |');
    expect(table).toMatch(/\| 3 \| \w+ \d\.\d{3} \| \d\.\d{3} \/ \d\.\d{3} \/ \d\.\d{3} \|/);
    await expect(runKdSynthetic({ ...cfg(dirs[1]), oracle: true })).rejects.toThrow(/--oracle.*--transfer/);
  }, 60_000);

  it('--labelled 0.5 with a batch-norm teacher: a label-scarce run whose other scans feed the transfer set; the oracle knows their labels', async () => {
    const lines: string[] = [];
    const r = await runKdSynthetic({ ...cfg(dirs[2]), seed: 6, students: 'edge', studentEpochs: 1, labelled: 0.5, teacherBatchNorm: true, oracle: true }, (l) => lines.push(l));
    const edge = r.perSeed[0].students.edge!;
    for (const t of [edge.plain, edge.distilled, edge.oracle!]) expect(t.balancedAccuracy).toBeGreaterThanOrEqual(0);
    const table = readFileSync(path.join(dirs[2], 'table.md'), 'utf8');
    expect(table).toContain('labels of 0.5 of the site-B training subjects only');
    expect(table).toContain('teacher CAE with batch norm');
    await expect(runKdSynthetic({ ...cfg(dirs[2]), labelled: 0 })).rejects.toThrow(/--labelled/);
  }, 60_000);

  it('--merge pools seeds run apart into the table one run would give, refusing a repeated seed or other settings', async () => {
    const quick = (out: string, seed: number): KdSyntheticConfig => ({ ...cfg(out), seed, students: 'edge', studentEpochs: 1 });
    const a = await runKdSynthetic(quick(dirs[2], 4), () => {});
    const b = await runKdSynthetic(quick(dirs[3], 5), () => {});
    const files = [path.join(dirs[3], 'results.json'), path.join(dirs[2], 'results.json')];
    const merged = await mergeKdSynthetic(files);
    expect(merged.seeds).toEqual([4, 5]);
    const [pa, da] = [a.perSeed[0].students.edge!.plain.balancedAccuracy, a.perSeed[0].students.edge!.distilled.balancedAccuracy];
    const [pb, db] = [b.perSeed[0].students.edge!.plain.balancedAccuracy, b.perSeed[0].students.edge!.distilled.balancedAccuracy];
    expect(merged.summary.students.edge!.plain.mean).toBeCloseTo((pa + pb) / 2, 12);
    expect(merged.summary.meanDifference.values).toEqual([da - pa, db - pb]);
    const viaCli = await runKdSynthetic({ ...quick(dirs[3], 5), merge: files.join(',') }, () => {});
    expect(viaCli.summary).toEqual(merged.summary);
    expect(readFileSync(path.join(dirs[3], 'table.md'), 'utf8')).toContain('2 seeds (4, 5)');
    // the confusion matrices of the two seeds are summed in the per-class table
    const [ca, cb] = [a.perSeed[0].students.edge!.plain.confusion, b.perSeed[0].students.edge!.plain.confusion];
    expect(readFileSync(path.join(dirs[3], 'table.md'), 'utf8')).toContain(`[${ca[0].map((x, j) => x + cb[0][j]).join(' ')}; ${ca[1].map((x, j) => x + cb[1][j]).join(' ')}] |`);
    await expect(mergeKdSynthetic([files[1], files[1]])).rejects.toThrow(/repeats seed 4/);
    await expect(mergeKdSynthetic([files[1], path.join(dirs[0], 'results.json')])).rejects.toThrow(/other settings/);
  }, 60_000);

  it('reads the subject of a sample id', () => {
    expect(subjectOf('images/sub-012_ses-2.nii.gz')).toBe('sub-012');
    expect(() => subjectOf('scan-3')).toThrow(/names no subject/);
  });

  it('parses --severity and --teacher, naming the option on bad input', () => {
    expect(parseSeverity('0.1,0.4')).toEqual([0.1, 0.4]);
    expect(parseSeverity('0.5,1')).toEqual([0.5, 1]);
    for (const bad of ['0.4,0.1', '0.5', '0,1.5', '-0.1,0.2', ',0.3', 'a,b']) expect(() => parseSeverity(bad)).toThrow(/--severity/);
    expect(teacherCandidates('best')).toEqual(['scratch', 'transfer']);
    expect(teacherCandidates('finetune')).toEqual(['finetune']);
    expect(teacherCandidates('transfer, finetune')).toEqual(['transfer', 'finetune']);
    for (const bad of ['resnet', 'transfer,transfer', '', 'best,scratch']) expect(() => teacherCandidates(bad)).toThrow(/--teacher/);
  });

  it('rejects an unknown teacher or student by option name', async () => {
    await expect(runKdSynthetic({ ...cfg(dirs[0]), teacher: 'resnet' }, () => {})).rejects.toThrow(/--teacher/);
    await expect(runKdSynthetic({ ...cfg(dirs[0]), students: 'slice,vit' }, () => {})).rejects.toThrow(/--students/);
  });
});
