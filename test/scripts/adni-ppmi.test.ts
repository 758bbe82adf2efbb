import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Volume, writeCohort, writeNifti } from '../../src/index.js';
import { adniImagePath, adniRows, parseLabelMap } from '../../scripts/lib/adni.js';
import { main } from '../../scripts/adni-ppmi.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'transmri-adni-ppmi-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VISITS = ['ADNI Screening', 'Month 12'];

/** ADNI stand-in: trans-MRI's table columns and folder layout, images from the synthetic cohort. */
async function fakeAdni(): Promise<{ csv: string; root: string }> {
  const raw = path.join(dir, 'adni-raw');
  const { rows } = await writeCohort(raw, { seed: 11, subjects: 6, sessions: 2, shape: [32, 32, 32], labels: ['CN', 'Dementia'] });
  const root = path.join(dir, 'ADNI', 'ADNI_2Yr_3T_preprocessed');
  const lines = ['RID,PTID,Visit,Scan.Date,Image.ID,DX,AGE'];
  for (const [i, r] of rows.entries()) {
    const n = Number(r.subject.replace(/\D/g, '')); // one PTID per subject, e.g. 011_S_0301
    const ptid = `0${10 + n}_S_0${300 + n}`;
    const visit = VISITS[Number(r.session.replace(/\D/g, '')) - 1];
    const rec = { PTID: ptid, Visit: visit, 'Scan.Date': `0${4 + i % 5}/18/2006`, 'Image.ID': String(118671 + i), DX: r.label };
    const rel = adniImagePath(rec);
    await mkdir(path.join(root, path.dirname(rel)), { recursive: true });
    await rename(path.join(raw, r.path), path.join(root, rel));
    lines.push([i, rec.PTID, rec.Visit, rec['Scan.Date'], rec['Image.ID'], rec.DX, r.age].join(','));
  }
  lines.push('99,099_S_9999,Month 12,01/01/2007,999999,MCI,70'); // MCI rows are dropped (no image needed)
  const csv = path.join(dir, 'ADNI', 'ADNI_2Yr_3T.csv');
  await writeFile(csv, `${lines.join('\n')}\n`);
  return { csv, root };
}

/** PPMI stand-in: a generic CSV with trans-MRI's columns file_path, DX, PTID. */
async function fakePpmi(): Promise<string> {
  const folder = path.join(dir, 'PPMI');
  const { rows } = await writeCohort(folder, { seed: 12, subjects: 8, sessions: 1, shape: [32, 32, 32], labels: ['HC', 'PD'], imageDir: 'T1', csvName: 'cohort-original.csv' });
  const lines = ['file_path,DX,PTID,sex'];
  for (const [i, r] of rows.entries()) lines.push([r.path, r.label, String(3100 + i), r.sex].join(','));
  const csv = path.join(folder, 'ppmi.csv');
  await writeFile(csv, `${lines.join('\n')}\n`);
  return csv;
}

describe('ADNI/PPMI conventions', () => {
  it('builds trans-MRI\'s ADNI path', () => {
    expect(adniImagePath({ PTID: '002_S_0295', Visit: 'ADNI Screening', 'Scan.Date': '04/18/2006', 'Image.ID': '118671', DX: 'CN' })).toBe(
      path.join('002_S_0295', 'ADNIScreening', '002_S_0295_04-18-2006_ADNIScreening_118671_CN_Warped.nii.gz'),
    );
  });

  it('parses label maps and rejects one label', () => {
    expect(parseLabelMap('x', 'Dementia:AD, CN:CN')).toEqual({ Dementia: 'AD', CN: 'CN' });
    expect(parseLabelMap('x', 'PD,HC')).toEqual({ PD: 'PD', HC: 'HC' });
    expect(() => parseLabelMap('adniLabels', 'CN')).toThrow(/adniLabels/);
  });

  it('names the row and column of a missing ADNI image', async () => {
    const csv = path.join(dir, 'missing.csv');
    await writeFile(csv, 'PTID,Visit,Scan.Date,Image.ID,DX\n002_S_0295,Month 12,01/02/2007,1,CN\n');
    await expect(adniRows(csv, { CN: 'CN' })).rejects.toThrow(/missing\.csv.*row 1.*PTID.*image not found/s);
  });
});

describe('scripts/adni-ppmi.ts on synthetic stand-ins laid out like ADNI and PPMI', () => {
  it('pretrains on ADNI, transfers to PPMI with subject-level k-fold and writes results.json', async () => {
    const adni = await fakeAdni();
    const ppmiCsv = await fakePpmi();
    const mask = path.join(dir, 'mask.nii.gz');
    const m = new Float32Array(32 ** 3);
    for (let x = 2; x < 30; x++) for (let y = 2; y < 30; y++) for (let z = 2; z < 30; z++) m[(x * 32 + y) * 32 + z] = 1;
    await writeNifti(mask, new Volume({ data: m, shape: [32, 32, 32], spacing: [6, 6, 6] }));
    const out = path.join(dir, 'out');
    const config = {
      adniCsv: adni.csv, adniDir: adni.root, ppmiCsv, mask, shape: '32x32x32', zoom: 0.75, pretrain: 'multitask',
      adniValid: 0.2, aeEpochs: 1, freezeEpochs: 1, unfreezeEpochs: 1, batchSize: 4, folds: 2, bootstrap: 50, out, quiet: true,
    };
    const r = await main(config);
    expect(r.counts).toEqual({ adniScans: 12, adniSubjects: 6, ppmiScans: 8, ppmiSubjects: 8 });
    expect(r.classes).toEqual({ adni: ['AD', 'CN'], ppmi: ['PD', 'HC'] });
    expect(r.inputShape).toEqual([24, 24, 24, 1]);
    expect(r.pretraining.trainLoss).toHaveLength(1);
    expect(Number.isFinite(r.pretraining.trainLoss[0])).toBe(true);
    for (const s of [r.transfer, r.scratch]) {
      expect(s.folds).toHaveLength(2);
      expect(s.balancedAccuracy.value).toBeGreaterThanOrEqual(0);
      expect(s.balancedAccuracy.value).toBeLessThanOrEqual(1);
      expect(s.balancedAccuracy.ci[0]).toBeLessThanOrEqual(s.balancedAccuracy.ci[1]);
    }
    // Per-class scores (issue 17 item 5), pooled out of fold over the 8 PPMI scans: the confusion rows
    // count each class's scans in the CSV, recall × row count is the diagonal, and the pooled balanced
    // accuracy is the mean recall.
    const csvLabels = (await readFile(ppmiCsv, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',')[1]);
    const support = r.classes.ppmi.map((c) => csvLabels.filter((l) => l === c).length);
    expect(support[0] + support[1]).toBe(8);
    for (const s of [r.transfer, r.scratch]) {
      expect(s.confusion.map((row) => row[0] + row[1])).toEqual(support);
      for (const c of [0, 1]) expect(s.recall[c] * support[c]).toBeCloseTo(s.confusion[c][c], 9);
      expect((s.recall[0] + s.recall[1]) / 2).toBeCloseTo(s.balancedAccuracy.value, 9);
    }
    expect(r.table).toContain('| recall PD, pooled | recall HC, pooled | confusion (rows true PD/HC, columns predicted; pooled) |');
    expect(r.table).toContain(`| ${r.scratch.recall[0].toFixed(3)} | ${r.scratch.recall[1].toFixed(3)} | [${r.scratch.confusion[0].join(' ')}; ${r.scratch.confusion[1].join(' ')}] |`);
    const saved = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(saved.transfer.balancedAccuracy.value).toBe(r.transfer.balancedAccuracy.value);
    expect(saved.transfer.confusion).toEqual(r.transfer.confusion);
    expect(saved.table).toContain('from scratch');
    const html = await readFile(r.report, 'utf8');
    expect(html).toContain('ADNI → PPMI transfer (multitask pretraining)');
  }, 120_000);

  it('rejects a missing CSV option and an unknown pretraining mode', async () => {
    await expect(main({ ppmiCsv: 'x.csv' })).rejects.toThrow(/adniCsv/);
    await expect(main({ adniCsv: 'a.csv', ppmiCsv: 'b.csv', pretrain: 'gan' })).rejects.toThrow(/pretrain/);
  });
});
