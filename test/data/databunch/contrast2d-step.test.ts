import { describe, expect, it } from 'vitest';
import { OptionError } from '../../../src/backend/errors.js';
import { Rng } from '../../../src/backend/rng.js';
import { applyStatic, checkStep, stepKind, type StepSpec } from '../../../src/data/databunch/steps.js';
import { alzheimerContrastPipeline } from '../../../src/data/transforms2d/alzheimer-contrast.js';
import { Volume } from '../../../src/data/volume.js';

describe("pipeline step { op: 'contrast2d' }", () => {
  const rng = new Rng(3);
  const data = Float32Array.from({ length: 12 * 10 }, () => rng.int(256));
  const vol = new Volume({ data, shape: [12, 10, 1] });

  it('is a cached (static) step that equals alzheimerContrastPipeline on the [H, W, 1] image', () => {
    const step: StepSpec = { op: 'contrast2d', options: { smoothing: { kind: 'median', size: 3 } } };
    checkStep(step, 0);
    expect(stepKind(step)).toBe('static');
    const out = applyStatic(step, vol);
    const want = alzheimerContrastPipeline({ data: Float32Array.from(data), height: 12, width: 10 }, { smoothing: { kind: 'median', size: 3 } });
    expect(out.shape).toEqual([12, 10, 1]);
    expect(Array.from(out.data)).toEqual(Array.from(want.data));
    // The input is not modified, and the contrast pipeline really changed the image.
    expect(Array.from(vol.data)).toEqual(Array.from(data));
    expect(Array.from(out.data)).not.toEqual(Array.from(data));
  });

  it('rejects unknown option keys and a non-object options', () => {
    expect(() => checkStep({ op: 'contrast2d', options: { clip: 2 } } as never, 1)).toThrow(OptionError);
    expect(() => checkStep({ op: 'contrast2d', options: 3 } as never, 1)).toThrow(/steps\[1\]\.options/);
    expect(() => checkStep({ op: 'contrast2d', extra: 1 } as never, 0)).toThrow(OptionError);
  });
});
