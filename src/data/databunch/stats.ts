/**
 * Per-split summary table: samples, subjects, labels, age, sex, site, and the share of samples
 * with a near-duplicate in train.
 */
import type { SplitContamination } from './near-duplicates.js';

/** What the table needs of a sample. */
export interface StatsSample {
  label: string | null;
  subject: string;
  age?: number;
  sex?: string;
  site?: string;
}

/** Summary of one split (or 'total'). */
export interface SplitStats {
  split: string;
  samples: number;
  subjects: number;
  /** Samples per label (every class listed, unlabelled as '(none)'). */
  labels: Record<string, number>;
  /** Age mean and sample standard deviation (n − 1) over the samples that have one; undefined if none. */
  age?: { mean: number; sd: number; n: number };
  /** Samples per sex / site, when present. */
  sex?: Record<string, number>;
  site?: Record<string, number>;
  /** valid and test rows, when the DataBunch scanned for near-duplicates: samples with a near-duplicate in train. */
  nearDuplicateInTrain?: SplitContamination;
}

/**
 * Summaries of each split and of all samples.
 * @example
 * splitStats({ train: [...], valid: [...], test: [...] }, ['AD', 'CN']);
 */
export function splitStats(bySplit: Record<string, readonly StatsSample[]>, classes: readonly string[]): SplitStats[] {
  const all = Object.values(bySplit).flat();
  return [...Object.entries(bySplit), ['total', all] as const].map(([split, samples]) => {
    const labels: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
    for (const s of samples) labels[s.label ?? '(none)'] = (labels[s.label ?? '(none)'] ?? 0) + 1;
    const ages = samples.map((s) => s.age).filter((a): a is number => typeof a === 'number' && Number.isFinite(a));
    const out: SplitStats = { split, samples: samples.length, subjects: new Set(samples.map((s) => s.subject)).size, labels };
    if (ages.length > 0) {
      const mean = ages.reduce((a, b) => a + b, 0) / ages.length;
      const sd = ages.length > 1 ? Math.sqrt(ages.reduce((a, b) => a + (b - mean) ** 2, 0) / (ages.length - 1)) : 0;
      out.age = { mean, sd, n: ages.length };
    }
    const count = (key: 'sex' | 'site'): Record<string, number> | undefined => {
      const values = samples.map((s) => s[key]).filter((v): v is string => typeof v === 'string' && v !== '');
      if (values.length === 0) return undefined;
      const c: Record<string, number> = {};
      for (const v of values.sort()) c[v] = (c[v] ?? 0) + 1;
      return c;
    };
    const sex = count('sex');
    const site = count('site');
    if (sex) out.sex = sex;
    if (site) out.site = site;
    return out;
  });
}

/** The stats as a fixed-width text table, one row per split. */
export function formatStats(stats: readonly SplitStats[]): string {
  const labelKeys = [...new Set(stats.flatMap((s) => Object.keys(s.labels)))];
  const header = ['split', 'samples', 'subjects', ...labelKeys, 'age', 'sex', 'site', 'near-dup in train'];
  const dict = (d?: Record<string, number>): string => (d ? Object.entries(d).map(([k, v]) => `${k}:${v}`).join(' ') : '');
  const rows = stats.map((s) => [
    s.split,
    String(s.samples),
    String(s.subjects),
    ...labelKeys.map((k) => String(s.labels[k] ?? 0)),
    s.age ? `${s.age.mean.toFixed(1)}±${s.age.sd.toFixed(1)}` : '',
    dict(s.sex),
    dict(s.site),
    s.nearDuplicateInTrain ? `${s.nearDuplicateInTrain.flagged} (${(100 * s.nearDuplicateInTrain.share).toFixed(1)} %)` : '',
  ]);
  const keep = header.map((_, c) => c < 3 + labelKeys.length || rows.some((r) => r[c] !== ''));
  const cols = [header, ...rows].map((r) => r.filter((_, c) => keep[c]));
  const widths = cols[0].map((_, c) => Math.max(...cols.map((r) => r[c].length)));
  return cols.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}
