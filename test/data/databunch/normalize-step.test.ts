import { describe, expect, it } from 'vitest';
import { OptionError, ShapeError } from '../../../src/backend/errors.js';
import { applyStatic, checkStep, stepKind, type StepSpec } from '../../../src/data/databunch/steps.js';
import { Volume } from '../../../src/data/volume.js';

describe("pipeline step { op: 'normalize' } (fixed per-channel mean and std)", () => {
  // a 2×1 RGB image, channels interleaved last: pixel 0 = (0, 128, 255), pixel 1 = (255, 64, 10)
  const rgb = new Volume({ data: Float32Array.from([0, 128, 255, 255, 64, 10]), shape: [2, 1, 1], channels: 3 });
  const imagenet: StepSpec = { op: 'normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

  it('is a static step giving (x − mean[c]) / std[c] per channel, worked out by hand', () => {
    checkStep(imagenet, 0);
    expect(stepKind(imagenet)).toBe('static');
    const out = applyStatic(imagenet, rgb);
    const want = [(0 - 123.675) / 58.395, (128 - 116.28) / 57.12, (255 - 103.53) / 57.375, (255 - 123.675) / 58.395, (64 - 116.28) / 57.12, (10 - 103.53) / 57.375];
    // −2.117904, 0.205182, 2.640000, 2.248908, −0.915266, −1.630153
    expect([want[0], want[2], want[4]].map((v) => Number(v.toFixed(6)))).toEqual([-2.117904, 2.64, -0.915266]);
    Array.from(out.data).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    expect(out.channels).toBe(3);
    expect(Array.from(rgb.data)).toEqual([0, 128, 255, 255, 64, 10]);
  });

  it('one number applies to every channel; a 1-channel volume takes a one-element list', () => {
    const out = applyStatic({ op: 'normalize', mean: 10, std: 2 }, rgb);
    expect(Array.from(out.data)).toEqual([-5, 59, 122.5, 122.5, 27, 0]);
    const gray = new Volume({ data: Float32Array.from([1, 3]), shape: [2, 1, 1] });
    expect(Array.from(applyStatic({ op: 'normalize', mean: [1], std: [0.5] }, gray).data)).toEqual([0, 4]);
  });

  it('refuses a list of the wrong length for the image, a std ≤ 0, non-numbers and unknown keys, naming the step', () => {
    expect(() => applyStatic({ op: 'normalize', mean: [1, 2], std: 1 }, rgb)).toThrow(ShapeError);
    expect(() => applyStatic({ op: 'normalize', mean: [1, 2], std: 1 }, rgb)).toThrow(/mean has 2 values, the image 3 channels/);
    expect(() => checkStep({ op: 'normalize', mean: 0, std: 0 }, 2)).toThrow(/steps\[2\]\.std/);
    expect(() => checkStep({ op: 'normalize', mean: 0, std: [1, -1] }, 2)).toThrow(OptionError);
    expect(() => checkStep({ op: 'normalize', mean: [], std: 1 }, 0)).toThrow(/steps\[0\]\.mean/);
    expect(() => checkStep({ op: 'normalize', mean: 'a', std: 1 } as never, 0)).toThrow(OptionError);
    expect(() => checkStep({ op: 'normalize', std: 1 } as never, 0)).toThrow(/steps\[0\]\.mean/);
    expect(() => checkStep({ op: 'normalize', mean: 0, std: 1, channelWise: true } as never, 0)).toThrow(/unknown key/);
  });
});
