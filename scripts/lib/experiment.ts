/**
 * Helpers shared by the experiment scripts: reading a split's voxels, writing
 * results.json, out-of-fold score summaries with subject-level bootstrap intervals,
 * and the guard that runs a script's CLI only when it is the entry point.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptionError, Rng } from '../../src/index.js';
import type { BatchSource, SplitName } from '../../src/index.js';
import { bootstrapInterval } from '../../src/learner/probes.js';

/** True when the module with this `import.meta.url` is the script node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(path.resolve(entry)).href === moduleUrl;
}

/** The preprocessed samples of a split as flat voxel rows, in the source's order (no shuffling, no augmentation). */
export async function splitVoxels(source: BatchSource, split: SplitName, batchSize = 4): Promise<{ ids: string[]; rows: Float32Array[] }> {
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  for await (const batch of source.batches(split, { batchSize, shuffle: false, augment: false })) {
    const n = batch.ids.length;
    const p = batch.x.data.length / n;
    for (let i = 0; i < n; i++) rows.push(Float32Array.from(batch.x.data.subarray(i * p, (i + 1) * p)));
    ids.push(...batch.ids);
  }
  return { ids, rows };
}

/** Projects rows onto fitted principal axes: coords[i][k] = Σ_j axes[k][j] (x_ij − mean_j). */
export function projectRows(rows: ReadonlyArray<ArrayLike<number>>, fit: { components: number[][]; mean: number[] }): number[][] {
  return rows.map((r) =>
    fit.components.map((axis) => {
      let s = 0;
      for (let j = 0; j < axis.length; j++) s += axis[j] * (r[j] - fit.mean[j]);
      return s;
    }),
  );
}

/** Mean squared error of reconstructing each row from its principal coordinates, per row. */
export function pcaReconstructionMse(rows: ReadonlyArray<ArrayLike<number>>, coords: number[][], fit: { components: number[][]; mean: number[] }): number[] {
  return rows.map((r, i) => {
    let s = 0;
    for (let j = 0; j < r.length; j++) {
      let v = fit.mean[j];
      for (let k = 0; k < fit.components.length; k++) v += coords[i][k] * fit.components[k][j];
      s += (r[j] - v) ** 2;
    }
    return s / r.length;
  });
}

/** A score with its 95% interval. */
export interface ScoreWithCi {
  value: number;
  ci: [number, number];
}

/**
 * A pooled out-of-fold score and its percentile-bootstrap 95% interval over subjects
 * (each resample draws subjects with replacement and recomputes the score on their predictions).
 */
export function pooledScore(n: number, score: (idx: ArrayLike<number>) => number, seed: number, label: string, resamples: number): ScoreWithCi {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return { value: score(all), ci: bootstrapInterval(n, score, new Rng(seed).fork(label), resamples) };
}

/** Mean and sample standard deviation of per-fold values. */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

/** `0.731 [0.62, 0.84]`. */
export function formatCi(s: ScoreWithCi, digits = 3): string {
  return `${s.value.toFixed(digits)} [${s.ci[0].toFixed(digits)}, ${s.ci[1].toFixed(digits)}]`;
}

/** A Markdown table. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Writes `results.json` (pretty-printed) into `out`, creating it; returns the file path. */
export async function writeResults(out: string, results: unknown): Promise<string> {
  await mkdir(out, { recursive: true });
  const file = path.join(out, 'results.json');
  // temp file + rename: a reader (or a crash mid-write) sees the old file or the new one, never half of one
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, file);
  return file;
}

/** Writes results.json (atomically) and table.md into `out`, and logs the table. */
export async function writeResultsAndTable(out: string, results: unknown, table: string, log: (line: string) => void): Promise<void> {
  await writeResults(out, results);
  await writeFile(path.join(out, 'table.md'), table);
  log(`\n${table}`);
}

/** Parses `96x120x120` (or `96,120,120`) into a shape. */
export function parseShape(where: string, text: string): [number, number, number] {
  const parts = text.split(/[x,]/).map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((v) => !Number.isInteger(v) || v < 1)) throw new OptionError(where, `expected three positive integers like 96x120x120, got "${text}"`);
  return parts as [number, number, number];
}
