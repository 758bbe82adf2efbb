import { describe, expect, it } from 'vitest';
import { OptionError } from '../../../src/backend/errors.js';
import { middleSlices } from '../../../src/data/databunch/stream.js';
import { VolumeViewSource, cutView, keepLabelled, viewShape, withUnlabelled } from '../../../src/data/views/volume-views.js';

/** A [2, 3, 4] volume whose value is its C-order index: v(x, y, z) = 12x + 4y + z. */
const SHAPE = [2, 3, 4, 1];
const vol = Float32Array.from({ length: 24 }, (_, i) => i);

describe('volume views (3D → 2D student inputs)', () => {
  it('takes the middle slices like the DataBunch slice view', () => {
    // n = 4, k = 2: start floor((4 − 2) / 2) = 1
    expect(middleSlices(4, 2)).toEqual([1, 2]);
    expect(middleSlices(4, 1)).toEqual([1]);
    expect(middleSlices(3, 3)).toEqual([0, 1, 2]);
    expect(middleSlices(4, 'all')).toEqual([0, 1, 2, 3]);
    expect(() => middleSlices(4, 5, 'StudentView.count')).toThrow(/StudentView\.count.*1\.\.4/);
    // one convention: a student view and the DataBunch's slice view go through this one function
    expect(() => viewShape({ kind: 'channels', axis: 2, count: 5 }, [2, 3, 4])).toThrow(OptionError);
  });

  it('cuts a slice, channels and a sequence across z with the values worked out by hand', () => {
    const slice = new Float32Array(6);
    // middle z = 1: v(x, y, 1) = 12x + 4y + 1 over (x, y) in C order
    cutView(vol, SHAPE, { kind: 'slice', axis: 2, count: 1 }, slice, 0);
    expect([...slice]).toEqual([1, 5, 9, 13, 17, 21]);
    const channels = new Float32Array(12);
    // z = 1, 2 as the last axis: [(0,0): 1, 2], [(0,1): 5, 6], ...
    cutView(vol, SHAPE, { kind: 'channels', axis: 2, count: 2 }, channels, 0);
    expect([...channels]).toEqual([1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22]);
    const sequence = new Float32Array(12);
    // step 0 = slice z = 1, step 1 = slice z = 2
    cutView(vol, SHAPE, { kind: 'sequence', axis: 2, count: 2 }, sequence, 0);
    expect([...sequence]).toEqual([1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22]);
    const across0 = new Float32Array(12);
    // axis 0, n = 2, k = 1: x = 0, the [3, 4] plane = values 0..11
    cutView(vol, SHAPE, { kind: 'slice', axis: 0, count: 1 }, across0, 0);
    expect([...across0]).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(viewShape({ kind: 'sequence', axis: 2, count: 2 }, SHAPE)).toEqual([2, 2, 3, 1]);
    expect(viewShape({ kind: 'channels', axis: 1, count: 3 }, SHAPE)).toEqual([2, 4, 3]);
  });

  it('appends a transfer pool to a training split, unlabelled (−1) under prefixed ids', () => {
    const split = { ids: ['a', 'b'], y: Int32Array.from([1, 0]), data: Float32Array.from([1, 2, 3, 4]) };
    const pool = { ids: ['a', 'c', 'd'], y: Int32Array.from([0, 1, 1]), data: Float32Array.from([5, 6, 7, 8, 9, 10]) };
    const joined = withUnlabelled(split, pool);
    expect(joined.ids).toEqual(['a', 'b', 'pool/a', 'pool/c', 'pool/d']);
    expect([...joined.y]).toEqual([1, 0, -1, -1, -1]);
    expect([...joined.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // the inputs are not modified
    expect([...split.y]).toEqual([1, 0]);
    expect(split.ids).toEqual(['a', 'b']);
  });

  it('keeps the labels of the first fraction of each class\'s subjects (whole subjects, at least one) and returns the rest', () => {
    // subjects a (class 0, 2 scans), b (0), c (0), d (1, 2 scans), e (1); one value per volume
    const split = { ids: ['c1', 'a1', 'd1', 'b1', 'a2', 'e1', 'd2'], y: Int32Array.from([0, 0, 1, 0, 0, 1, 1]), data: Float32Array.from([3, 1, 4, 2, 1.5, 5, 4.5]) };
    const subject = (id: string) => id[0];
    const { labelled, rest } = keepLabelled(split, 0.5, subject);
    // class 0: round(0.5·3) = 2 subjects (a, b); class 1: round(0.5·2) = 1 (d)
    expect(labelled.ids).toEqual(['a1', 'd1', 'b1', 'a2', 'd2']);
    expect([...labelled.y]).toEqual([0, 1, 0, 0, 1]);
    expect([...labelled.data]).toEqual([1, 4, 2, 1.5, 4.5]);
    expect(rest.ids).toEqual(['c1', 'e1']);
    expect([...rest.data]).toEqual([3, 5]);
    expect(keepLabelled(split, 0.01, subject).labelled.ids).toEqual(['a1', 'd1', 'a2', 'd2']);
    expect(keepLabelled(split, 1, subject).rest.ids).toEqual([]);
    expect(() => keepLabelled(split, 0, subject)).toThrow(/fraction/);
  });

  it('streams student views with the whole (possibly flipped) volume beside them, seeded', async () => {
    const splits = { train: { ids: ['a', 'b'], y: Int32Array.from([0, 1]), data: Float32Array.from([...vol, ...vol.map((v) => -v)]) } };
    const make = (flip: number) => new VolumeViewSource({ classes: ['CN', 'AD'], volumeShape: SHAPE, splits, view: { kind: 'slice', axis: 2, count: 1 }, seed: 3, flip });
    const all = async (flip: number) => {
      const out = [];
      for await (const b of make(flip).batches('train', { batchSize: 2, epoch: 0 })) out.push(b);
      return out;
    };
    const [plain] = await all(0);
    expect(plain.x.shape).toEqual([2, 2, 3, 1]);
    expect(plain.views?.volume.shape).toEqual([2, 2, 3, 4, 1]);
    const [flipped] = await all(1);
    // a flipped sample has its own id, so the teacher's per-id cache keeps both versions apart
    expect(flipped.ids).toEqual(plain.ids.map((id) => `${id}#flip`));
    // flipping x maps v(x, y, z) to v(1 − x, y, z): the slice [1, 5, 9, 13, 17, 21] becomes [13, 17, 21, 1, 5, 9]
    const i = flipped.ids.indexOf('a#flip');
    expect([...flipped.x.data.subarray(6 * i, 6 * i + 6)]).toEqual([13, 17, 21, 1, 5, 9]);
    expect(flipped.views!.volume.data[24 * i]).toBe(12);
    expect((await all(1))[0].x.data).toEqual(flipped.x.data);
  });
});
