/**
 * Writes a map computed on a model's input grid (a saliency map, a reconstruction) as NIfTI on the
 * scan's own grid and affine, optionally in the scan's original intensity units, so any viewer
 * overlays it on the scan.
 */
import { OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';
import type { PipelineJSON } from '../data/databunch/pipeline.js';
import { writeNifti } from '../data/nifti/writer.js';
import { invertIntensity, preprocessVolume, resampleToGrid } from '../data/preprocess.js';
import { Volume } from '../data/volume.js';

/** Options of {@link writeOnScanGrid}. */
export interface WriteOnScanGridOptions {
  /**
   * What the values are: 'none' (a unitless map: Grad-CAM, occlusion; written as is), 'intensity'
   * (model-space intensities, e.g. a reconstruction: the fitted z-score/normalize steps are inverted),
   * 'gradient' (∂f/∂x of the model input: divided by the fitted std, i.e. per original intensity unit).
   * Default 'none'.
   */
  units?: 'none' | 'intensity' | 'gradient';
  /** Value of scan voxels outside the model's grid (cropped away); default 0. */
  fill?: number;
}

/** Defaults of {@link WriteOnScanGridOptions}. */
export const DEFAULT_WRITE_ON_SCAN_GRID: Readonly<Required<WriteOnScanGridOptions>> = { units: 'none', fill: 0 };

/**
 * Puts `values` (one channel, C-order over the grid the pipeline makes of `scan`) back on the scan's
 * grid: the pipeline is replayed on the scan to get the model grid's affine (crops and zooms move
 * it), the values are resampled trilinearly in world coordinates, and written with the scan's affine.
 * @param scan the scan as read by `readNifti` (its grid and affine are the output's)
 * @param pipeline the fitted pipeline the model was trained with (a DataBunch's `pipeline.toJSON()`, an export's meta)
 * @returns the written volume
 * @throws ShapeError when `values` does not match the preprocessed grid
 * @example
 * const map = await saliency(learner, input, { method: 'gradcam' });
 * await writeOnScanGrid('gradcam.nii.gz', map.data, scan, bunch.pipeline.toJSON());
 */
export async function writeOnScanGrid(path: string, values: Float32Array, scan: Volume, pipeline: PipelineJSON, options: WriteOnScanGridOptions = {}): Promise<Volume> {
  rejectUnknownOptions('WriteOnScanGridOptions', options, DEFAULT_WRITE_ON_SCAN_GRID);
  const o = { ...DEFAULT_WRITE_ON_SCAN_GRID, ...options };
  if (!['none', 'intensity', 'gradient'].includes(o.units)) throw new OptionError('WriteOnScanGridOptions.units', `must be 'none', 'intensity' or 'gradient', got ${JSON.stringify(o.units)}`);
  const grid = preprocessVolume(pipeline, scan.channels === 1 ? scan : scan.withData(new Float32Array(scan.size), scan.shape, { channels: 1 }));
  if (values.length !== grid.size) throw new ShapeError(`writeOnScanGrid ${path}: values on the preprocessed grid [${grid.shape.join(', ')}]`, [grid.size], [values.length]);
  const data = o.units === 'none' ? values : invertIntensity(pipeline, values, [...grid.shape, 1], o.units === 'intensity' ? 'value' : 'gradient');
  const onGrid = new Volume({ data: new Float32Array(data), shape: grid.shape, affine: grid.affine });
  const out = resampleToGrid(onGrid, scan.shape, scan.affine, o.fill);
  const written = new Volume({ data: out.data, shape: scan.shape, affine: scan.affine, spacing: scan.spacing });
  await writeNifti(path, written);
  return written;
}
