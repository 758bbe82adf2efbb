import { describe, expect, it } from 'vitest';
import { ArrayBatchSource, splitVoxels, type BatchSource } from '../../src/index.js';

// 5 train samples of shape [2, 1, 1, 1] holding 0..9 (sample i = [2i, 2i + 1]); 'train' shuffles and augments by default
const source = new ArrayBatchSource({
  classes: ['a', 'b'],
  sampleShape: [2, 1, 1, 1],
  splits: { train: { x: Float32Array.from({ length: 10 }, (_, i) => i), y: [0, 1, 0, 1, 0] }, valid: { x: new Float32Array([7, 8]), y: [1], ids: ['v'] } },
  seed: 3,
  augment: (s) => s.map((v) => v + 100),
});

describe('splitVoxels', () => {
  it('gives one flat row per sample, in source order, unshuffled and unaugmented, across incomplete batches', async () => {
    const { ids, rows } = await splitVoxels(source, 'train', 2); // batches of 2, 2, 1
    expect(ids).toEqual(['train-0', 'train-1', 'train-2', 'train-3', 'train-4']);
    expect(rows.map((r) => Array.from(r))).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
    expect((await splitVoxels(source, 'valid')).rows.map((r) => Array.from(r))).toEqual([[7, 8]]);
    expect(await splitVoxels(source, 'test')).toEqual({ ids: [], rows: [] });
  });

  it('copies each row out of its batch (a row owns its 2 floats, later batches do not overwrite it)', async () => {
    // a source re-using one batch buffer, as a streaming reader may
    const buffer = new Float32Array(4);
    const reusing: BatchSource = {
      classes: ['a'],
      sampleShape: [2],
      size: () => 4,
      async *batches() {
        for (let b = 0; b < 2; b++) {
          buffer.set([4 * b, 4 * b + 1, 4 * b + 2, 4 * b + 3]);
          yield { x: { data: buffer, shape: [2, 2] }, y: new Int32Array(2), ids: [`s${2 * b}`, `s${2 * b + 1}`] };
        }
      },
    };
    const { rows } = await splitVoxels(reusing, 'train', 2);
    expect(rows.map((r) => Array.from(r))).toEqual([[0, 1], [2, 3], [4, 5], [6, 7]]);
    expect(rows.every((r) => r.buffer.byteLength === 8)).toBe(true);
  });
});
