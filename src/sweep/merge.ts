/**
 * One merged table per sweep: per setting and metric, the per-seed values (the mean over folds when
 * the sweep has folds), their mean ± sd, and each setting's paired differences to the baseline
 * (per seed, mean ± sd, percentile-bootstrap interval of the mean, better/tie/worse counts).
 */
import { Rng } from '../backend/rng.js';
import { bootstrapInterval } from '../learner/metrics/bootstrap.js';
import { meanSd, pairedDifference, winTieLoss } from '../learner/metrics/mean-sd.js';
import type { SweepConfig } from './config.js';
import type { SweepJobRecord } from './run-job.js';

/** One (setting, metric) row. */
export interface SweepRow {
  setting: string;
  metric: string;
  /** Seeds with a value (every fold of the seed finished). */
  n: number;
  mean: number;
  sd: number;
  perSeed: Array<{ seed: number; value: number }>;
}

/** A setting minus the baseline, paired by seed. */
export interface SweepDifference {
  setting: string;
  baseline: string;
  metric: string;
  /** Seeds both settings have. */
  n: number;
  mean: number;
  sd: number;
  /** 95 % percentile-bootstrap interval of the mean difference (resampling seeds). */
  ci: [number, number];
  wins: number;
  ties: number;
  losses: number;
  perSeed: Array<{ seed: number; value: number }>;
}

/** The merged results of a sweep. */
export interface SweepSummary {
  name: string;
  settings: string[];
  baseline: string;
  seeds: number[];
  folds: number | null;
  metrics: string[];
  jobs: { total: number; done: number; failed: number; missing: number };
  rows: SweepRow[];
  differences: SweepDifference[];
  failures: Array<{ key: string; setting: string; seed: number; fold: number | null; error: string; attempts: number; stalls: number }>;
  /** Sum of the finished jobs' wall times, seconds. */
  jobSeconds: number;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Merges job records into the sweep's table. Records of other code versions or keys are ignored;
 * a seed whose folds did not all finish has no value.
 */
export function mergeRecords(config: SweepConfig, keys: ReadonlyArray<{ key: string; setting: string; seed: number; fold: number | null }>, records: ReadonlyMap<string, SweepJobRecord>): SweepSummary {
  const ours = keys.map((k) => ({ ...k, record: records.get(k.key) }));
  const done = ours.filter((o) => o.record?.status === 'done');
  const metricSet = new Set<string>();
  for (const o of done) for (const m of Object.keys(o.record!.metrics)) metricSet.add(m);
  const metrics = config.metric !== undefined ? [config.metric] : [...metricSet].sort();
  const foldCount = config.folds ?? 1;
  const valuesOf = (setting: string, metric: string): Map<number, number> => {
    const bySeed = new Map<number, number>();
    for (const seed of config.seeds) {
      const vals = done.filter((o) => o.setting === setting && o.seed === seed).map((o) => o.record!.metrics[metric]).filter((v) => typeof v === 'number');
      if (vals.length === foldCount) bySeed.set(seed, mean(vals));
    }
    return bySeed;
  };
  const rows: SweepRow[] = [];
  const differences: SweepDifference[] = [];
  for (const metric of metrics) {
    const base = valuesOf(config.baseline, metric);
    for (const s of config.settings) {
      const v = valuesOf(s.label, metric);
      const perSeed = [...v].map(([seed, value]) => ({ seed, value }));
      rows.push({ setting: s.label, metric, n: perSeed.length, ...meanSd(perSeed.map((p) => p.value)), perSeed });
      if (s.label === config.baseline) continue;
      const seeds = config.seeds.filter((seed) => v.has(seed) && base.has(seed));
      const a = seeds.map((seed) => v.get(seed)!);
      const b = seeds.map((seed) => base.get(seed)!);
      const d = pairedDifference(a, b);
      const rng = new Rng(0).fork(`${s.label} - ${config.baseline}: ${metric}`);
      const ci: [number, number] = d.length === 0 ? [NaN, NaN] : bootstrapInterval(d.length, (idx) => mean(Array.from(idx, (i) => d[i])), rng, config.bootstrap);
      differences.push({ setting: s.label, baseline: config.baseline, metric, n: d.length, ...meanSd(d), ci, ...winTieLoss(a, b), perSeed: seeds.map((seed, i) => ({ seed, value: d[i] })) });
    }
  }
  const failed = ours.filter((o) => o.record?.status === 'failed');
  return {
    name: config.name,
    settings: config.settings.map((s) => s.label),
    baseline: config.baseline,
    seeds: config.seeds,
    folds: config.folds,
    metrics,
    jobs: { total: ours.length, done: done.length, failed: failed.length, missing: ours.length - done.length - failed.length },
    rows,
    differences,
    failures: failed.map((o) => ({ key: o.key, setting: o.setting, seed: o.seed, fold: o.fold, error: `${o.record!.error?.name ?? 'Error'}: ${o.record!.error?.message ?? ''}`, attempts: o.record!.attempts, stalls: o.record!.stalls })),
    jobSeconds: done.reduce((s, o) => s + o.record!.seconds, 0),
  };
}

/** The summary as a Markdown table (mean ± sd, difference to the baseline with its interval, per-seed values). */
export function summaryMarkdown(s: SweepSummary, digits = 4): string {
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
  const lines: string[] = [];
  for (const metric of s.metrics) {
    lines.push(`### ${metric}`, '');
    lines.push(`| setting | n | mean ± sd | minus ${s.baseline} (95 % bootstrap CI) | better / tie / worse | ${s.seeds.map((x) => `seed ${x}`).join(' | ')} |`);
    lines.push(`|${' --- |'.repeat(5 + s.seeds.length)}`);
    for (const r of s.rows.filter((x) => x.metric === metric)) {
      const d = s.differences.find((x) => x.metric === metric && x.setting === r.setting);
      const perSeed = s.seeds.map((seed) => {
        const v = r.perSeed.find((p) => p.seed === seed);
        return v === undefined ? '–' : f(v.value);
      });
      const diff = d === undefined ? '(baseline)' : `${f(d.mean)} ± ${f(d.sd)} [${f(d.ci[0])}, ${f(d.ci[1])}]`;
      lines.push(`| ${r.setting} | ${r.n} | ${f(r.mean)} ± ${f(r.sd)} | ${diff} | ${d ? `${d.wins} / ${d.ties} / ${d.losses}` : ''} | ${perSeed.join(' | ')} |`);
    }
    lines.push('');
  }
  lines.push(`Jobs: ${s.jobs.done} done, ${s.jobs.failed} failed${s.jobs.missing ? `, ${s.jobs.missing} missing` : ''} of ${s.jobs.total}${s.folds ? ` (${s.folds} folds per seed, averaged)` : ''}.`);
  for (const x of s.failures) lines.push(`- failed: ${x.setting}, seed ${x.seed}${x.fold === null ? '' : `, fold ${x.fold}`} (${x.key}, ${x.attempts} tries${x.stalls ? `, ${x.stalls} stalls` : ''}): ${x.error}`);
  return `${lines.join('\n')}\n`;
}
