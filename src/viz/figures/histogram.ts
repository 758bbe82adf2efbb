/** Histograms of bottleneck activations, one panel per class, on shared bins. */
import type { TopLevelSpec } from 'vega-lite';
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';
import { type MatrixInput, toDense } from '../matrix.js';
import { DEFAULT_FIGURE, type FigureOptions, renderVegaLite, specHeader } from './render.js';

/** Options of {@link activationHistogramFigure}. */
export interface HistogramFigureOptions extends FigureOptions {
  /** Number of equal-width bins over the range of all activations; default 50. */
  bins?: number;
  /** x-axis title; default 'activation'. */
  xTitle?: string;
}

/** Defaults of {@link HistogramFigureOptions}. */
export const DEFAULT_HISTOGRAM_FIGURE = { ...DEFAULT_FIGURE, height: 90, bins: 50, xTitle: 'activation' };

/** One histogram bar: class, bin edges, fraction of that class's activations. */
export interface HistogramBin {
  group: string;
  start: number;
  end: number;
  count: number;
  fraction: number;
}

/**
 * Bins every activation of every sample, per class. Bars hold the fraction of
 * a class's activations, so classes of different sizes compare directly.
 */
export function activationHistogram(activations: MatrixInput, labels: readonly string[], bins: number): HistogramBin[] {
  const m = toDense('activationHistogram', activations);
  if (labels.length !== m.rows) throw new ShapeError('activationHistogram: one label per sample', [m.rows], [labels.length]);
  if (!Number.isInteger(bins) || bins < 1) throw new OptionError('HistogramFigureOptions.bins', `must be a positive integer, got ${bins}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of m.data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const groups = [...new Set(labels)];
  const counts = new Map(groups.map((g) => [g, new Float64Array(bins)]));
  for (let i = 0; i < m.rows; i++) {
    const c = counts.get(labels[i])!;
    for (let j = 0; j < m.cols; j++) c[Math.min(bins - 1, Math.floor((m.data[i * m.cols + j] - lo) / width))]++;
  }
  const out: HistogramBin[] = [];
  for (const g of groups) {
    const c = counts.get(g)!;
    const total = c.reduce((s, v) => s + v, 0);
    for (let b = 0; b < bins; b++) out.push({ group: g, start: lo + b * width, end: lo + (b + 1) * width, count: c[b], fraction: total > 0 ? c[b] / total : 0 });
  }
  return out;
}

/**
 * Renders bottleneck activation histograms, one row per class.
 * @param activations samples × units (e.g. `Learner.encode` output)
 * @param labels class name of each sample
 * @example
 * const svg = await activationHistogramFigure(codes, labels, { bins: 100 });
 */
export async function activationHistogramFigure(activations: MatrixInput, labels: readonly string[], options: HistogramFigureOptions = {}): Promise<string> {
  rejectUnknownOptions('HistogramFigureOptions', options, DEFAULT_HISTOGRAM_FIGURE);
  const o = { ...DEFAULT_HISTOGRAM_FIGURE, ...options };
  const values = activationHistogram(activations, labels, o.bins);
  const spec: TopLevelSpec = {
    ...specHeader(o.title),
    data: { values },
    facet: { row: { field: 'group', type: 'nominal', title: 'class' } },
    spec: {
      width: o.width,
      height: o.height,
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'start', type: 'quantitative', title: o.xTitle },
        x2: { field: 'end' },
        y: { field: 'fraction', type: 'quantitative', title: 'fraction' },
        color: { field: 'group', type: 'nominal', title: 'class', legend: null },
        tooltip: [{ field: 'group', title: 'class' }, { field: 'start', format: '.3g', title: 'from' }, { field: 'end', format: '.3g', title: 'to' }, { field: 'count', title: 'count' }],
      },
    },
  };
  return renderVegaLite(spec);
}
