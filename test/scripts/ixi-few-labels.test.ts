import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionError, Rng, writeCohort } from '../../src/index.js';
import { drawLabelled, runIxiFewLabels } from '../../scripts/ixi-few-labels.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'transmri-ixi-few-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ixi-few-labels', () => {
  it('drawLabelled: n/2 subjects of each sex, the rest test, the same for the same seed', () => {
    const sex = [0, 1, 0, 1, 0, 0, 1, 1, 0, 1];
    const a = drawLabelled(sex, 4, new Rng(3).fork('labelled/4'));
    expect(a.train).toHaveLength(4);
    expect(a.train.filter((i) => sex[i] === 0)).toHaveLength(2);
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(sex.map((_, i) => i));
    expect(drawLabelled(sex, 4, new Rng(3).fork('labelled/4'))).toEqual(a);
    expect(() => drawLabelled(sex, 3, new Rng(0))).toThrow(OptionError);
    expect(() => drawLabelled(sex, 12, new Rng(0))).toThrow(/needs 6 subjects of each sex/);
  });

  it('runs end to end on synthetic volumes laid out like IXI (one epoch each)', async () => {
    const root = path.join(dir, 'ixi');
    const { rows } = await writeCohort(root, { seed: 21, subjects: 10, sessions: 1, shape: [16, 16, 16], imageDir: 't1', csvName: 'cohort.csv' });
    const lines = ['MRID,Age,Sex'];
    for (const [i, r] of rows.entries()) {
      const mrid = `IXI${100 + i}-HH-${1400 + i}`;
      await rename(path.join(root, r.path), path.join(root, 't1', `${mrid}_T1.nii.gz`));
      lines.push(`${mrid},${r.age.toFixed(2)},${i % 2 === 0 ? 'F' : 'M'}`);
    }
    await writeFile(path.join(root, 'participants.csv'), `${lines.join('\n')}\n`);
    const out = path.join(dir, 'out');
    const cfg = { seed: -1, seeds: '0,1', labelled: '2,4', out, data: root, crop: '16x16x16', zoom: 1, aeEpochs: 1, scratchEpochs: 1, batchSize: 4, pcaComponents: 3 };
    const r = await runIxiFewLabels(cfg, () => {});
    expect(r.rows.map((x) => [x.seed, x.n])).toEqual([[0, 2], [0, 4], [1, 2], [1, 4]]);
    for (const x of r.rows) for (const v of Object.values(x.sexBa)) expect(v).toBeGreaterThanOrEqual(0);
    expect(r.summary[4].transferMinusPca.values).toEqual(r.rows.filter((x) => x.n === 4).map((x) => x.sexBa.transfer - x.sexBa.pca));
    // Per-class sex scores (issue 17 item 5): the confusion counts the 10 − n test subjects (5 F, 5 M
    // less n/2 each), recall × row count is the diagonal, and the balanced accuracy is the mean recall.
    expect(r.classes).toEqual(['F', 'M']);
    for (const x of r.rows) {
      for (const k of ['transfer', 'pca', 'scratch'] as const) {
        const { recall, confusion } = x.sexClass[k];
        expect(confusion.map((row) => row[0] + row[1])).toEqual([5 - x.n / 2, 5 - x.n / 2]);
        for (const c of [0, 1]) expect(recall[c] * (5 - x.n / 2)).toBeCloseTo(confusion[c][c], 9);
        expect((recall[0] + recall[1]) / 2).toBeCloseTo(x.sexBa[k], 9);
      }
    }
    const md = await readFile(path.join(out, 'table.md'), 'utf8');
    expect(md).toContain('| model | recall F | recall M | confusion (rows true F/M, columns predicted; summed over runs) |');
    for (const k of ['transfer', 'pca', 'scratch']) expect(md).toContain(`| 4 labelled, ${k} | `);
    expect(JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')).rows[0].sexClass.pca.confusion).toEqual(r.rows[0].sexClass.pca.confusion);
  }, 300_000);
});
