/**
 * Inference-time preprocessing from a saved pipeline (PipelineJSON): the non-augment steps on one
 * loaded Volume, keeping its geometry (affine), the model input cut from the result, the fitted
 * intensity steps inverted, and a map resampled from one grid to another. Pure functions with no
 * Node or tf imports: the Node API and the browser runtime share them.
 */
import { OptionError, ShapeError } from '../backend/errors.js';
import type { PipelineJSON } from './databunch/pipeline.js';
import { applyFitted, applyStatic, stepKind, type PercentileClipStep, type StepSpec, type ZScoreStep } from './databunch/steps.js';
import { decodeVoxelStats } from './databunch/zscore.js';
import { cutView, viewShape, type StudentView } from './views/volume-views.js';
import { Volume, type Affine, type Shape3 } from './volume.js';

/**
 * Runs the static and fitted steps of a saved pipeline on one volume (augment steps are skipped;
 * fitted steps must carry their fitted values). Cropping and zooming update the affine, so the
 * result still maps its voxels to the scanner's world coordinates.
 * @throws OptionError naming the step for an unfitted step or a mask step with a file (not available here)
 * @example const input = preprocessVolume(meta.pipeline, await readNifti('scan.nii.gz'));
 */
export function preprocessVolume(pipeline: PipelineJSON, vol: Volume): Volume {
  let v = vol;
  pipeline.steps.forEach((step, i) => {
    const kind = stepKind(step);
    if (kind === 'augment') return;
    if (step.op === 'mask' && step.path !== undefined) throw new OptionError(`pipeline.steps[${i}]`, `a mask file (${step.path}) is not part of an export; apply a threshold mask instead`);
    if (kind === 'static') {
      v = applyStatic(step, v);
      return;
    }
    const fitted = step as ZScoreStep | PercentileClipStep;
    const data = new Float32Array(v.data);
    const voxel = fitted.op === 'zScore' && fitted.mode === 'voxel' ? decodeVoxelStats(fitted, `pipeline.steps[${i}]`) : undefined;
    if (fitted.op === 'zScore' && (fitted.mode ?? 'global') === 'global' && (fitted.mean === undefined || fitted.std === undefined)) {
      throw new OptionError(`pipeline.steps[${i}]`, 'zScore is not fitted (no mean/std saved)');
    }
    applyFitted(fitted, data, [...v.shape, v.channels], voxel);
    v = v.withData(data);
  });
  return v;
}

/**
 * The model input for a preprocessed volume: the volume itself ([nx, ny, nz, c]), a 2D image
 * ([H, W, c] from a one-slice volume), or a student's view (middle slices).
 * @param inputShape the model's input shape without the batch axis
 * @throws ShapeError when the volume does not give that shape (the message names both)
 */
export function modelInput(vol: Volume, inputShape: readonly number[], view?: StudentView): Float32Array {
  if (view) {
    if (vol.channels !== 1) throw new ShapeError('modelInput: a student view needs a one-channel volume', [1], [vol.channels]);
    const got = viewShape(view, vol.shape);
    if (got.join() !== inputShape.join()) throw new ShapeError(`modelInput: the ${view.kind} view of a volume [${vol.shape.join(', ')}]`, inputShape, got);
    const out = new Float32Array(got.reduce((a, b) => a * b, 1));
    cutView(vol.data, vol.shape, view, out, 0);
    return out;
  }
  const got = inputShape.length === 3 && vol.shape[2] === 1 ? [vol.shape[0], vol.shape[1], vol.channels] : [...vol.shape, vol.channels];
  if (got.length !== inputShape.length || got.some((d, i) => d !== inputShape[i])) {
    throw new ShapeError(`modelInput: the preprocessed ${inputShape.length === 3 ? 'image' : 'volume'} does not fit the model`, inputShape, got);
  }
  return vol.data;
}

/** What {@link invertIntensity} converts: values (e.g. a reconstruction) or derivatives with respect to the input (a gradient map). */
export type IntensityQuantity = 'value' | 'gradient';

/**
 * Undoes the fitted intensity steps of a pipeline (global or voxel-wise zScore, normalize), last
 * first, so a reconstruction is in the scan's original intensity units: x·std + mean (zeros kept
 * with `nonzero`). For a 'gradient' (∂f/∂x of the normalised input) only the scale applies:
 * ∂f/∂raw = ∂f/∂x / std. A per-sample zScore or minMax cannot be undone without the sample's own
 * statistics, and is refused; percentile clipping is not invertible and is left as is.
 * @param data values on the pipeline's output grid, [nx, ny, nz, channels] C-order (not changed)
 * @throws OptionError naming the step that cannot be inverted
 */
export function invertIntensity(pipeline: PipelineJSON, data: Float32Array, shape: readonly number[], quantity: IntensityQuantity = 'value'): Float32Array {
  const out = new Float32Array(data);
  const channels = shape[3] ?? 1;
  for (let i = pipeline.steps.length - 1; i >= 0; i--) {
    const step: StepSpec = pipeline.steps[i];
    if (stepKind(step) === 'augment') continue;
    if (step.op === 'zScore' && step.mode === 'sample') throw new OptionError(`pipeline.steps[${i}]`, 'a per-sample zScore cannot be inverted (each sample had its own mean and std)');
    if (step.op === 'minMax') throw new OptionError(`pipeline.steps[${i}]`, 'a per-sample minMax cannot be inverted');
    if (step.op === 'zScore' && step.mode === 'voxel') {
      const stats = decodeVoxelStats(step, `pipeline.steps[${i}]`);
      for (let p = 0; p < out.length; p++) {
        const v = Math.floor(p / channels);
        if (step.nonzero && out[p] === 0) continue;
        out[p] = quantity === 'value' ? out[p] * stats.std[v] + stats.mean[v] : out[p] / stats.std[v];
      }
    } else if (step.op === 'zScore') {
      const { mean, std } = step as { mean: number; std: number };
      for (let p = 0; p < out.length; p++) {
        if (step.nonzero && out[p] === 0) continue;
        out[p] = quantity === 'value' ? out[p] * std + mean : out[p] / std;
      }
    } else if (step.op === 'normalize') {
      const per = (v: number | number[]) => (typeof v === 'number' ? new Array<number>(channels).fill(v) : v);
      const mean = per(step.mean);
      const std = per(step.std);
      for (let p = 0; p < out.length; p++) {
        const c = p % channels;
        out[p] = quantity === 'value' ? out[p] * std[c] + mean[c] : out[p] / std[c];
      }
    }
  }
  return out;
}

/** Inverse of a 4×4 affine (rows are world = A · voxel). */
function invertAffine(a: Affine): number[][] {
  const m = a.map((r) => [...r]);
  const inv = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => (r === c ? 1 : 0)));
  for (let c = 0; c < 4; c++) {
    let pivot = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    if (Math.abs(m[pivot][c]) < 1e-12) throw new OptionError('affine', 'is singular');
    [m[c], m[pivot]] = [m[pivot], m[c]];
    [inv[c], inv[pivot]] = [inv[pivot], inv[c]];
    const d = m[c][c];
    for (let k = 0; k < 4; k++) {
      m[c][k] /= d;
      inv[c][k] /= d;
    }
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = m[r][c];
      if (f === 0) continue;
      for (let k = 0; k < 4; k++) {
        m[r][k] -= f * m[c][k];
        inv[r][k] -= f * inv[c][k];
      }
    }
  }
  return inv;
}

/**
 * Resamples a one-channel volume into another grid (shape + affine) by trilinear interpolation in
 * world coordinates; target voxels outside the source grid get `fill` (default 0).
 * Used to put a map computed on the preprocessed grid back on the scan's own grid.
 */
export function resampleToGrid(src: Volume, shape: Shape3, affine: Affine, fill = 0): Volume {
  if (src.channels !== 1) throw new ShapeError('resampleToGrid: one channel', [1], [src.channels]);
  const inv = invertAffine(src.affine);
  // source voxel = inv · affine · target voxel: one 4×4 product
  const m = inv.map((row) => [0, 1, 2, 3].map((c) => row[0] * affine[0][c] + row[1] * affine[1][c] + row[2] * affine[2][c] + row[3] * affine[3][c]));
  const [sx, sy, sz] = src.shape;
  const out = new Float32Array(shape[0] * shape[1] * shape[2]);
  const at = (i: number, j: number, k: number) => src.data[(i * sy + j) * sz + k];
  let p = 0;
  for (let i = 0; i < shape[0]; i++) {
    for (let j = 0; j < shape[1]; j++) {
      for (let k = 0; k < shape[2]; k++, p++) {
        const x = m[0][0] * i + m[0][1] * j + m[0][2] * k + m[0][3];
        const y = m[1][0] * i + m[1][1] * j + m[1][2] * k + m[1][3];
        const z = m[2][0] * i + m[2][1] * j + m[2][2] * k + m[2][3];
        if (x < -0.5 || y < -0.5 || z < -0.5 || x > sx - 0.5 || y > sy - 0.5 || z > sz - 0.5) {
          out[p] = fill;
          continue;
        }
        const cx = Math.min(Math.max(x, 0), sx - 1);
        const cy = Math.min(Math.max(y, 0), sy - 1);
        const cz = Math.min(Math.max(z, 0), sz - 1);
        const x0 = Math.min(Math.floor(cx), sx - 2 < 0 ? 0 : sx - 2);
        const y0 = Math.min(Math.floor(cy), sy - 2 < 0 ? 0 : sy - 2);
        const z0 = Math.min(Math.floor(cz), sz - 2 < 0 ? 0 : sz - 2);
        const x1 = Math.min(x0 + 1, sx - 1);
        const y1 = Math.min(y0 + 1, sy - 1);
        const z1 = Math.min(z0 + 1, sz - 1);
        const fx = cx - x0;
        const fy = cy - y0;
        const fz = cz - z0;
        const c00 = at(x0, y0, z0) * (1 - fx) + at(x1, y0, z0) * fx;
        const c10 = at(x0, y1, z0) * (1 - fx) + at(x1, y1, z0) * fx;
        const c01 = at(x0, y0, z1) * (1 - fx) + at(x1, y0, z1) * fx;
        const c11 = at(x0, y1, z1) * (1 - fx) + at(x1, y1, z1) * fx;
        out[p] = (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
      }
    }
  }
  return new Volume({ data: out, shape, affine, spacing: [0, 1, 2].map((c) => Math.hypot(affine[0][c], affine[1][c], affine[2][c])) as [number, number, number] });
}
