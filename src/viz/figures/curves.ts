/** Training/validation curves and the learning-rate finder curve. */
import type { TopLevelSpec } from 'vega-lite';
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';
import { DEFAULT_FIGURE, type FigureOptions, renderVegaLite, specHeader } from './render.js';

/** One epoch of a training history; extra numeric keys are metrics (e.g. `validAccuracy`). */
export interface HistoryEpoch {
  epoch: number;
  trainLoss: number;
  validLoss?: number;
  [metric: string]: number | undefined;
}

/** Options of {@link trainingCurvesFigure}. */
export type CurvesFigureOptions = FigureOptions;

/** Defaults of {@link CurvesFigureOptions}. */
export const DEFAULT_CURVES_FIGURE = { ...DEFAULT_FIGURE, height: 200 };

/**
 * Renders loss curves (train and, when present, validation) and, below them,
 * one line per metric found in the history.
 * @example
 * const svg = await trainingCurvesFigure(learner.history, { title: 'fine-tuning' });
 */
export async function trainingCurvesFigure(history: readonly HistoryEpoch[], options: CurvesFigureOptions = {}): Promise<string> {
  rejectUnknownOptions('CurvesFigureOptions', options, DEFAULT_CURVES_FIGURE);
  const o = { ...DEFAULT_CURVES_FIGURE, ...options };
  if (history.length === 0) throw new OptionError('trainingCurvesFigure.history', 'is empty');
  const losses: Array<{ epoch: number; series: string; value: number }> = [];
  const metrics: Array<{ epoch: number; series: string; value: number }> = [];
  for (const row of history) {
    for (const [key, value] of Object.entries(row)) {
      if (key === 'epoch' || typeof value !== 'number' || !Number.isFinite(value)) continue;
      if (key === 'trainLoss') losses.push({ epoch: row.epoch, series: 'train', value });
      else if (key === 'validLoss') losses.push({ epoch: row.epoch, series: 'valid', value });
      else metrics.push({ epoch: row.epoch, series: key, value });
    }
  }
  const panel = (values: typeof losses, yTitle: string, legend: string) => ({
    width: o.width,
    height: o.height,
    data: { values },
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative' as const, title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal' as const, title: legend },
      tooltip: [{ field: 'series', title: legend }, { field: 'epoch', title: 'epoch' }, { field: 'value', format: '.4g', title: yTitle }],
    },
  });
  const panels = [panel(losses, 'loss', 'loss')];
  if (metrics.length > 0) panels.push(panel(metrics, 'metric', 'metric'));
  const spec: TopLevelSpec = {
    ...specHeader(o.title),
    vconcat: panels,
    resolve: { scale: { color: 'independent' } },
  };
  return renderVegaLite(spec);
}

/** Result of a learning-rate range test. */
export interface LrFinderCurve {
  /** Learning rates tried, increasing. */
  lrs: readonly number[];
  /** (Smoothed) loss at each learning rate. */
  losses: readonly number[];
  /** Suggested learning rate, marked on the plot. */
  suggestion?: number;
}

/** Options of {@link lrFinderFigure}. */
export type LrFinderFigureOptions = FigureOptions;

/** Defaults of {@link LrFinderFigureOptions}. */
export const DEFAULT_LR_FINDER_FIGURE = { ...DEFAULT_FIGURE };

/**
 * Renders loss against learning rate on a log x axis, with the suggestion as a
 * vertical rule.
 * @example
 * const svg = await lrFinderFigure({ lrs, losses, suggestion: 3e-4 });
 */
export async function lrFinderFigure(curve: LrFinderCurve, options: LrFinderFigureOptions = {}): Promise<string> {
  rejectUnknownOptions('LrFinderFigureOptions', options, DEFAULT_LR_FINDER_FIGURE);
  const o = { ...DEFAULT_LR_FINDER_FIGURE, ...options };
  if (curve.lrs.length !== curve.losses.length) throw new ShapeError('lrFinderFigure: one loss per learning rate', [curve.lrs.length], [curve.losses.length]);
  if (curve.lrs.some((lr) => !(lr > 0))) throw new OptionError('lrFinderFigure.lrs', 'learning rates must be > 0 for a log axis');
  const values = curve.lrs.map((lr, i) => ({ lr, loss: curve.losses[i] })).filter((v) => Number.isFinite(v.loss));
  const layers: object[] = [
    {
      data: { values },
      mark: { type: 'line' },
      encoding: {
        x: { field: 'lr', type: 'quantitative', title: 'learning rate (log scale)', scale: { type: 'log' }, axis: { format: '.0e' } },
        y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
      },
    },
  ];
  if (curve.suggestion !== undefined) {
    const s = [{ lr: curve.suggestion, label: `suggested ${curve.suggestion.toExponential(1)}` }];
    layers.push(
      { data: { values: s }, mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { x: { field: 'lr', type: 'quantitative' }, tooltip: [{ field: 'label' }] } },
      { data: { values: s }, mark: { type: 'text', color: '#d62728', align: 'left', dx: 4, dy: 8, baseline: 'top' }, encoding: { x: { field: 'lr', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } } },
    );
  }
  const spec = {
    ...specHeader(o.title),
    width: o.width,
    height: o.height,
    layer: layers,
  } as TopLevelSpec;
  return renderVegaLite(spec);
}
