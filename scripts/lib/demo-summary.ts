/**
 * The demo's numbers over seeds: mean ± sd per model, paired differences with a 95 % t interval
 * of their mean, win/tie/loss counts, the markdown table and a plain-language reading of them.
 */
import { OptionError } from '../../src/index.js';
import { formatMeanSd, meanSd, pairedDifference, seedSummary, winTieLoss, type SeedSummary } from '../../src/index.js';
import { markdownTable } from './experiment.js';

/** Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom (R: qt(0.975, df)). */
const T975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.13145,
  2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272,
];

/** Student's t 0.975 quantile for `df` degrees of freedom (table to 30, then the normal's 1.959964). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new OptionError('tQuantile975.df', `must be an integer ≥ 1, got ${df}`);
  return df <= 30 ? T975[df - 1] : 1.959964;
}

/** A paired difference over seeds: its values, mean ± sd, the 95 % t interval of the mean, and the sign counts. */
export interface PairedSummary extends SeedSummary {
  /** 95 % t interval of the mean difference, [mean − t·sd/√n, mean + t·sd/√n]; [NaN, NaN] for one seed. */
  ci: [number, number];
  wins: number;
  ties: number;
  losses: number;
}

/** a − b per seed, summarised (a and b in seed order). */
export function pairedSummary(a: readonly number[], b: readonly number[]): PairedSummary {
  const d = pairedDifference(a, b);
  const { mean, sd } = meanSd(d);
  const half = d.length > 1 ? (tQuantile975(d.length - 1) * sd) / Math.sqrt(d.length) : NaN;
  return { ...seedSummary(d), ci: [mean - half, mean + half], ...winTieLoss(a, b) };
}

/** Test scores of one model on one seed. */
export interface DemoScore {
  balancedAccuracy: number;
  auc: number;
  /** Balanced accuracy on site B's validation split. */
  validBalancedAccuracy: number;
  seconds: number;
}

/** One seed of the demo. */
export interface DemoSeedRow {
  seed: number;
  transfer: DemoScore;
  scratch: DemoScore;
  /** Which 3D classifier taught the student (higher validation balanced accuracy; a tie goes to transfer). */
  teacher: 'transfer' | 'scratch';
  plain: DemoScore;
  distilled: DemoScore;
  /** Labelled / unlabelled site-B training scans. */
  labelledScans: number;
  unlabelledScans: number;
  seconds: number;
}

/** The demo's summary over seeds (test balanced accuracy). */
export interface DemoSummary {
  transfer: SeedSummary;
  scratch: SeedSummary;
  teacher: SeedSummary;
  plain: SeedSummary;
  distilled: SeedSummary;
  transferMinusScratch: PairedSummary;
  distilledMinusPlain: PairedSummary;
}

/** Mean ± sd and paired differences over the seeds. */
export function summarizeDemo(rows: readonly DemoSeedRow[]): DemoSummary {
  const ba = (f: (r: DemoSeedRow) => DemoScore): number[] => rows.map((r) => f(r).balancedAccuracy);
  const [transfer, scratch, plain, distilled] = [ba((r) => r.transfer), ba((r) => r.scratch), ba((r) => r.plain), ba((r) => r.distilled)];
  return {
    transfer: seedSummary(transfer),
    scratch: seedSummary(scratch),
    teacher: seedSummary(ba((r) => r[r.teacher])),
    plain: seedSummary(plain),
    distilled: seedSummary(distilled),
    transferMinusScratch: pairedSummary(transfer, scratch),
    distilledMinusPlain: pairedSummary(distilled, plain),
  };
}

const f3 = (x: number): string => (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(3);
const ci = (p: PairedSummary): string => (Number.isNaN(p.ci[0]) ? 'n/a (one seed)' : `[${f3(p.ci[0])}, ${f3(p.ci[1])}]`);

/** The per-seed table and the summary lines (markdown). */
export function demoTable(rows: readonly DemoSeedRow[], s: DemoSummary): string {
  const perSeed = markdownTable(
    ['seed', 'transfer (3D)', 'scratch (3D)', 'transfer − scratch', 'teacher', '2D plain', '2D distilled', 'distilled − plain', 'labelled / unlabelled scans', 'seconds'],
    rows.map((r) => [
      String(r.seed),
      r.transfer.balancedAccuracy.toFixed(3),
      r.scratch.balancedAccuracy.toFixed(3),
      f3(r.transfer.balancedAccuracy - r.scratch.balancedAccuracy),
      r.teacher,
      r.plain.balancedAccuracy.toFixed(3),
      r.distilled.balancedAccuracy.toFixed(3),
      f3(r.distilled.balancedAccuracy - r.plain.balancedAccuracy),
      `${r.labelledScans} / ${r.unlabelledScans}`,
      r.seconds.toFixed(0),
    ]),
  );
  const summary = markdownTable(
    ['comparison (site-B test balanced accuracy)', 'a', 'b', 'a − b, mean ± sd', '95 % t interval', 'better / tie / worse'],
    [
      ['transfer (CAE pretrained on site A) vs scratch', formatMeanSd(s.transfer), formatMeanSd(s.scratch), `${f3(s.transferMinusScratch.mean)} ± ${s.transferMinusScratch.sd.toFixed(3)}`, ci(s.transferMinusScratch), wtl(s.transferMinusScratch)],
      ['2D student: distilled (with the transfer set) vs plain', formatMeanSd(s.distilled), formatMeanSd(s.plain), `${f3(s.distilledMinusPlain.mean)} ± ${s.distilledMinusPlain.sd.toFixed(3)}`, ci(s.distilledMinusPlain), wtl(s.distilledMinusPlain)],
    ],
  );
  return `${perSeed}\n\nTeacher (the better 3D classifier on validation): ${formatMeanSd(s.teacher)}\n\n${summary}\n`;
}

function wtl(p: PairedSummary): string {
  return `${p.wins} / ${p.ties} / ${p.losses}`;
}

/**
 * A plain reading of one paired comparison: which way the mean goes, on how many seeds, and
 * whether the 95 % interval excludes 0 (the only case it calls a gain or a loss).
 */
export function readComparison(what: string, p: PairedSummary): string {
  const n = p.values.length;
  const sign = `${p.wins} of ${n} seed${n === 1 ? '' : 's'} better, ${p.losses} worse`;
  if (n < 2) return `${what}: ${f3(p.mean)} on one seed (${sign}); one seed cannot tell a gain from noise.`;
  if (p.ci[0] > 0) return `${what}: ${f3(p.mean)} (95 % interval ${ci(p)}, ${sign}): a gain at this number of seeds.`;
  if (p.ci[1] < 0) return `${what}: ${f3(p.mean)} (95 % interval ${ci(p)}, ${sign}): it did worse here.`;
  return `${what}: ${f3(p.mean)} (95 % interval ${ci(p)}, ${sign}): the interval includes 0, so ${n} seeds do not show a difference.`;
}

/** The interpretation lines of the report, written from the numbers. */
export function interpretDemo(s: DemoSummary): string[] {
  return [
    readComparison('CAE pretraining on site A, then fine-tuning on the few labelled site-B subjects, vs the same network from scratch', s.transferMinusScratch),
    readComparison('3D → 2D distillation with the unlabelled site-B scans as a transfer set, vs the same 2D student trained on the labelled scans alone', s.distilledMinusPlain),
  ];
}
