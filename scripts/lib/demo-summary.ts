/**
 * The demo's numbers over seeds: mean ± sd per model, paired differences with a 95 % t interval
 * of their mean and win/tie/loss counts (the library's pairedSummary), the markdown table and a
 * plain-language reading of them.
 */
import { formatMeanSd, pairedSummary, seedSummary, type PairedSummary, type SeedSummary } from '../../src/index.js';
import { markdownTable } from './experiment.js';
import { classScoresTable } from '../../src/index.js';

/** Test scores of one model on one seed. */
export interface DemoScore {
  balancedAccuracy: number;
  auc: number;
  /** Balanced accuracy on site B's validation split. */
  validBalancedAccuracy: number;
  seconds: number;
  /** Site-B test recall per class (class order) and confusion[true][predicted] (issue 17 item 5). */
  recall?: number[];
  confusion?: number[][];
}

/** One seed of the demo. */
export interface DemoSeedRow {
  seed: number;
  /** Site B's class names (the order of `recall` and `confusion`). */
  classes?: string[];
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
  /** The teacher's lead over the plain student: what distillation could pass on. */
  teacherMinusPlain: PairedSummary;
}

/** Mean ± sd and paired differences over the seeds. */
export function summarizeDemo(rows: readonly DemoSeedRow[]): DemoSummary {
  const ba = (f: (r: DemoSeedRow) => DemoScore): number[] => rows.map((r) => f(r).balancedAccuracy);
  const [transfer, scratch, plain, distilled] = [ba((r) => r.transfer), ba((r) => r.scratch), ba((r) => r.plain), ba((r) => r.distilled)];
  const teacher = ba((r) => r[r.teacher]);
  return {
    transfer: seedSummary(transfer),
    scratch: seedSummary(scratch),
    teacher: seedSummary(teacher),
    plain: seedSummary(plain),
    distilled: seedSummary(distilled),
    transferMinusScratch: pairedSummary(transfer, scratch),
    distilledMinusPlain: pairedSummary(distilled, plain),
    teacherMinusPlain: pairedSummary(teacher, plain),
  };
}

const f3 = (x: number): string => (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(3);
const ci = (p: PairedSummary): string => (Number.isNaN(p.ci[0]) ? 'n/a (one seed)' : `[${f3(p.ci[0])}, ${f3(p.ci[1])}]`);

/** The per-seed table and the summary lines (markdown). */
export function demoTable(rows: readonly DemoSeedRow[], s: DemoSummary, classes?: readonly string[]): string {
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
      ['teacher (3D) vs 2D student plain', formatMeanSd(s.teacher), formatMeanSd(s.plain), `${f3(s.teacherMinusPlain.mean)} ± ${s.teacherMinusPlain.sd.toFixed(3)}`, ci(s.teacherMinusPlain), wtl(s.teacherMinusPlain)],
    ],
  );
  const MODELS = [['transfer (3D)', 'transfer'], ['scratch (3D)', 'scratch'], ['2D plain', 'plain'], ['2D distilled', 'distilled']] as const;
  const perClass = classes ? classScoresTable(classes, MODELS.map(([name, k]) => ({ name, runs: rows.map((r) => r[k]) }))) : undefined;
  return `${perSeed}\n\nTeacher (the better 3D classifier on validation): ${formatMeanSd(s.teacher)}\n\n${summary}\n${perClass ? `\nPer class (site-B test, mean ± sd over seeds):\n\n${perClass}\n` : ''}`;
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

/**
 * A reading of the teacher's lead over the plain student (teacher − plain): distillation can only
 * pass on what the teacher knows beyond the student.
 */
export function readTeacherLead(p: PairedSummary): string {
  const n = p.values.length;
  const head = `The teacher (3D) vs the plain 2D student, what distillation could pass on: ${f3(p.mean)}${n > 1 ? ` (95 % interval ${ci(p)}` : ' (one seed'}, teacher better on ${p.wins} of ${n})`;
  if (p.mean <= 0) return `${head}: the teacher is no better than the student, so distillation has nothing to pass on.`;
  if (n > 1 && p.ci[0] > 0) return `${head}: the teacher is better than the student, the regime distillation is for.`;
  return `${head}: the teacher leads on average, but ${n > 1 ? 'the interval includes 0' : 'one seed cannot show it'}.`;
}

/** The interpretation lines of the report, written from the numbers. */
export function interpretDemo(s: DemoSummary): string[] {
  return [
    readComparison('CAE pretraining on site A, then fine-tuning on the few labelled site-B subjects, vs the same network from scratch', s.transferMinusScratch),
    readComparison('3D → 2D distillation with the unlabelled site-B scans as a transfer set, vs the same 2D student trained on the labelled scans alone', s.distilledMinusPlain),
    readTeacherLead(s.teacherMinusPlain),
  ];
}
