import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL_SEED_OFFSET, syntheticPool, syntheticSites } from '../../scripts/lib/synthetic-sites.js';
import { generateCohort, readNifti, type Batch } from '../../src/index.js';

describe('scripts/lib/synthetic-sites.ts', () => {
  const dirs: string[] = [];
  beforeAll(() => {
    dirs.push(mkdtempSync(path.join(tmpdir(), 'transmri-sites-a-')), mkdtempSync(path.join(tmpdir(), 'transmri-sites-b-')));
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const base = { seed: 5, subjects: 16, size: 8, flip: 0 };

  it("writes the cohort with the given disease severity (the cohort's default without it)", async () => {
    await syntheticSites(dirs[0], { ...base, severity: [0.1, 0.2] });
    await syntheticSites(dirs[1], base);
    const mild = generateCohort({ seed: 5, subjects: 16, shape: [8, 8, 8], severity: [0.1, 0.2] }).samples;
    const usual = generateCohort({ seed: 5, subjects: 16, shape: [8, 8, 8] }).samples;
    const ad = mild.findIndex((s) => s.label === 'AD');
    expect(mild[ad].truth.severity).toBeGreaterThanOrEqual(0.1);
    expect(mild[ad].truth.severity).toBeLessThanOrEqual(0.2);
    const file = (dir: string, i: number) => path.join(dir, 'cohort', 'images', `${mild[i].subject}_${mild[i].session}.nii.gz`);
    const written = [await readNifti(file(dirs[0], ad)), await readNifti(file(dirs[1], ad))];
    // written volumes equal the generated ones of their own severity, and the two differ
    expect([...written[0].data]).toEqual([...mild[ad].volume.data]);
    expect([...written[1].data]).toEqual([...usual[ad].volume.data]);
    expect([...written[0].data]).not.toEqual([...written[1].data]);
  }, 30_000);

  it('the transfer pool: site-B scans of a second cohort (new subjects), all in train; none for 0 subjects', async () => {
    expect(await syntheticPool(dirs[0], { ...base, subjects: 0 })).toBeUndefined();
    const pool = (await syntheticPool(dirs[0], { ...base, subjects: 4 }))!;
    // 2·4 subjects, 4 per class, sites alternating within a class: 4 on site B, two sessions each
    expect([pool.size('train'), pool.size('valid'), pool.size('test')]).toEqual([8, 0, 0]);
    const expected = generateCohort({ seed: 5 + POOL_SEED_OFFSET, subjects: 8, shape: [8, 8, 8] }).samples.filter((s) => s.site === 'B');
    expect(expected).toHaveLength(8);
    const batches: Batch[] = [];
    for await (const b of pool.batches('train', { batchSize: 8, shuffle: false, augment: false })) batches.push(b);
    expect(batches[0].ids.map((id) => id.replace(/^.*(sub-\d+_ses-\d+).*$/, '$1')).sort()).toEqual(expected.map((s) => `${s.subject}_${s.session}`).sort());
    // not the sites' cohort: its site-B volumes differ from the pool's
    const sites = generateCohort({ seed: 5, subjects: 16, shape: [8, 8, 8] }).samples.find((s) => s.site === 'B')!;
    const first = expected.find((s) => s.subject === sites.subject && s.session === sites.session);
    if (first) expect([...first.volume.data]).not.toEqual([...sites.volume.data]);
  }, 30_000);
});
