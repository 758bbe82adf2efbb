/**
 * The demo (issue 18): the label-scarce, site-shifted setting transfer learning and distillation
 * are for, on the embedded synthetic two-site cohort (no downloaded data), over several seeds.
 *
 * Per seed (one seed drives the cohort, splits, order, augmentation and initialisation):
 *   1. a cohort with mild disease (severity U[0.2, 0.6]), site A and site B DataBunches;
 *   2. the CAE (with batch norm) pretrained on site A's scans, labels unused;
 *   3. site B: only `--labelled` of the training subjects keep their labels (per class, whole subjects);
 *      transfer = the pretrained encoder + a head, head first then fine-tuned whole, vs the same
 *      network from scratch, both on the labelled scans only;
 *   4. the 3D classifier with the higher validation balanced accuracy teaches a 2D student
 *      (`--student`: by default the dynamic image, a rank-pooled image of the 8 middle axial slices):
 *      distilled (Hinton KD + similarity-preserving) on the labelled scans plus a transfer set of
 *      unlabelled site-B scans (the unlabelled training subjects' and, with `--pool`, those of new
 *      subjects), vs the same student (same initial weights) trained plainly on the labelled scans;
 *   5. the first seed's distilled student exported and written as an offline browser app beside the report.
 * Then mean ± sd over the seeds, paired differences with 95 % t intervals, a reading of them,
 * results.json, table.md and an HTML report (details of the first seed).
 *
 * Settings (kd-synthetic's label-scarce setting, the dynamic-image student) fixed on pilot seeds
 * 100–102, which are not reported, before seeds 0–2 were run: see docs/demo.md.
 *
 *   npm run demo -- --help
 */
import path from 'node:path';
import {
  ArrayBatchSource,
  DataError,
  Learner,
  OptionError,
  VolumeViewSource,
  distill,
  dynamicImage,
  earlyFusion,
  exportModel,
  flipX,
  initBackend,
  keepLabelled,
  loadSplit,
  report,
  withUnlabelled,
  backendForReport,
  historyForReport,
  rocForReport,
  versionsForReport,
  writeApp,
} from '../src/index.js';
import type { BatchSource, Experiment, StudentModel, StudentView, VolumeSplit } from '../src/index.js';
import { parseCli, parseSeeds } from './lib/cli.js';
import { isEntryPoint, writeResultsAndTable } from './lib/experiment.js';
import { pretrainCae, trainScratch, trainUnfrozen, type SiteClassifierConfig, type TrainedClassifier } from '../src/index.js';
import { syntheticPool, syntheticSites } from './lib/synthetic-sites.js';
import { classScores } from '../src/index.js';
import { demoTable, interpretDemo, summarizeDemo, type DemoScore, type DemoSeedRow, type DemoSummary } from './lib/demo-summary.js';

const spec = {
  name: 'scripts/demo.ts',
  description: 'transfer learning and 3D → 2D distillation with few labelled subjects on a synthetic two-site cohort, over several seeds',
  defaults: {
    seed: -1,
    seeds: '0,1,2',
    out: 'out/demo',
    subjects: 192,
    size: 24,
    severity: '0.2,0.6',
    labelled: 0.25,
    pool: 96,
    student: 'dynamic',
    aeEpochs: 20,
    clfEpochs: 40,
    studentEpochs: 60,
    studentLr: 3e-3,
    batchSize: 8,
    flip: 0.5,
    bootstrap: 200,
  },
  options: {
    seed: { type: 'number', help: 'run this one seed only (overrides --seeds); -1 = use --seeds' },
    seeds: { type: 'string', help: 'comma-separated seeds; each drives its own cohort, splits, order, augmentation and initialisation' },
    out: { type: 'string', help: 'output folder (per-seed cohorts and caches, results.json, table.md, report.html)' },
    subjects: { type: 'number', help: 'subjects in each cohort (two sessions each, half on each site)' },
    size: { type: 'number', help: 'volume edge in voxels' },
    severity: { type: 'string', help: "range 'lo,hi' of the disease severity, uniform in [0, 1] (the cohort's default 0.5,1 is easy to see on a few slices)" },
    labelled: { type: 'number', help: "fraction (0, 1] of site B's training subjects whose labels are used; the others' scans are the distillation's transfer set" },
    pool: { type: 'number', help: "site-B subjects of a second cohort (same population, seed + 1000003) whose scans join the distillation's transfer set unlabelled; 0 = none" },
    student: { type: 'string', help: "the 2D student: 'early' (3 middle axial slices as channels) or 'dynamic' (rank-pooled image of the 8 middle axial slices)" },
    aeEpochs: { type: 'number', help: 'epochs of CAE pretraining on site A' },
    clfEpochs: { type: 'number', help: 'base epochs of the 3D classifiers on site B (each trains clfEpochs + ceil(clfEpochs / 3))' },
    studentEpochs: { type: 'number', help: 'epochs of the 2D student, plain and distilled alike' },
    studentLr: { type: 'number', help: 'peak learning rate of the 2D student (one-cycle)' },
    batchSize: { type: 'number', help: 'samples per batch' },
    flip: { type: 'number', help: 'probability of the left-right flip of training volumes' },
    bootstrap: { type: 'number', help: 'bootstrap resamples of the per-seed test intervals' },
  },
} as const;

/** The demo's configuration (see `npm run demo -- --help`). */
export type DemoConfig = { -readonly [K in keyof typeof spec.defaults]: (typeof spec.defaults)[K] extends number ? number : string };

/** Default configuration of the demo (the settings fixed on the pilot seeds). */
export const DEFAULT_DEMO: DemoConfig = { ...spec.defaults };

/** What results.json holds. */
export interface DemoResults {
  config: DemoConfig;
  seeds: number[];
  perSeed: DemoSeedRow[];
  summary: DemoSummary;
  interpretation: string[];
  backend: Record<string, unknown>;
  /** 1-minute load average at the start and the end (os.loadavg), for reading the time. */
  load: [number, number];
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of this process (user + system, all threads): the time on an otherwise idle machine is about this divided by the threads that run at once. */
  cpuSeconds: number;
}

const STUDENT_WIDTHS = [16, 32, 64];
const STUDENTS = ['early', 'dynamic'] as const;

/** The view of the volume the 2D student `name` reads (axial slices through the middle). */
function studentView(name: string): StudentView {
  return name === 'dynamic' ? { kind: 'sequence', axis: 2, count: 8 } : { kind: 'channels', axis: 2, count: 3 };
}

/** The demo's 2D student (fresh weights from `seed`): kd-synthetic's early-fusion or dynamic-image student. */
function buildStudent(name: string, size: number, seed: number, numClasses: number): { student: StudentModel; view: StudentView } {
  const view = studentView(name);
  const student =
    name === 'dynamic'
      ? dynamicImage({ sliceShape: [size, size, 1], slices: view.count, coefficients: 'bilen', widths: STUDENT_WIDTHS, seed }, numClasses)
      : earlyFusion({ sliceShape: [size, size], slices: view.count, widths: STUDENT_WIDTHS, seed }, numClasses);
  return { student, view };
}

const KD_LOSS = { hinton: { temperature: 4, alpha: 0.5 }, similarity: { weight: 5, normalize: 'cosine-max' as const } };

function parseSeverity(text: string): [number, number] {
  const p = text.split(',').map((t) => (t.trim() === '' ? NaN : Number(t)));
  if (p.length !== 2 || !(p[0] >= 0 && p[0] <= p[1] && p[1] <= 1)) throw new OptionError('--severity', `expected 'lo,hi' with 0 <= lo <= hi <= 1, got "${text}"`);
  return [p[0], p[1]];
}

/** The subject of a synthetic sample id (`sub-007` of `…sub-007_ses-1…`). */
function subjectOf(id: string): string {
  const m = /sub-\d+/.exec(id);
  if (!m) throw new DataError(`sample id ${JSON.stringify(id)} names no subject (sub-<digits>)`, { file: id });
  return m[0];
}

/** Site B's labelled volumes in memory as a 3D source for the classifiers (flips in training). */
function volumeSource(classes: readonly string[], shape: [number, number, number, number], splits: Record<'train' | 'valid' | 'test', VolumeSplit>, seed: number, flip: number): BatchSource {
  const arrays = Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, { x: v.data, y: v.y, ids: v.ids }]));
  const augment = flip > 0 ? (v: Float32Array, rng: { next(): number }): Float32Array => (rng.next() < flip ? flipX(v, shape) : v) : undefined;
  return new ArrayBatchSource({ classes: [...classes], sampleShape: [...shape], splits: arrays, seed, augment });
}

async function score(learner: Learner, t0: number): Promise<DemoScore> {
  const m = (await learner.predict('test')).metrics!;
  const valid = (await learner.validate('valid')).metrics.balancedAccuracy;
  return { balancedAccuracy: m.balancedAccuracy, auc: m.auc, validBalancedAccuracy: valid, seconds: (Date.now() - t0) / 1000, ...classScores(m) };
}

const classifierScore = (c: TrainedClassifier, seconds: number): DemoScore => ({
  balancedAccuracy: c.test.metrics!.balancedAccuracy,
  auc: c.test.metrics!.auc,
  validBalancedAccuracy: c.validBa,
  seconds,
  ...classScores(c.test.metrics!),
});

/** Everything of one seed; `keep` receives the first seed's learners for the report. */
async function runSeed(cfg: DemoConfig, seed: number, out: string, log: (l: string) => void, keep?: (parts: ReportParts) => Promise<void>): Promise<DemoSeedRow> {
  const ts = Date.now();
  const dir = path.join(out, `seed-${seed}`);
  const { siteA, siteB, inputShape } = await syntheticSites(dir, { seed, subjects: cfg.subjects, size: cfg.size, flip: cfg.flip, severity: parseSeverity(cfg.severity) });
  const mc: SiteClassifierConfig = { seed, inputShape, aeEpochs: cfg.aeEpochs, clfEpochs: cfg.clfEpochs, encoderLr: 1, batchSize: cfg.batchSize, bootstrap: cfg.bootstrap, batchNorm: true };

  let t = Date.now();
  const pretrained = await pretrainCae(siteA, mc);
  const pretrainSeconds = (Date.now() - t) / 1000;
  const loaded = { train: await loadSplit(siteB, 'train'), valid: await loadSplit(siteB, 'valid'), test: await loadSplit(siteB, 'test') };
  const { labelled, rest } = cfg.labelled < 1 ? keepLabelled(loaded.train, cfg.labelled, subjectOf) : { labelled: loaded.train, rest: undefined };
  const splits = { ...loaded, train: labelled };
  const labelledB = volumeSource(siteB.classes, inputShape, splits, seed, cfg.flip);

  t = Date.now();
  const transfer = await trainUnfrozen(pretrained.encoder, labelledB, mc);
  const transferScore = classifierScore(transfer, (Date.now() - t) / 1000 + pretrainSeconds);
  t = Date.now();
  const scratch = await trainScratch(labelledB, mc);
  const scratchScore = classifierScore(scratch, (Date.now() - t) / 1000);
  const teacherKind = scratch.validBa > transfer.validBa ? 'scratch' : 'transfer';
  const teacher = teacherKind === 'scratch' ? scratch : transfer;
  log(`   seed ${seed}: 3D test BA transfer ${transferScore.balancedAccuracy.toFixed(3)}, scratch ${scratchScore.balancedAccuracy.toFixed(3)} (teacher: ${teacherKind})`);

  // The 2D student, from the same initial weights: plainly on the labelled scans, or distilled with the unlabelled ones added.
  const pool = await syntheticPool(dir, { seed, subjects: cfg.pool, size: cfg.size, flip: cfg.flip, severity: parseSeverity(cfg.severity) });
  let transferSet = rest ? withUnlabelled(labelled, rest, 'unlabelled/') : labelled;
  if (pool) transferSet = withUnlabelled(transferSet, await loadSplit(pool, 'train'), 'pool/');
  const trainOf = { plain: splits, distilled: { ...splits, train: transferSet } };
  const students: Partial<Record<'plain' | 'distilled', DemoScore>> = {};
  let studentLearner: Learner | undefined;
  for (const method of ['plain', 'distilled'] as const) {
    t = Date.now();
    const { student, view } = buildStudent(cfg.student, cfg.size, seed, siteB.classes.length);
    const source = new VolumeViewSource({ classes: siteB.classes, volumeShape: inputShape, splits: trainOf[method], view, seed, flip: cfg.flip });
    const learnerOpts = { seed, batchSize: cfg.batchSize, bootstrap: cfg.bootstrap };
    const learner =
      method === 'plain'
        ? new Learner(source, { model: student.classifier, kind: 'classifier' }, { ...learnerOpts, loss: 'classifier' })
        : distill({ model: teacher.model, input: 'volume', features: 'head_hidden' }, student, source, { loss: KD_LOSS, cache: true, learner: learnerOpts }).learner;
    await learner.fit(cfg.studentEpochs, { lr: cfg.studentLr, schedule: 'oneCycle' });
    students[method] = await score(learner, t);
    if (method === 'distilled') studentLearner = learner;
    else {
      learner.dispose();
      student.model.dispose();
    }
  }
  log(`   seed ${seed}: 2D test BA plain ${students.plain!.balancedAccuracy.toFixed(3)}, distilled ${students.distilled!.balancedAccuracy.toFixed(3)} (${((Date.now() - ts) / 1000).toFixed(0)} s)`);
  if (keep) await keep({ siteA, siteB, transfer, scratch, student: studentLearner!, view: studentView(cfg.student), testScan: path.join('cohort', loaded.test.ids[0]) });
  for (const c of [transfer, scratch]) {
    c.learner.dispose();
    c.model.dispose();
  }
  studentLearner!.dispose();
  studentLearner!.model.dispose();
  pretrained.dispose();
  return {
    seed,
    classes: [...siteB.classes],
    transfer: transferScore,
    scratch: scratchScore,
    teacher: teacherKind,
    plain: students.plain!,
    distilled: students.distilled!,
    labelledScans: labelled.ids.length,
    unlabelledScans: transferSet.ids.length - labelled.ids.length,
    seconds: (Date.now() - ts) / 1000,
  };
}

/** What the HTML report shows of the first seed. */
interface ReportParts {
  /** The view of the volume the student reads. */
  view: StudentView;
  /** A site-B test scan, relative to the seed's folder (for the app's instructions). */
  testScan: string;
  siteA: Awaited<ReturnType<typeof syntheticSites>>['siteA'];
  siteB: Awaited<ReturnType<typeof syntheticSites>>['siteB'];
  transfer: TrainedClassifier;
  scratch: TrainedClassifier;
  student: Learner;
}

function checkConfig(cfg: DemoConfig): void {
  parseSeverity(cfg.severity);
  if (!(STUDENTS as readonly string[]).includes(cfg.student)) throw new OptionError('--student', `expected one of ${STUDENTS.join(', ')}, got "${cfg.student}"`);
  if (!(cfg.labelled > 0 && cfg.labelled <= 1)) throw new OptionError('--labelled', `must be in (0, 1], got ${cfg.labelled}`);
  if (!Number.isInteger(cfg.pool) || cfg.pool < 0) throw new OptionError('--pool', `must be an integer ≥ 0, got ${cfg.pool}`);
  for (const key of ['subjects', 'size', 'aeEpochs', 'clfEpochs', 'studentEpochs', 'batchSize', 'bootstrap'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1) throw new OptionError(`--${key}`, `must be a positive integer, got ${cfg[key]}`);
  }
}

/** Runs the demo over its seeds; returns what it wrote to results.json (table.md and report.html beside it). */
export async function runDemo(cfg: DemoConfig, log: (line: string) => void = console.log): Promise<DemoResults> {
  checkConfig(cfg);
  const os = await import('node:os');
  const load0 = os.loadavg()[0];
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const seeds = cfg.seed >= 0 ? parseSeeds(cfg.seed) : parseSeeds(cfg.seeds);
  const backend = await initBackend({ log });
  const out = path.resolve(cfg.out);
  log(`\nDemo: ${seeds.length} seed(s), ${cfg.subjects} subjects per cohort, ${Math.round(cfg.labelled * 100)} % of site B's training subjects labelled`);
  const perSeed: DemoSeedRow[] = [];
  let experiment: Partial<Experiment> = {};
  let studentApp: { href: string; scan: string } | undefined;
  for (const [i, seed] of seeds.entries()) {
    const keep =
      i === 0
        ? async (p: ReportParts): Promise<void> => {
            experiment = {
              dataStats: [...p.siteA.stats().map((r) => ({ ...r, split: `A ${r.split}` })), ...p.siteB.stats().map((r) => ({ ...r, split: `B ${r.split} (all)` }))],
              histories: [
                { name: `transfer classifier, site B (seed ${seed})`, epochs: historyForReport(p.transfer.learner.history) },
                { name: `from-scratch classifier, site B (seed ${seed})`, epochs: historyForReport(p.scratch.learner.history) },
                { name: `distilled 2D student (seed ${seed})`, epochs: historyForReport(p.student.history) },
              ],
              roc: [...rocForReport(`transfer (seed ${seed})`, p.transfer.test, p.siteB.classes), ...rocForReport(`scratch (seed ${seed})`, p.scratch.test, p.siteB.classes)],
            };
            // the distilled student as a static offline app next to the report (issue 20): drop a site-B scan on it
            await exportModel(p.student, path.join(out, 'student-export'), { view: p.view, data: p.siteB });
            await writeApp(path.join(out, 'student-export'), path.join(out, 'student-app'));
            studentApp = { href: 'student-app/index.html', scan: path.join(`seed-${seed}`, p.testScan).split(path.sep).join('/') };
          }
        : undefined;
    perSeed.push(await runSeed(cfg, seed, out, log, keep));
  }
  const summary = summarizeDemo(perSeed);
  const interpretation = interpretDemo(summary);
  const seconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const results: DemoResults = { config: cfg, seeds, perSeed, summary, interpretation, backend: backendForReport(backend), load: [load0, os.loadavg()[0]], seconds, cpuSeconds };
  const table = demoTable(perSeed, summary, perSeed[0]?.classes);
  await writeResultsAndTable(out, results, `${table}\n${interpretation.map((l) => `- ${l}`).join('\n')}\n`, log);
  const written = await report(
    {
      title: 'transmri demo: few labelled subjects on a new site — transfer and 3D → 2D distillation',
      description:
        `Synthetic two-site cohort, ${cfg.subjects} subjects per seed, mild disease. A batch-norm CAE is pretrained on site A without labels; on site B only ${Math.round(cfg.labelled * 100)} % of the training subjects are labelled. ` +
        `Transfer (pretrained encoder, fine-tuned) is compared with the same network from scratch; the better of the two on validation teaches a 2D student (${cfg.student === 'dynamic' ? 'dynamic image of the 8 middle axial slices' : 'early fusion of the 3 middle axial slices'}), ` +
        `distilled with ${cfg.pool > 0 ? `the unlabelled site-B scans (and ${2 * cfg.pool} scans of ${cfg.pool} new site-B subjects)` : 'the unlabelled site-B scans'} as a transfer set, compared with the same student trained on the labelled scans alone. Site-B test balanced accuracy over the seeds.`,
      seed: seeds[0],
      config: { ...cfg },
      versions: versionsForReport(),
      backend: backendForReport(backend),
      ...experiment,
      links: studentApp ? [{ text: `Run the distilled 2D student (seed ${seeds[0]}) in your browser: drop a site-B scan on it`, href: studentApp.href }] : [],
      metrics: [
        { name: 'transfer (3D), mean over seeds', value: summary.transfer.mean },
        { name: 'scratch (3D), mean over seeds', value: summary.scratch.mean },
        { name: '2D student plain, mean over seeds', value: summary.plain.mean },
        { name: '2D student distilled, mean over seeds', value: summary.distilled.mean },
        { name: 'transfer − scratch', value: summary.transferMinusScratch.mean, ci: summary.transferMinusScratch.ci },
        { name: 'distilled − plain', value: summary.distilledMinusPlain.mean, ci: summary.distilledMinusPlain.ci },
      ],
      notes: [
        ...interpretation,
        studentApp
          ? `Browser app of the distilled student (seed ${seeds[0]}): open ${studentApp.href} beside this report (offline, also from file://) and drop a site-B scan on it, e.g. ${studentApp.scan} (a test scan); it shows the scan, the class probabilities, the inference time and a saliency overlay.`
          : 'Browser app of the distilled student: not written.',
        `${seeds.length} seeds in ${seconds.toFixed(0)} s (${cpuSeconds.toFixed(0)} CPU s), load average ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}.`, table],
      timings: perSeed.map((r) => ({ name: `seed ${r.seed}`, seconds: r.seconds })),
    },
    { out: path.join(out, 'report.html') },
  );
  log(`\nDone: ${seeds.length} seeds in ${seconds.toFixed(0)} s (${cpuSeconds.toFixed(0)} CPU s) on ${backend.name}${backend.native.active ? ' with native kernels' : ''} (load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}).`);
  log(`Report: ${written.path}`);
  log(`Results: ${path.join(out, 'results.json')}`);
  return results;
}

if (isEntryPoint(import.meta.url)) {
  const cfg = parseCli({ ...spec, defaults: { ...spec.defaults }, options: { ...spec.options } });
  runDemo(cfg).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
}
