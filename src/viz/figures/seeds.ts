/** Per-seed values of several settings: one dot per seed, the mean as a tick, mean ± sd as a bar. */
import type { TopLevelSpec } from 'vega-lite';
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { meanSd } from '../../learner/metrics/mean-sd.js';
import { DEFAULT_FIGURE, type FigureOptions, renderVegaLite, specHeader } from './render.js';

/** One setting's values, one per seed. */
export interface SeedValuesGroup {
  name: string;
  values: ReadonlyArray<{ seed: number; value: number }>;
}

/** Options of {@link seedValuesFigure}. */
export interface SeedValuesFigureOptions extends FigureOptions {
  /** y-axis title; default 'value'. */
  yTitle?: string;
  /** A reference line (e.g. 0 for differences); default none. */
  rule?: number;
}

/** Defaults of {@link SeedValuesFigureOptions}. */
export const DEFAULT_SEED_VALUES_FIGURE = { ...DEFAULT_FIGURE, yTitle: 'value', rule: undefined as number | undefined };

/**
 * Renders per-seed values per setting (x: setting, y: value; hover shows the seed).
 * @example
 * const svg = await seedValuesFigure([{ name: 'lr=0.001', values: [{ seed: 0, value: 0.71 }, { seed: 1, value: 0.74 }] }], { yTitle: 'balanced accuracy' });
 */
export async function seedValuesFigure(groups: readonly SeedValuesGroup[], options: SeedValuesFigureOptions = {}): Promise<string> {
  rejectUnknownOptions('SeedValuesFigureOptions', options, DEFAULT_SEED_VALUES_FIGURE);
  const o = { ...DEFAULT_SEED_VALUES_FIGURE, ...options };
  if (groups.length === 0) throw new OptionError('seedValuesFigure', 'needs at least one group');
  const points = groups.flatMap((g) => g.values.map((v) => ({ setting: g.name, seed: String(v.seed), value: v.value })));
  const stats = groups.filter((g) => g.values.length > 0).map((g) => {
    const { mean, sd } = meanSd(g.values.map((v) => v.value));
    return { setting: g.name, mean, lo: mean - sd, hi: mean + sd, n: g.values.length };
  });
  const order = groups.map((g) => g.name);
  const x = { field: 'setting', type: 'nominal' as const, sort: order, title: null, axis: { labelAngle: -30, labelLimit: 220 } };
  const y = { type: 'quantitative' as const, scale: { zero: false }, title: o.yTitle };
  const layers: unknown[] = [
    { data: { values: stats }, mark: { type: 'rule', strokeWidth: 2, color: '#888' }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' } } },
    { data: { values: stats }, mark: { type: 'tick', thickness: 2, color: '#222', size: 22 }, encoding: { x, y: { ...y, field: 'mean' }, tooltip: [{ field: 'setting' }, { field: 'mean', format: '.4f' }, { field: 'n' }] } },
    { data: { values: points }, mark: { type: 'point', filled: true, size: 40, opacity: 0.8 }, encoding: { x, y: { ...y, field: 'value' }, color: { field: 'seed', type: 'nominal', title: 'seed' }, tooltip: [{ field: 'setting' }, { field: 'seed' }, { field: 'value', format: '.4f' }] } },
  ];
  if (o.rule !== undefined) layers.unshift({ data: { values: [{ r: o.rule }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#b33' }, encoding: { y: { ...y, field: 'r' } } });
  const spec = {
    ...specHeader(o.title),
    width: Math.max(o.width, 60 * groups.length),
    height: o.height,
    layer: layers,
  } as TopLevelSpec;
  return renderVegaLite(spec);
}
