/**
 * Inputs the DataBunch must reach and bad inputs it must report early (issue 21, items 3, 4 and 8):
 * 4D files and NaN voxels through the pipeline's input and DataBunchOptions.nonFinite; every split's
 * files checked before any training, all bad files in one error; labels dropped by fromCsv counted;
 * z-scoring and intensity statistics refusing NaN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataError, OptionError } from '../../../src/backend/errors.js';
import { Volume } from '../../../src/data/volume.js';
import { encodeNifti1, writeNifti } from '../../../src/data/nifti/writer.js';
import { DataBunch, type DataBunchRow } from '../../../src/data/databunch/databunch.js';
import { SampleFilesError } from '../../../src/data/databunch/check-files.js';
import { fitGlobalZScore, fitVoxelZScore, zScoreSample } from '../../../src/data/databunch/zscore.js';
import { intensityStats } from '../../../src/data/ops/stats.js';

let dir: string;
const SHAPE: [number, number, number] = [3, 2, 2];
const quiet = { onWarning: () => {}, split: { valid: 0, test: 0 } };

function volume(value: number): Volume {
  return new Volume({ data: Float32Array.from({ length: 12 }, (_, i) => value + i), shape: SHAPE });
}

/** A 4D NIfTI-1 file of `n` volumes (volume t: value 100·t + i): a 3D file with dim[0] = 4, dim[4] = n and the data repeated. */
async function write4d(file: string, n: number): Promise<void> {
  const one = encodeNifti1(volume(0));
  const bytes = new Uint8Array(352 + n * 48);
  bytes.set(one.subarray(0, 352));
  const view = new DataView(bytes.buffer);
  view.setInt16(40, 4, true);
  view.setInt16(48, n, true);
  for (let t = 0; t < n; t++) for (let i = 0; i < 12; i++) view.setFloat32(352 + (t * 12 + i) * 4, 100 * t + i, true);
  await fs.writeFile(file, bytes);
}

/** Rows of `count` subjects (labels alternate CN/AD) written by `write`. */
async function cohort(name: string, count: number, write: (file: string, i: number) => Promise<void>): Promise<DataBunchRow[]> {
  const sub = path.join(dir, name);
  await fs.mkdir(sub);
  const rows: DataBunchRow[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(sub, `s${i}.nii`);
    await write(file, i);
    rows.push({ path: file, id: `s${i}`, subject: `s${i}`, label: i % 2 ? 'AD' : 'CN' });
  }
  return rows;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-inputs21-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('inputs the DataBunch can reach', () => {
  it('pipeline.input.volumeIndex picks a volume of 4D files', async () => {
    const rows = await cohort('fourd', 6, (f) => write4d(f, 3));
    const bunch = await DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'c4d'), pipeline: { input: { kind: 'nifti', volumeIndex: 2, reorient: false } } });
    const { data } = await bunch.read('s0');
    expect([...data].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => 200 + i));
    expect(bunch.pipeline.input).toEqual({ kind: 'nifti', volumeIndex: 2, reorient: false });
    await expect(DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'c4d2'), pipeline: { input: { kind: 'nifti', volumeIndex: -1 } } })).rejects.toThrow(OptionError);
  });

  it("NaN voxels: pipeline.input.nonFinite or DataBunchOptions.nonFinite 'zero' replaces them; a conflict is an OptionError", async () => {
    const rows = await cohort('nan', 6, (f, i) => {
      const v = volume(i);
      if (i === 1) v.data[4] = NaN;
      return writeNifti(f, v);
    });
    const viaInput = await DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cnan1'), pipeline: { input: { kind: 'nifti', nonFinite: 'zero' } } });
    const viaOption = await DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cnan2'), nonFinite: 'zero' });
    for (const b of [viaInput, viaOption]) {
      const { data } = await b.read('s1');
      expect(data.every(Number.isFinite)).toBe(true);
      expect(data.filter((v) => v === 0)).toHaveLength(1);
      expect(b.pipeline.input).toMatchObject({ nonFinite: 'zero' });
    }
    await expect(DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cnan3'), split: { valid: 0, test: 0 }, pipeline: { steps: [{ op: 'zScore' }] } })).rejects.toThrow(/s1\.nii: 1 of 12 voxels are NaN or infinite/);
    await expect(DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cnan4'), nonFinite: 'error', pipeline: { input: { kind: 'nifti', nonFinite: 'zero' } } })).rejects.toThrow(/DataBunchOptions\.nonFinite.*pipeline\.input\.nonFinite/);
    await expect(DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cnan5'), nonFinite: 'nan' as never })).rejects.toThrow(OptionError);
  });
});

describe('early checks of every split', () => {
  it('bad files in the valid and test splits are all reported at once, before anything is read for training', async () => {
    const rows = await cohort('bad', 12, (f) => writeNifti(f, volume(1)));
    const split = (id: string): DataBunchRow['split'] => (['s3', 's4'].includes(id) ? 'valid' : ['s5', 's6'].includes(id) ? 'test' : 'train');
    const pinned = rows.map((r) => ({ ...r, split: split(r.id as string) }));
    await fs.writeFile(path.join(dir, 'bad', 's3.nii'), 'not a nifti file at all');
    await fs.truncate(path.join(dir, 'bad', 's5.nii'), 200);
    await fs.rm(path.join(dir, 'bad', 's6.nii'));
    await write4d(path.join(dir, 'bad', 's4.nii'), 2);
    const cacheDir = path.join(dir, 'cbad');
    const err = await DataBunch.fromRows(pinned, { ...quiet, cacheDir, pipeline: { steps: [{ op: 'zScore' }] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SampleFilesError);
    expect(err).toBeInstanceOf(DataError);
    const e = err as SampleFilesError;
    expect(e.errors.map((x) => path.basename(x.file as string))).toEqual(['s3.nii', 's4.nii', 's5.nii', 's6.nii']);
    expect(e.message).toMatch(/^4 of 12 sample files cannot be used/);
    expect(e.message).toMatch(/valid sample s4: .*s4\.nii: 4D file with 2 volumes/);
    expect(e.message).toMatch(/test sample s5: .*s5\.nii: /);
    expect(e.message).toMatch(/test sample s6: .*s6\.nii: .*(missing|ENOENT)/);
    // nothing was cached: no training sample was read before the check
    expect(await fs.readdir(path.join(cacheDir, 'entries')).catch(() => [])).toEqual([]);
  });

  it('fromCsv({ labels }) says how many rows it dropped, per label', async () => {
    const rows = await cohort('csv', 8, (f) => writeNifti(f, volume(2)));
    const labels = ['CN', 'AD', 'MCI', 'MCI', 'SMC', 'CN', 'AD', 'MCI'];
    const csv = path.join(dir, 'csv', 'cohort.csv');
    await fs.writeFile(csv, ['path,label,subject', ...rows.map((r, i) => `${path.basename(r.path)},${labels[i]},${r.subject}`)].join('\n'));
    const warnings: string[] = [];
    const bunch = await DataBunch.fromCsv(csv, { labels: ['CN', 'AD'], cacheDir: path.join(dir, 'ccsv'), split: { valid: 0, test: 0 }, onWarning: (m) => warnings.push(m) });
    expect(bunch.samples).toHaveLength(4);
    expect(warnings).toContain('cohort.csv: dropped 4 of 8 rows whose label is not in labels: MCI 3, SMC 1');
  });
});

describe('NaN in normalisation statistics', () => {
  async function* samples(values: number[][]): AsyncIterable<{ data: Float32Array; shape: number[] }> {
    for (const v of values) yield { data: Float32Array.from(v), shape: [v.length, 1, 1, 1] };
  }

  it('zScore fitting and per-sample z-scoring refuse NaN or Inf with a DataError naming the sample', async () => {
    await expect(fitGlobalZScore(samples([[1, 2], [3, NaN]]), false)).rejects.toThrow(/zScore: training sample 1 has 1 NaN or infinite value/);
    await expect(fitVoxelZScore(samples([[1, 2], [Infinity, 4]]), false)).rejects.toThrow(DataError);
    expect(() => zScoreSample(Float32Array.from([1, NaN, 3]), false)).toThrow(/zScore: the sample has 1 NaN or infinite value/);
  });

  it("intensityStats refuses NaN by default and skips it with nonFinite: 'ignore'", () => {
    const vol = new Volume({ data: Float32Array.from([1, 2, NaN, 3]), shape: [4, 1, 1] });
    expect(() => intensityStats(vol)).toThrow(/intensityStats: volume 0 has 1 NaN or infinite value/);
    const s = intensityStats(vol, { nonFinite: 'ignore', percentiles: [50] });
    // finite values 1, 2, 3: mean 2, population std sqrt(2/3)
    expect([s.count, s.mean, s.min, s.max, s.percentiles[0]]).toEqual([3, 2, 1, 3, 2]);
    expect(s.std).toBeCloseTo(Math.sqrt(2 / 3), 12);
  });
});
