/** Scatter plot of a 2-D embedding, coloured by a group (label, site, split), with sample ids on hover. */
import type { TopLevelSpec } from 'vega-lite';
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';
import { DEFAULT_FIGURE, type FigureOptions, renderVegaLite, specHeader } from './render.js';

/** Points of an embedding figure. */
export interface EmbeddingPoints {
  /** Map coordinates, one [x, y] per sample. */
  coords: ReadonlyArray<ArrayLike<number>>;
  /** Sample ids, shown on hover. */
  ids: readonly string[];
  /** Group of each sample (class label, site or split), used for colour. */
  groups: readonly string[];
}

/** Options of {@link embeddingFigure}. */
export interface EmbeddingFigureOptions extends FigureOptions {
  /** Legend title; default 'label'. */
  groupTitle?: string;
  /** Axis titles; default ['dim 1', 'dim 2']. */
  axisTitles?: [string, string];
}

/** Defaults of {@link EmbeddingFigureOptions}. */
export const DEFAULT_EMBEDDING_FIGURE = { ...DEFAULT_FIGURE, groupTitle: 'label', axisTitles: ['dim 1', 'dim 2'] as [string, string] };

/**
 * Renders an embedding as an SVG scatter plot, one circle per sample.
 * @example
 * const svg = await embeddingFigure({ coords: tsne(x).coords, ids, groups: labels }, { title: 't-SNE' });
 */
export async function embeddingFigure(points: EmbeddingPoints, options: EmbeddingFigureOptions = {}): Promise<string> {
  rejectUnknownOptions('EmbeddingFigureOptions', options, DEFAULT_EMBEDDING_FIGURE);
  const o = { ...DEFAULT_EMBEDDING_FIGURE, ...options };
  const n = points.coords.length;
  if (points.ids.length !== n || points.groups.length !== n) {
    throw new ShapeError('embeddingFigure: ids and groups need one entry per point', [n], [points.ids.length, points.groups.length]);
  }
  if (n === 0) throw new OptionError('embeddingFigure.coords', 'no points to plot');
  const values = points.coords.map((c, i) => ({ x: c[0], y: c[1], id: points.ids[i], group: points.groups[i], tip: `${points.ids[i]} (${o.groupTitle} ${points.groups[i]})` }));
  const spec: TopLevelSpec = {
    ...specHeader(o.title),
    width: o.width,
    height: o.height,
    data: { values },
    mark: { type: 'circle', size: n > 2000 ? 12 : 30, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.axisTitles[0], scale: { zero: false, padding: 8 } },
      y: { field: 'y', type: 'quantitative', title: o.axisTitles[1], scale: { zero: false, padding: 8 } },
      color: { field: 'group', type: 'nominal', title: o.groupTitle },
      tooltip: [{ field: 'id', title: 'id' }, { field: 'group', title: o.groupTitle }],
      description: { field: 'tip' },
    },
  };
  return renderVegaLite(spec);
}
