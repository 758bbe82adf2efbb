/**
 * Per-class recall and confusion matrices for logs and tables (issue 17 item 5: a rare class missed
 * by every model must show), from the classification report; and the Markdown table they go in.
 */
import { confusionMatrix, perClassScores, type ClassificationReport } from './classification.js';
import { formatMeanSd, seedSummary } from './mean-sd.js';

/** A Markdown table: a header row, the separator, then one line per row. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The per-class part of a test report: recall per class (class order) and confusion[true][predicted]. */
export interface ClassScores {
  recall: number[];
  confusion: number[][];
}

/** The per-class part of a classification report. */
export function classScores(m: Pick<ClassificationReport, 'recall' | 'confusion'>): ClassScores {
  return { recall: [...m.recall], confusion: m.confusion.map((row) => [...row]) };
}

/**
 * The per-class scores of hard predictions (class indices), for scripts that threshold a probe's
 * probabilities themselves: the library's confusionMatrix and perClassScores.
 */
export function predictionScores(labels: ArrayLike<number>, predictions: ArrayLike<number>, numClasses: number): ClassScores {
  const confusion = confusionMatrix(labels, predictions, numClasses);
  return { recall: perClassScores(confusion).recall, confusion };
}

/** `CN 0.900, AD 0.700`. */
export function recallText(classes: readonly string[], s: ClassScores): string {
  return classes.map((c, k) => `${c} ${s.recall[k].toFixed(3)}`).join(', ');
}

/** `[9 1; 3 7]`: confusion[true][predicted], rows separated by `;`. */
export function confusionText(confusion: readonly (readonly number[])[]): string {
  return `[${confusion.map((row) => row.join(' ')).join('; ')}]`;
}

/** Element-wise sum of confusion matrices of one shape. */
export function sumConfusion(matrices: ReadonlyArray<readonly (readonly number[])[]>): number[][] {
  return matrices[0].map((row, i) => row.map((_, j) => matrices.reduce((a, m) => a + m[i][j], 0)));
}

/**
 * A Markdown table with one row per model: each class's test recall (mean ± sd over the runs,
 * e.g. seeds) and the confusion matrix summed over the runs. Models whose runs lack per-class
 * scores (results written before they were recorded) are left out; undefined when none has them.
 */
export function classScoresTable(classes: readonly string[], models: ReadonlyArray<{ name: string; runs: ReadonlyArray<Partial<ClassScores> | undefined> }>): string | undefined {
  const rows = models
    .filter((m) => m.runs.length > 0 && m.runs.every((r) => r?.recall !== undefined && r.confusion !== undefined))
    .map((m) => {
      const runs = m.runs as ClassScores[];
      return [m.name, ...classes.map((_, k) => formatMeanSd(seedSummary(runs.map((r) => r.recall[k])))), confusionText(sumConfusion(runs.map((r) => r.confusion)))];
    });
  if (rows.length === 0) return undefined;
  return markdownTable(['model', ...classes.map((c) => `recall ${c}`), `confusion (rows true ${classes.join('/')}, columns predicted; summed over runs)`], rows);
}
