import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO, runDemo } from '../../scripts/demo.js';
import { pairedSummary } from '../../src/index.js';
import { interpretDemo, readComparison, readTeacherLead, summarizeDemo, type DemoSeedRow } from '../../scripts/lib/demo-summary.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

describe('demo summary (by hand)', () => {
  it('reads a paired comparison from its interval (pairedSummary: the library, tested in test/learner/metrics)', () => {
    expect(readComparison('x', pairedSummary([0.1, 0.0, 0.2], [0.0, 0.1, 0.1]))).toMatch(/interval includes 0, so 3 seeds do not show a difference/);
    expect(readComparison('x', pairedSummary([0.9, 0.8, 0.85], [0.7, 0.65, 0.7]))).toMatch(/a gain at this number of seeds/);
    expect(readComparison('x', pairedSummary([0.5, 0.55, 0.5], [0.7, 0.65, 0.7]))).toMatch(/it did worse here/);
    expect(readComparison('x', pairedSummary([0.5], [0.6]))).toMatch(/one seed cannot tell/);
  });

  it('summarizeDemo pairs the seeds and the teacher follows each seed', () => {
    const s = (ba: number) => ({ balancedAccuracy: ba, auc: ba, validBalancedAccuracy: ba, seconds: 1 });
    const rows: DemoSeedRow[] = [
      { seed: 0, transfer: s(0.8), scratch: s(0.7), teacher: 'transfer', plain: s(0.6), distilled: s(0.7), labelledScans: 8, unlabelledScans: 20, seconds: 1 },
      { seed: 1, transfer: s(0.6), scratch: s(0.9), teacher: 'scratch', plain: s(0.7), distilled: s(0.7), labelledScans: 8, unlabelledScans: 20, seconds: 1 },
    ];
    const sum = summarizeDemo(rows);
    expect(sum.teacher.values).toEqual([0.8, 0.9]);
    expect(sum.transferMinusScratch.values.map((v) => +v.toFixed(10))).toEqual([0.1, -0.3]);
    expect(sum.distilledMinusPlain.values.map((v) => +v.toFixed(10))).toEqual([0.1, 0]);
    expect([sum.distilledMinusPlain.wins, sum.distilledMinusPlain.ties, sum.distilledMinusPlain.losses]).toEqual([1, 1, 0]);
    // teacher − plain: seed 0 transfer 0.8 − 0.6, seed 1 scratch 0.9 − 0.7
    expect(sum.teacherMinusPlain.values.map((v) => +v.toFixed(10))).toEqual([0.2, 0.2]);
    expect(sum.teacherMinusPlain.ci.map((v) => +v.toFixed(10))).toEqual([0.2, 0.2]); // sd 0: the interval is the point
    const lines = interpretDemo(sum);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/\+0\.200 \(95 % interval \[\+0\.200, \+0\.200\], teacher better on 2 of 2\): the teacher is better than the student, the regime distillation is for/);
    expect(readTeacherLead(pairedSummary([0.8, 0.7, 0.9], [0.7, 0.75, 0.7]))).toMatch(/leads on average, but the interval includes 0/);
    expect(readTeacherLead(pairedSummary([0.6, 0.7], [0.7, 0.7]))).toMatch(/no better than the student/);
  });
});

describe('npm run demo (CI variant: tiny cohorts, one epoch per phase, two seeds)', () => {
  expectNoTensorLeaks(); // every model, learner, teacher cache and export of both seeds freed
  let out = '';
  // made in beforeAll (not while collecting), so a filtered or skipped run leaves no folder behind
  beforeAll(() => {
    out = mkdtempSync(path.join(tmpdir(), 'transmri-demo-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('refuses an unknown student before any work', async () => {
    await expect(runDemo({ ...DEFAULT_DEMO, out, student: 'resnet' }, () => undefined)).rejects.toThrow(/--student.*early, dynamic.*"resnet"/);
  });

  it('runs every seed end to end and writes results.json, table.md and the report', async () => {
    const lines: string[] = [];
    const cfg = { ...DEFAULT_DEMO, seeds: '1,2', out, subjects: 24, pool: 4, size: 16, aeEpochs: 1, clfEpochs: 1, studentEpochs: 1, batchSize: 4, bootstrap: 20 };
    const results = await runDemo(cfg, (l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toMatch(/seed 1: 3D test BA transfer/);
    expect(text).toMatch(/seed 2: 2D test BA plain/);
    expect(text).toMatch(/Report: .*report\.html/);
    expect(results.seeds).toEqual([1, 2]);
    for (const r of results.perSeed) {
      expect(r.labelledScans).toBeGreaterThan(0);
      expect(r.unlabelledScans).toBeGreaterThan(0);
      for (const k of ['transfer', 'scratch', 'plain', 'distilled'] as const) expect(r[k].balancedAccuracy).toBeGreaterThanOrEqual(0);
    }
    expect(results.summary.distilledMinusPlain.values).toEqual(results.perSeed.map((r) => r.distilled.balancedAccuracy - r.plain.balancedAccuracy));
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('transfer − scratch');
    expect(html).not.toMatch(/<script[^>]+src=/);
    const table = readFileSync(path.join(out, 'table.md'), 'utf8');
    expect(table).toMatch(/distilled − plain/);
    // per-class recall and the confusion matrix of every model (issue 17 item 5): counts summed over seeds = test scans × seeds
    const classes = results.perSeed[0].classes!;
    expect(table).toContain(`| model | ${classes.map((c) => `recall ${c}`).join(' | ')} |`);
    for (const r of results.perSeed) {
      for (const k of ['transfer', 'scratch', 'plain', 'distilled'] as const) {
        const c = r[k].confusion!;
        expect(c).toHaveLength(classes.length);
        r[k].recall!.forEach((x, i) => expect(x * c[i].reduce((a, b) => a + b, 0)).toBeCloseTo(c[i][i], 9));
      }
    }
    const sum = (k: 'plain' | 'distilled') => results.perSeed.reduce((a, r) => a + r[k].confusion!.flat().reduce((x, y) => x + y, 0), 0);
    expect(sum('plain')).toBe(sum('distilled'));
    expect(table).toMatch(/\| 2D distilled \| .*\[\d+ \d+; \d+ \d+\] \|/);
    expect(existsSync(path.join(out, 'seed-1', 'cohort', 'cohort.csv'))).toBe(true);
    // the distilled student of the first seed as an offline app beside the report (issue 20)
    expect(html).toMatch(/<ul class="links"><li><a href="student-app\/index\.html">Run the distilled 2D student \(seed 1\) in your browser/);
    const scan = /drop a site-B scan on it, e\.g\. (seed-1\/cohort\/images\/sub-\d+_ses-\d\.nii\.gz) \(a test scan\)/.exec(html);
    expect(scan).not.toBeNull();
    expect(existsSync(path.join(out, scan![1])), scan![1]).toBe(true);
    for (const f of ['index.html', 'model.js', 'transmri-app.js']) expect(existsSync(path.join(out, 'student-app', f)), f).toBe(true);
    const meta = JSON.parse(readFileSync(path.join(out, 'student-export', 'transmri.json'), 'utf8'));
    expect(meta.view).toEqual({ kind: 'sequence', axis: 2, count: 8 }); // the default student: dynamic image of the 8 middle axial slices
    expect(meta.pipeline.steps.length).toBeGreaterThan(0);
    expect(meta.grid.shape).toHaveLength(3);
  });

  it('the early-fusion student, one seed, every site-B subject labelled (no unlabelled transfer set)', async () => {
    const cfg = { ...DEFAULT_DEMO, seeds: '3', out: path.join(out, 'early'), student: 'early', labelled: 1, subjects: 24, pool: 0, size: 16, aeEpochs: 1, clfEpochs: 1, studentEpochs: 1, batchSize: 4, bootstrap: 20 };
    const results = await runDemo(cfg, () => undefined);
    expect(results.perSeed[0]).toMatchObject({ seed: 3, unlabelledScans: 0 });
    const meta = JSON.parse(readFileSync(path.join(out, 'early', 'student-export', 'transmri.json'), 'utf8'));
    expect(meta.view).toEqual({ kind: 'channels', axis: 2, count: 3 }); // early fusion of the 3 middle axial slices
  });
});
