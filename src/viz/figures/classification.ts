/** Confusion-matrix heat maps, ROC curves and teacher-vs-student agreement. */
import type { TopLevelSpec } from 'vega-lite';
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';
import { DEFAULT_FIGURE, type FigureOptions, renderVegaLite, specHeader } from './render.js';

/** Options of {@link confusionFigure}. */
export interface ConfusionFigureOptions extends FigureOptions {
  /** Title of the row axis; default 'true class'. */
  rowTitle?: string;
  /** Title of the column axis; default 'predicted class'. */
  columnTitle?: string;
}

/** Defaults of {@link ConfusionFigureOptions}. */
export const DEFAULT_CONFUSION_FIGURE = { ...DEFAULT_FIGURE, width: 0, height: 0, rowTitle: 'true class', columnTitle: 'predicted class' };

/**
 * Renders a confusion matrix (rows = true, columns = predicted) as a heat map
 * coloured by row percentage, each cell showing its count and row percentage.
 * Width/height 0 (default) size cells at 60 px.
 * @example
 * const svg = await confusionFigure([[50, 3], [7, 40]], ['CN', 'AD']);
 */
export async function confusionFigure(matrix: readonly (readonly number[])[], classes: readonly string[], options: ConfusionFigureOptions = {}): Promise<string> {
  rejectUnknownOptions('ConfusionFigureOptions', options, DEFAULT_CONFUSION_FIGURE);
  const o = { ...DEFAULT_CONFUSION_FIGURE, ...options };
  const k = classes.length;
  if (matrix.length !== k || matrix.some((r) => r.length !== k)) {
    throw new ShapeError('confusionFigure: matrix must be classes × classes', [k, k], [matrix.length, matrix[0]?.length ?? 0]);
  }
  const values = [];
  for (let i = 0; i < k; i++) {
    const total = matrix[i].reduce((s, v) => s + v, 0);
    for (let j = 0; j < k; j++) {
      const pct = total > 0 ? (100 * matrix[i][j]) / total : 0;
      values.push({ row: classes[i], col: classes[j], count: matrix[i][j], pct, label: `${matrix[i][j]}\n${pct.toFixed(1)}%` });
    }
  }
  const size = (v: number) => (v > 0 ? v : Math.max(120, 60 * k));
  const axisOf = (title: string) => ({ type: 'ordinal' as const, sort: [...classes], title, axis: { labelAngle: 0 } });
  const spec: TopLevelSpec = {
    ...specHeader(o.title),
    width: size(o.width),
    height: size(o.height),
    data: { values },
    encoding: {
      x: { field: 'col', ...axisOf(o.columnTitle) },
      y: { field: 'row', ...axisOf(o.rowTitle) },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: { field: 'pct', type: 'quantitative', title: 'row %', scale: { scheme: 'blues', domain: [0, 100] } },
          tooltip: [{ field: 'row', title: o.rowTitle }, { field: 'col', title: o.columnTitle }, { field: 'count', title: 'count' }, { field: 'pct', format: '.1f', title: 'row %' }],
        },
      },
      {
        mark: { type: 'text', lineBreak: '\n', fontSize: 12, aria: false },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: 'datum.pct > 60', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
  return renderVegaLite(spec);
}

/** Builds the classes × classes count matrix of `(rowClass[i], colClass[i])` pairs. */
export function countMatrix(rowClass: ArrayLike<number>, colClass: ArrayLike<number>, k: number): number[][] {
  if (rowClass.length !== colClass.length) throw new ShapeError('countMatrix: one prediction per sample', [rowClass.length], [colClass.length]);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < rowClass.length; i++) {
    const r = rowClass[i];
    const c = colClass[i];
    if (!(Number.isInteger(r) && r >= 0 && r < k && Number.isInteger(c) && c >= 0 && c < k)) {
      throw new OptionError('countMatrix', `sample ${i}: class indices (${r}, ${c}) out of range [0, ${k})`);
    }
    m[r][c]++;
  }
  return m;
}

/** Predictions of a teacher and a student on the same samples. */
export interface DistillationPredictions {
  /** Teacher class index per sample. */
  teacherPred: ArrayLike<number>;
  /** Student class index per sample. */
  studentPred: ArrayLike<number>;
  /** Class names. */
  classes: readonly string[];
}

/** Fraction of samples where teacher and student predict the same class. */
export function agreementRate(p: DistillationPredictions): number {
  const n = p.teacherPred.length;
  if (p.studentPred.length !== n) throw new ShapeError('agreementRate: one prediction per sample', [n], [p.studentPred.length]);
  let same = 0;
  for (let i = 0; i < n; i++) if (p.teacherPred[i] === p.studentPred[i]) same++;
  return n > 0 ? same / n : 0;
}

/**
 * Renders teacher (rows) against student (columns) predictions as a
 * confusion-style heat map; the title states the agreement rate.
 * @example
 * const svg = await agreementFigure({ teacherPred, studentPred, classes });
 */
export async function agreementFigure(p: DistillationPredictions, options: FigureOptions = {}): Promise<string> {
  rejectUnknownOptions('FigureOptions', options, DEFAULT_FIGURE);
  const m = countMatrix(p.teacherPred, p.studentPred, p.classes.length);
  const rate = agreementRate(p);
  const title = `${options.title ? `${options.title}: ` : ''}teacher–student agreement ${(100 * rate).toFixed(1)}% (n = ${p.teacherPred.length})`;
  return confusionFigure(m, p.classes, { ...(options.width ? { width: options.width } : {}), ...(options.height ? { height: options.height } : {}), title, rowTitle: 'teacher prediction', columnTitle: 'student prediction' });
}

/** One ROC curve. */
export interface RocCurve {
  /** Legend name (e.g. class 'AD' one-vs-rest, or a model). */
  name: string;
  /** False-positive rates, increasing from 0 to 1. */
  fpr: readonly number[];
  /** True-positive rates at the same thresholds. */
  tpr: readonly number[];
  /** Area under the curve; computed by the trapezoidal rule when absent. */
  auc?: number;
}

/** Area under a ROC curve by the trapezoidal rule. */
export function trapezoidAuc(fpr: readonly number[], tpr: readonly number[]): number {
  let a = 0;
  for (let i = 1; i < fpr.length; i++) a += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return a;
}

/**
 * Renders ROC curves with their AUC in the legend and the chance diagonal.
 * @example
 * const svg = await rocFigure([{ name: 'AD vs rest', fpr, tpr }]);
 */
export async function rocFigure(curves: readonly RocCurve[], options: FigureOptions = {}): Promise<string> {
  rejectUnknownOptions('FigureOptions', options, DEFAULT_FIGURE);
  const o = { ...DEFAULT_FIGURE, height: DEFAULT_FIGURE.width, ...options };
  if (curves.length === 0) throw new OptionError('rocFigure.curves', 'no curves');
  const values: Array<{ curve: string; fpr: number; tpr: number; order: number }> = [];
  for (const c of curves) {
    if (c.fpr.length !== c.tpr.length) throw new ShapeError(`rocFigure: curve ${c.name}`, [c.fpr.length], [c.tpr.length]);
    const auc = c.auc ?? trapezoidAuc(c.fpr, c.tpr);
    const name = `${c.name} (AUC ${auc.toFixed(3)})`;
    c.fpr.forEach((f, i) => values.push({ curve: name, fpr: f, tpr: c.tpr[i], order: i }));
  }
  const spec = {
    ...specHeader(o.title),
    width: o.width,
    height: o.height,
    layer: [
      { data: { values: [{ a: 0 }, { a: 1 }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 4], aria: false }, encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'a', type: 'quantitative' } } },
      {
        data: { values },
        mark: { type: 'line', interpolate: 'linear' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          order: { field: 'order', type: 'quantitative' },
          color: { field: 'curve', type: 'nominal', title: 'curve', legend: { orient: 'bottom-right', direction: 'vertical' } },
        },
      },
    ],
  } as TopLevelSpec;
  return renderVegaLite(spec);
}
