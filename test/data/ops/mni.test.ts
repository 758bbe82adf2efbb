import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readNifti } from '../../../src/data/nifti/reader.js';
import { applyMask, thresholdMask } from '../../../src/data/ops/mask.js';
import { zoom } from '../../../src/data/ops/zoom.js';
import { cropToForeground } from '../../../src/data/ops/crop.js';
import { SHARED_DATA } from '../../helpers/shared-data.js';

const DIR = `${SHARED_DATA}/mni-templates`;
const BRAIN = `${DIR}/MNI152_T1_2mm_brain.nii.gz`;
const MASK = `${DIR}/MNI152_T1_2mm_brain_mask.nii.gz`;
const have = existsSync(BRAIN) && existsSync(MASK);
if (!have) console.warn(`skipping MNI ops tests: ${DIR} not found (shared data not staged)`);

// Known answers: nibabel as_closest_canonical(...).get_fdata(float32), then scipy.ndimage.zoom(x, 0.56, order=…)
// (python3-scipy 1.10.1). Voxels chosen where the sample coordinates are not integers (e.g. 7 · 1.8 = 12.6).
const POINTS: Array<[number, number, number]> = [[7, 33, 26], [13, 21, 29], [31, 44, 17], [22, 37, 33]];
const SCIPY = {
  1: { sum: 234190780.47041893, values: [5782.64794921875, 7590.39208984375, 6533.5517578125, 7090.8798828125] },
  0: { sum: 234735188.0, values: [6639, 7638, 6794, 7120] },
} as const;

describe.skipIf(!have)('ops on the MNI152 2 mm brain and its mask (real files)', () => {
  it('zoom 0.56 reproduces scipy on a real volume (91×109×91 → 51×61×51)', async () => {
    const brain = await readNifti(BRAIN);
    for (const order of [1, 0] as const) {
      const z = zoom(brain, 0.56, { order });
      expect(z.shape).toEqual([51, 61, 51]);
      let sum = 0;
      for (const v of z.data) sum += v;
      expect(Math.abs(sum - SCIPY[order].sum) / SCIPY[order].sum).toBeLessThan(1e-6);
      POINTS.forEach(([i, j, k], n) => expect(Math.abs(z.get(i, j, k) - SCIPY[order].values[n])).toBeLessThanOrEqual(1e-3));
    }
  });

  it('applies the mask read from NIfTI: 228,483 voxels inside, nothing outside', async () => {
    const [brain, mask] = await Promise.all([readNifti(BRAIN), readNifti(MASK)]);
    const masked = applyMask(brain, mask);
    let inside = 0;
    let outsideNonZero = 0;
    for (let v = 0; v < mask.data.length; v++) {
      if (mask.data[v] > 0.5) inside++;
      else if (masked.data[v] !== 0) outsideNonZero++;
    }
    expect(inside).toBe(228483);
    expect(outsideNonZero).toBe(0);
    // the brain is zero outside the mask already (the file is skull-stripped), so the mask changes nothing
    expect(Buffer.from(masked.data.buffer).equals(Buffer.from(brain.data.buffer, brain.data.byteOffset, brain.data.byteLength))).toBe(true);
    const tight = cropToForeground(thresholdMask(brain, 0));
    expect(tight.shape.every((d, a) => d <= brain.shape[a])).toBe(true);
  });
});
