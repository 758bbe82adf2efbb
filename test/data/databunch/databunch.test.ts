import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataError } from '../../../src/backend/errors.js';
import { Volume } from '../../../src/data/volume.js';
import { writeNifti } from '../../../src/data/nifti/writer.js';
import { DataBunch, type DataBunchRow } from '../../../src/data/databunch/databunch.js';
import { Pipeline } from '../../../src/data/databunch/pipeline.js';
import { decodeFloat32 } from '../../../src/data/databunch/zscore.js';
import type { Batch } from '../../../src/data/batch.js';

let dir: string;
let rows: DataBunchRow[];
const SHAPE: [number, number, number] = [6, 5, 4];

/** Subject s, session k: voxel value = s + k/10 + i/100 (so samples are distinguishable). */
function volumeOf(s: number, k: number): Volume {
  const data = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  data.forEach((_, i) => (data[i] = s + k / 10 + i / 100));
  return new Volume({ data, shape: SHAPE });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-bunch-'));
  rows = [];
  for (let s = 0; s < 24; s++) {
    for (let k = 0; k < 1 + (s % 3 === 0 ? 1 : 0); k++) {
      const file = path.join(dir, `sub${s}_ses${k}.nii`);
      await writeNifti(file, volumeOf(s, k));
      rows.push({ path: file, id: `sub${s}_ses${k}`, label: s % 3 === 1 ? 'AD' : 'CN', subject: `sub${s}`, session: `ses${k}`, age: 60 + s, sex: s % 2 ? 'F' : 'M' });
    }
  }
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

const quiet = { onWarning: () => {} };

describe('DataBunch.fromRows', () => {
  it('splits by subject, seeded, with valid ∩ test = ∅, and streams [N, D, H, W, 1] batches', async () => {
    const opts = { ...quiet, cacheDir: path.join(dir, 'cache1'), split: { valid: 0.25, test: 0.25, seed: 3 } };
    const a = await DataBunch.fromRows(rows, opts);
    const b = await DataBunch.fromRows(rows, opts);
    expect(b.splits).toEqual(a.splits);
    expect(a.classes).toEqual(['AD', 'CN']);
    expect(a.sampleShape).toEqual([6, 5, 4, 1]);
    const subjectsOf = (ids: readonly string[]): Set<string> => new Set(ids.map((id) => id.split('_')[0]));
    const [tr, va, te] = [subjectsOf(a.splits.train), subjectsOf(a.splits.valid), subjectsOf(a.splits.test)];
    for (const s of va) expect(tr.has(s) || te.has(s)).toBe(false);
    for (const s of te) expect(tr.has(s)).toBe(false);
    expect(a.size('train') + a.size('valid') + a.size('test')).toBe(rows.length);
    const batches = await collect(a.batches('valid', { batchSize: 3 }));
    expect(batches[0].x.shape).toEqual([Math.min(3, a.size('valid')), 6, 5, 4, 1]);
    expect(batches.flatMap((x) => x.ids)).toEqual(a.splits.valid); // no shuffle on valid
    const first = batches[0];
    const sub = Number(first.ids[0].slice(3).split('_')[0]);
    expect(first.y[0]).toBe(sub % 3 === 1 ? 0 : 1);
    // voxel (1, 2, 3) of the first sample: index (1·5 + 2)·4 + 3 = 31 → s + k/10 + 0.31
    const k = Number(first.ids[0].split('_ses')[1]);
    expect(first.x.data[31]).toBeCloseTo(sub + k / 10 + 0.31, 5);
  });

  it('shuffles train per epoch (seeded), augments train only, and reuses the cache', async () => {
    const cacheDir = path.join(dir, 'cache2');
    const opts = { ...quiet, cacheDir, seed: 9, pipeline: { steps: [{ op: 'noise' as const, std: 0.5 }] } };
    const a = await DataBunch.fromRows(rows, opts);
    const e0 = await collect(a.batches('train', { batchSize: 4, epoch: 0 }));
    const e0again = await collect(a.batches('train', { batchSize: 4, epoch: 0 }));
    const e1 = await collect(a.batches('train', { batchSize: 4, epoch: 1 }));
    expect(e0again.map((b) => b.ids)).toEqual(e0.map((b) => b.ids));
    expect(Array.from(e0again[0].x.data)).toEqual(Array.from(e0[0].x.data));
    expect(e1.flatMap((b) => b.ids)).not.toEqual(e0.flatMap((b) => b.ids));
    expect([...e1.flatMap((b) => b.ids)].sort()).toEqual([...a.splits.train].sort());
    // train is noisy, valid is not
    const raw = await a.read(e0[0].ids[0]);
    expect(Array.from(e0[0].x.data.subarray(0, raw.data.length))).not.toEqual(Array.from(raw.data));
    const v = await collect(a.batches('valid', { batchSize: 100, epoch: 3 }));
    expect(Array.from(v[0].x.data.subarray(0, raw.data.length))).toEqual(Array.from((await a.read(v[0].ids[0])).data));
    // a second bunch on the same cache builds nothing
    const warm = await DataBunch.fromRows(rows, opts);
    await collect(warm.batches('train', { batchSize: 4 }));
    expect(warm.cache.counters.builds).toBe(0);
    // the first built train (fit/shape) and the valid samples it read, never test
    expect(a.cache.counters.builds).toBe(a.size('train') + a.size('valid'));
  });

  it('fits normalisation on train only: changing a test voxel leaves the statistics alone', async () => {
    const steps = [{ op: 'cropOrPad' as const, shape: [4, 4, 4] as [number, number, number] }, { op: 'zScore' as const }];
    const local = await Promise.all(
      rows.map(async (r) => {
        const file = path.join(dir, 'copy', path.basename(r.path));
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.copyFile(r.path, file);
        return { ...r, path: file };
      }),
    );
    const opts = { ...quiet, cacheDir: path.join(dir, 'cache3'), pipeline: { steps } };
    const before = await DataBunch.fromRows(local, opts);
    const stats = before.pipeline.steps[1];
    const testId = before.splits.test[0];
    const testRow = local.find((r) => r.id === testId) as DataBunchRow;
    const vol = volumeOf(0, 0);
    vol.data[40] = 1e6;
    await writeNifti(testRow.path, vol);
    const after = await DataBunch.fromRows(local, opts);
    expect(after.pipeline.steps[1]).toEqual(stats);
    expect((await after.read(testId)).data.some((x) => x > 1000)).toBe(true);
    // while changing a training voxel moves them
    const trainRow = local.find((r) => r.id === before.splits.train[0]) as DataBunchRow;
    await writeNifti(trainRow.path, vol);
    const moved = await DataBunch.fromRows(local, opts);
    expect(moved.pipeline.steps[1]).not.toEqual(stats);
    // the pipeline replays from JSON with the same numbers
    const replay = Pipeline.fromJSON(JSON.parse(JSON.stringify(after.pipeline)));
    expect(replay.toJSON()).toEqual(after.pipeline);
  });

  it("voxel-wise zScore is fitted on train only, and streamed batches equal read() (in-place path)", async () => {
    const steps = [{ op: 'cropOrPad' as const, shape: [4, 4, 4] as [number, number, number] }, { op: 'zScore' as const, mode: 'voxel' as const }];
    const local = await Promise.all(
      rows.map(async (r) => {
        const file = path.join(dir, 'copy-voxel', path.basename(r.path));
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.copyFile(r.path, file);
        return { ...r, path: file };
      }),
    );
    const opts = { ...quiet, cacheDir: path.join(dir, 'cache-voxel'), pipeline: { steps } };
    const bunch = await DataBunch.fromRows(local, opts);
    const step = bunch.pipeline.steps[1] as { meanImage: string; stdImage: string };
    const mean = decodeFloat32(step.meanImage, 64, 'mean');
    const std = decodeFloat32(step.stdImage, 64, 'std');
    // voxel j of sample (s, k) holds s + k/10 + c_j: its mean is the train mean of s + k/10 plus c_j, its std their population std
    const offsets = bunch.samplesOf('train').map((r) => Number(r.id.slice(3).split('_')[0]) + Number(r.id.split('_ses')[1]) / 10);
    const m = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    const sd = Math.sqrt(offsets.reduce((a, b) => a + (b - m) ** 2, 0) / offsets.length);
    const first = (await bunch.read(bunch.splits.train[0])).data;
    const c0 = Number(bunch.splits.train[0].slice(3).split('_')[0]) + Number(bunch.splits.train[0].split('_ses')[1]) / 10;
    for (const j of [0, 21, 63]) {
      expect(std[j]).toBeCloseTo(sd, 4);
      // (x − mean_j) / std_j for the first training sample: (c0 + c_j − m − c_j) / sd
      expect(first[j]).toBeCloseTo((c0 - m) / sd, 4);
    }
    // mean_j = m + c_j: neighbours along z, y, x of the [6, 5, 4] source differ by 1, 4, 20 hundredths
    expect(mean[1] - mean[0]).toBeCloseTo(0.01, 4);
    expect(mean[4] - mean[0]).toBeCloseTo(0.04, 4);
    expect(mean[16] - mean[0]).toBeCloseTo(0.2, 4);
    expect(mean[0] - m).toBeGreaterThanOrEqual(0);
    expect(mean[0] - m).toBeLessThan(0.3);
    // a test-set voxel changed: the fitted images stay
    const testRow = local.find((r) => r.id === bunch.splits.test[0]) as DataBunchRow;
    const vol = volumeOf(0, 0);
    vol.data[40] = 1e6;
    await writeNifti(testRow.path, vol);
    const after = await DataBunch.fromRows(local, opts);
    expect(after.pipeline.steps[1]).toEqual(bunch.pipeline.steps[1]);
    // batches (straight into the batch buffer, normalised in place) equal read(), which copies
    const [b] = await collect(after.batches('test', { batchSize: 2 }));
    for (let u = 0; u < b.ids.length; u++) expect(Array.from(b.x.data.subarray(u * 64, (u + 1) * 64))).toEqual(Array.from((await after.read(b.ids[u])).data));
    expect(b.x.data.some((v) => v > 1000)).toBe(true);
  });

  it('augmented training batches are the same on the in-place path (any readers) as on the copying path', async () => {
    const pipeline = { steps: [{ op: 'zScore' as const }, { op: 'flip' as const, axes: [0, 2], p: 0.5 }, { op: 'noise' as const, std: 0.1 }] };
    const opts = { ...quiet, cacheDir: path.join(dir, 'cache1'), pipeline };
    const direct = await collect((await DataBunch.fromRows(rows, { ...opts, readers: 3 })).batches('train', { batchSize: 5, epoch: 2 }));
    const serial = await collect((await DataBunch.fromRows(rows, { ...opts, readers: 1 })).batches('train', { batchSize: 5, epoch: 2 }));
    // views.volume forces the copying path (read → copy → augment → copy)
    const copying = await collect((await DataBunch.fromRows(rows, { ...opts, views: { volume: true } })).batches('train', { batchSize: 5, epoch: 2 }));
    for (const other of [serial, copying]) {
      expect(other.map((b) => b.ids)).toEqual(direct.map((b) => b.ids));
      other.forEach((b, i) => expect(Array.from(b.x.data)).toEqual(Array.from(direct[i].x.data)));
    }
    expect(direct[0].x.data.some((v, i) => v !== copying[0].views?.volume.data[i])).toBe(false);
    await expect(DataBunch.fromRows(rows, { ...opts, readers: 0 })).rejects.toThrow(/DataBunchOptions\.readers: expected an integer ≥ 1, got 0/);
  });

  it('slice views: middle k slices as [N, H, W, 1] with the whole volume as a view', async () => {
    const bunch = await DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cache1'), view: { slices: { axis: 2, count: 2 } }, views: { volume: true } });
    expect(bunch.sampleShape).toEqual([6, 5, 1]);
    expect(bunch.size('valid')).toBe(bunch.splits.valid.length * 2);
    const [b] = await collect(bunch.batches('valid', { batchSize: 4 }));
    expect(b.x.shape).toEqual([4, 6, 5, 1]);
    expect(b.ids.slice(0, 2)).toEqual([`${bunch.splits.valid[0]}#2:1`, `${bunch.splits.valid[0]}#2:2`]);
    expect(b.views?.volume.shape).toEqual([4, 6, 5, 4, 1]);
    // middle 2 of 4 slices along axis 2 are k = 1, 2; x[0] pixel (i, j) = (0, 1) is at 0·5 + 1 = 1 and holds voxel (0, 1, 1)
    const vol = (await bunch.read(bunch.splits.valid[0])).data;
    expect(b.x.data[1]).toBe(vol[(0 * 5 + 1) * 4 + 1]);
    expect(b.x.data[30 + 1]).toBe(vol[(0 * 5 + 1) * 4 + 2]);
  });

  it('class weights, k-fold over train ∪ valid, and bad input', async () => {
    const bunch = await DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cache1') });
    const train = bunch.samplesOf('train');
    const nAD = train.filter((s) => s.label === 'AD').length;
    expect(bunch.classWeights()[0]).toBeCloseTo(train.length / (2 * nAD), 12);
    const seen: string[] = [];
    for await (const { bunch: f } of bunch.kFold(3)) {
      seen.push(...f.splits.valid);
      expect(f.splits.test).toEqual(bunch.splits.test);
    }
    expect(seen.sort()).toEqual([...bunch.splits.train, ...bunch.splits.valid].sort());
    await expect(DataBunch.fromRows(rows.map((r) => ({ ...r, label: 'CN' })), quiet)).rejects.toThrow(/single class "CN"/);
    await expect(DataBunch.fromRows(rows, { ...quiet, classes: ['AD'] })).rejects.toThrow(DataError);
    const warnings: string[] = [];
    await DataBunch.fromRows(rows.map(({ subject: _s, ...r }) => r), { cacheDir: path.join(dir, 'cache1'), onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/no subject ids.*both sides of a split/);
  });

  it('a mask step with a path multiplies by the loaded mask (> 0 keeps)', async () => {
    const maskFile = path.join(dir, 'mask.nii');
    // keep voxels with i < 3 (the first half along axis 0)
    const m = new Float32Array(6 * 5 * 4).map((_, idx) => (Math.floor(idx / 20) < 3 ? 1 : 0));
    await writeNifti(maskFile, new Volume({ data: m, shape: SHAPE }));
    const bunch = await DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cache4'), pipeline: { steps: [{ op: 'mask', path: maskFile }] } });
    const id = bunch.splits.valid[0];
    const { data } = await bunch.read(id);
    const [sub, k] = [Number(id.slice(3).split('_')[0]), Number(id.split('_ses')[1])];
    expect(data[19]).toBeCloseTo(sub + k / 10 + 0.19, 5); // voxel (0, 4, 3) kept
    expect(data[60]).toBe(0); // voxel (3, 0, 0) masked
  });

  it('a mask file changed under the same path invalidates the cached samples; an unchanged one does not', async () => {
    const maskFile = path.join(dir, 'mask-changing.nii');
    const firstHalf = new Float32Array(6 * 5 * 4).map((_, idx) => (Math.floor(idx / 20) < 3 ? 1 : 0)); // keeps i < 3
    await writeNifti(maskFile, new Volume({ data: firstHalf, shape: SHAPE }));
    const opts = { ...quiet, cacheDir: path.join(dir, 'cache-mask'), pipeline: { steps: [{ op: 'mask' as const, path: maskFile }] } };
    const before = await DataBunch.fromRows(rows, opts);
    const id = before.splits.valid[0];
    expect((await before.read(id)).data[60]).toBe(0); // voxel (3, 0, 0) masked
    // same bytes written again (new mtime): the cache is reused
    await writeNifti(maskFile, new Volume({ data: firstHalf, shape: SHAPE }));
    const same = await DataBunch.fromRows(rows, opts);
    await same.read(id);
    expect(same.cache.counters.builds).toBe(0);
    // the other half kept instead: voxel (3, 0, 0) now kept, (0, 0, 0) masked
    await writeNifti(maskFile, new Volume({ data: firstHalf.map((v) => 1 - v), shape: SHAPE }));
    const after = await DataBunch.fromRows(rows, opts);
    const { data } = await after.read(id);
    const [sub, k] = [Number(id.slice(3).split('_')[0]), Number(id.split('_ses')[1])];
    expect(data[60]).toBeCloseTo(sub + k / 10 + 0.6, 5);
    expect(data[0]).toBe(0);
    expect(after.cache.counters.builds).toBeGreaterThan(0);
    // the saved pipeline records the mask's sha1: replayed with the same file it works (and reuses the cache),
    // with the file changed since, it is refused, naming the file
    const saved = after.pipeline;
    const step = saved.steps[0] as { op: string; sha1?: string };
    expect(step.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(step.sha1).not.toBe((before.pipeline.steps[0] as { sha1?: string }).sha1);
    const replay = await DataBunch.fromRows(rows, { ...opts, pipeline: saved });
    await replay.read(id);
    expect(replay.cache.counters.builds).toBe(0);
    await writeNifti(maskFile, new Volume({ data: firstHalf, shape: SHAPE }));
    const stale = DataBunch.fromRows(rows, { ...opts, pipeline: saved });
    await expect(stale).rejects.toThrow(DataError);
    await expect(stale).rejects.toThrow(/mask-changing\.nii.*differs from the one this pipeline was built with/);
  });

  it('undersampling balances the training split; samples of another shape are a DataError naming them', async () => {
    const bunch = await DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cache1'), balance: 'undersample' });
    const labels = bunch.samplesOf('train').map((s) => s.label);
    expect(labels.filter((l) => l === 'AD').length).toBe(labels.filter((l) => l === 'CN').length);
    expect(bunch.size('valid') + bunch.size('test')).toBe((await DataBunch.fromRows(rows, { ...quiet, cacheDir: path.join(dir, 'cache1') })).size('valid') + bunch.size('test'));
    const odd = path.join(dir, 'odd.nii');
    await writeNifti(odd, new Volume({ data: new Float32Array(3 * 5 * 4), shape: [3, 5, 4] }));
    const mixed = [...rows, { path: odd, id: 'odd', label: 'AD', subject: 'odd', split: 'valid' as const }];
    const withOdd = await DataBunch.fromRows(mixed, { ...quiet, cacheDir: path.join(dir, 'cache1') });
    await expect(collect(withOdd.batches('valid', { batchSize: 64 }))).rejects.toThrow(/sample odd has shape \[3,5,4,1\] but the others have \[6,5,4,1\]; add a cropOrPad step/);
  });
});
