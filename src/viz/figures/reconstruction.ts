/** Original / reconstruction / difference images in three orthogonal planes, as one Vega-Lite grid of image marks. */
import type { TopLevelSpec } from 'vega-lite';
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';
import { type VolumeArray, centreSlices, divergingPng, greyPng, pngDataUrl, volumeShape } from './raster.js';
import { BASE_CONFIG, renderVegaLite, specHeader } from './render.js';

/** One sample to show. */
export interface ReconstructionSample {
  id: string;
  label?: string;
  original: VolumeArray;
  reconstruction: VolumeArray;
}

/** Options of {@link reconstructionFigure}. */
export interface ReconstructionFigureOptions {
  /** Title above the grid; default none. */
  title?: string;
  /** Longest side of each image in pixels; default 110. */
  imageSize?: number;
}

/** Defaults of {@link ReconstructionFigureOptions}. */
export const DEFAULT_RECONSTRUCTION_FIGURE: Required<Omit<ReconstructionFigureOptions, 'title'>> & { title: string | undefined } = { title: undefined, imageSize: 110 };

/**
 * Renders, for each sample and each orthogonal centre plane, the original,
 * the reconstruction (same grey scale) and their difference (reconstruction −
 * original; blue negative, red positive, symmetric range).
 * @example
 * const svg = await reconstructionFigure([{ id: 'IXI002', label: 'CN', original, reconstruction }]);
 */
export async function reconstructionFigure(samples: readonly ReconstructionSample[], options: ReconstructionFigureOptions = {}): Promise<string> {
  rejectUnknownOptions('ReconstructionFigureOptions', options, DEFAULT_RECONSTRUCTION_FIGURE);
  const o = { ...DEFAULT_RECONSTRUCTION_FIGURE, ...options };
  if (samples.length === 0) throw new OptionError('reconstructionFigure.samples', 'no samples');
  const values: Array<{ url: string; kind: string; row: string; order: number; tip: string }> = [];
  let maxW = 0;
  let maxH = 0;
  let order = 0;
  for (const s of samples) {
    const a = volumeShape(s.original);
    const b = volumeShape(s.reconstruction);
    if (a.join() !== b.join()) throw new ShapeError(`reconstructionFigure: sample ${s.id} reconstruction`, a, b);
    const orig = centreSlices(s.original);
    const rec = centreSlices(s.reconstruction);
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of [...orig, ...rec]) for (const v of p.data) { if (v < lo) lo = v; if (v > hi) hi = v; }
    for (let t = 0; t < orig.length; t++) {
      const diff = { ...orig[t], data: rec[t].data.map((v, i) => v - orig[t].data[i]) };
      let limit = 0;
      for (const v of diff.data) limit = Math.max(limit, Math.abs(v));
      const scale = o.imageSize / Math.max(orig[t].width, orig[t].height);
      const w = Math.round(orig[t].width * scale);
      const h = Math.round(orig[t].height * scale);
      maxW = Math.max(maxW, w);
      maxH = Math.max(maxH, h);
      const row = `${s.id}${s.label ? ` (${s.label})` : ''} · ${orig[t].name}`;
      const entries: Array<[string, Buffer, string]> = [
        ['original', await greyPng(orig[t], lo, hi), `range ${lo.toPrecision(3)}…${hi.toPrecision(3)}`],
        ['reconstruction', await greyPng(rec[t], lo, hi), `range ${lo.toPrecision(3)}…${hi.toPrecision(3)}`],
        ['difference', await divergingPng(diff, limit), `±${limit.toPrecision(3)}`],
      ];
      for (const [kind, png, note] of entries) values.push({ url: pngDataUrl(png), kind, row, order, tip: `${row}, ${kind}, ${note}` });
      order++;
    }
  }
  const spec = {
    ...specHeader(o.title),
    config: { ...BASE_CONFIG, view: { stroke: null } },
    data: { values },
    facet: {
      row: { field: 'row', type: 'nominal', title: null, sort: { field: 'order' }, header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 11, labelLimit: 0 } },
      column: { field: 'kind', type: 'nominal', title: null, sort: ['original', 'reconstruction', 'difference'], header: { labelFontSize: 12 } },
    },
    spec: {
      width: maxW,
      height: maxH,
      mark: { type: 'image', align: 'left', baseline: 'top', aspect: true, smooth: false, width: maxW, height: maxH },
      encoding: {
        url: { field: 'url', type: 'nominal' },
        x: { value: 0 },
        y: { value: 0 },
        description: { field: 'tip' },
      },
    },
  } as TopLevelSpec;
  return renderVegaLite(spec);
}
