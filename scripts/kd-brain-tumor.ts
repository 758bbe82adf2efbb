/**
 * Edge distillation on the brain-tumour MRI set: a from-scratch teacher CNN, then the
 * 12,628-parameter edge student trained with cross-entropy and with Hinton KD, over several seeds;
 * test accuracy on all Testing images and without those byte-identical to a Training image.
 * Setup, deviations from the paper and results: docs/experiments/kd-brain-tumor.md.
 *
 *   npx tsx scripts/kd-brain-tumor.ts --help
 *   npx tsx scripts/kd-brain-tumor.ts --perClass 10 --size 64 --teacherWidths 8,16 --teacherEpochs 1 --studentEpochs 1 --seeds 1   (smoke run)
 *
 * The teacher is saved to `<out>/teacher`; `--teacher DIR` reuses a saved one, so several student runs
 * (e.g. one process per seed) can share it; `--merge` pools their results.json files.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import {
  BestModelCheckpoint,
  DataBunch,
  Learner,
  OptionError,
  distill,
  edgeCnn,
  folderRows,
  initBackend,
  loadModel,
  meanSd,
  normalizationAffine,
  pairedTest,
  readManifest,
  report,
  resnet2d,
  sliceCnn,
  summarize,
  withInputAffine,
  type Callback,
  type EpochRecord,
  type Experiment,
  type FitState,
  type PairedTest,
  type StepSpec,
} from '../src/index.js';
import { parseCli } from './lib/cli.js';
import { isEntryPoint, markdownTable, writeResults } from './lib/experiment.js';

export const KD_BRAIN_TUMOR_SPEC = {
  name: 'scripts/kd-brain-tumor.ts',
  description: 'teacher → edge student with and without KD on a 2D class-folder set (brain-tumor-mri: Training/Testing folders)',
  defaults: {
    root: '',
    out: 'out/kd-brain-tumor',
    seed: 42,
    perClass: 0,
    size: 128,
    teacherEpochs: 16,
    teacherWidths: '32,64,128,192',
    teacherArch: 'resnet',
    noTeacherAugment: false,
    teacher: '',
    studentEpochs: 30,
    studentInit: 'he',
    normalize: 'zscore',
    seeds: '1,2,3',
    kd: '1/0.5/mean,4/0.7',
    batchSize: 16,
    cacheDir: '',
    noCe: false,
    merge: '',
    classWeights: false,
    groupBy: 'subject',
    select: 'balancedAccuracy',
    quiet: false,
  },
  options: {
    root: { type: 'string', help: 'dataset root (required): Training/ and Testing/ folders of class folders, or <class>/ folders (then 15 % is held out for test); published figures are printed only for brain-tumor-mri' },
    out: { type: 'string', help: 'output folder (cache, teacher, results.json, table.md, report.html)' },
    seed: { type: 'number', help: 'seed of the train/validation split and of the teacher' },
    perClass: { type: 'number', help: 'use N images per class and folder, drawn at random (seeded by --seed) (0 = all), for quick runs' },
    size: { type: 'number', help: 'image edge after resizing (a multiple of 4)' },
    teacherEpochs: { type: 'number', help: 'teacher epochs (the best on validation is kept)' },
    teacherWidths: { type: 'string', help: 'comma-separated filters of the teacher stages (resnet) or conv blocks (cnn)' },
    studentInit: { type: 'string', help: "edge student initialisation: 'he' (He-normal kernels, zero biases) or 'torch' (PyTorch's default U(±1/√fan_in), as in the paper's code); 'torch' rows are labelled ', torch init'" },
    normalize: {
      type: 'string',
      help:
        "input normalisation: 'zscore' (one mean and std fitted on the training split) or 'imagenet' (fixed per-channel ImageNet mean and std on 0..255 pixels, " +
        "torchvision's Normalize as in the paper's code and the anchor); a loaded teacher normalised otherwise gets an exact input adapter; 'imagenet' rows are labelled ', ImageNet norm'",
    },
    teacherArch: { type: 'string', help: "teacher trained here: 'resnet' (resnet2d, one basic block per width: 886,820 parameters at the defaults, the anchor's teacher) or 'cnn' (sliceCnn: conv + BN + ReLU + max-pool blocks)" },
    noTeacherAugment: { type: 'boolean', help: 'train the teacher without its random horizontal flips and ±8 px shifts (scaled with --size)' },
    teacher: { type: 'string', help: "load the teacher saved in this folder instead of training one ('none': no teacher, CE students only, with --kd '')" },
    studentEpochs: { type: 'number', help: 'student epochs (the best on validation is kept)' },
    seeds: { type: 'string', help: 'comma-separated student seeds (empty: train and save the teacher only)' },
    kd: { type: 'string', help: 'KD settings to run, comma-separated T/alpha[/mean] (mean: PyTorch reduction "mean", else batchmean); empty: CE only' },
    batchSize: { type: 'number', help: 'samples per batch' },
    cacheDir: { type: 'string', help: 'preprocessed-image cache folder, shareable between runs (empty: <out>/cache)' },
    noCe: { type: 'boolean', help: 'skip the plain cross-entropy students (run only the --kd settings)' },
    merge: { type: 'string', help: 'comma-separated results.json files of earlier runs: write their pooled table.md and results.json to --out and stop' },
    classWeights: { type: 'boolean', help: 'weigh the cross-entropy terms (CE students, and the (1−α)·CE of KD) by inverse class frequency N / (K·n_k) of the training split' },
    groupBy: { type: 'string', help: "'subject' (each image alone) or 'nearDuplicates' (near-duplicate images form one pseudo-subject, so validation is cut like a held-out test)" },
    select: { type: 'string', help: "validation metric that picks the kept epoch of the teacher and every student: 'balancedAccuracy' or 'accuracy' (the anchor's and the paper's code's)" },
    quiet: { type: 'boolean', help: 'print nothing' },
  },
  epilog: 'Data: <root>/Training/<class>/*.jpg and <root>/Testing/<class>/*.jpg (the Kaggle brain-tumor-mri layout), or <root>/<class>/*. Epochs are chosen by validation balanced accuracy (--select accuracy: by validation accuracy).',
} as const;

/** One KD setting of the sweep. */
export interface KdSetting {
  temperature: number;
  alpha: number;
  reduction: 'mean' | 'batchmean';
}

/** Parses `--kd`, e.g. "1/0.5/mean,4/0.7". */
export function parseKdSettings(text: string): KdSetting[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const [t, a, r, ...rest] = part.trim().split('/');
    const temperature = Number(t);
    const alpha = Number(a);
    if (rest.length || !(temperature > 0) || !(alpha >= 0 && alpha <= 1) || (r !== undefined && r !== 'mean' && r !== 'batchmean')) {
      throw new OptionError('--kd', `expected T/alpha[/mean|batchmean] with T > 0 and 0 ≤ alpha ≤ 1, got "${part}"`);
    }
    return { temperature, alpha, reduction: r === 'mean' ? 'mean' : 'batchmean' };
  });
}

const kdName = (k: KdSetting): string => `KD T=${k.temperature}, α=${k.alpha}${k.reduction === 'mean' ? ' (mean)' : ''}`;

/** Logs one line per epoch (long runs show progress in their log). */
class EpochLog implements Callback {
  readonly name = 'EpochLog';
  constructor(
    private readonly label: string,
    private readonly log: (text: string) => void,
  ) {}
  afterEpoch(state: FitState): void {
    const r = state.record;
    if (r) this.log(`  ${this.label} epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, valid accuracy ${(r.metrics.accuracy ?? NaN).toFixed(4)}, balanced ${(r.metrics.balancedAccuracy ?? NaN).toFixed(4)}, ${r.seconds.toFixed(1)} s`);
  }
}

/** Test accuracy (%) on all test images and without the duplicates, the balanced accuracy (%), per-class recall (%) and the confusion matrix on all. */
interface TestScores {
  all: number;
  dedup: number;
  balanced: number;
  n: number;
  nDedup: number;
  /** Recall (%) of each class, in class order (absent in results written before it was recorded). */
  recall?: number[];
  /** confusion[true][predicted] on all test images. */
  confusion?: number[][];
}

async function testScores(learner: Learner, duplicates: Set<string>): Promise<TestScores> {
  const p = await learner.predict('test');
  let ok = 0;
  let okDedup = 0;
  let nDedup = 0;
  p.ids.forEach((id, i) => {
    const hit = p.predictions![i] === p.labels[i] ? 1 : 0;
    ok += hit;
    if (!duplicates.has(id)) {
      okDedup += hit;
      nDedup++;
    }
  });
  const m = p.metrics!;
  return { all: (100 * ok) / p.ids.length, dedup: (100 * okDedup) / Math.max(1, nDedup), balanced: 100 * m.balancedAccuracy, n: p.ids.length, nDedup, recall: m.recall.map((r) => 100 * r), confusion: m.confusion };
}

const fmt = (xs: number[]): string => {
  const { mean, sd } = meanSd(xs);
  return xs.length > 1 ? `${mean.toFixed(2)} ± ${sd.toFixed(2)}` : mean.toFixed(2);
};

/** A student run's scores as written to results.json. */
export type StudentRun = { method: string; seed: number; bestEpoch: number; secondsPerEpoch: number } & TestScores;

/** The edge-distillation paper's test accuracies (%) on brain-tumor-mri: shown for that set only. */
const PUBLISHED: Record<string, string> = { teacher: '95.67', 'CE, wd 0.01': '90.98', 'KD T=1, α=0.5 (mean)': '92.15' };

/** The classes of brain-tumor-mri, the only set the published figures belong to. */
export const BRAIN_TUMOR_CLASSES = ['glioma', 'meningioma', 'notumor', 'pituitary'];

/** Whether the published figures apply: the classes are brain-tumor-mri's (results without classes predate other sets). */
export const publishedApplies = (classes: readonly string[] | undefined): boolean => classes === undefined || classes.join() === BRAIN_TUMOR_CLASSES.join();

/**
 * The markdown table: the teacher, then each method's mean ± sd over its seeds: accuracy on all
 * test images and without the duplicates, balanced accuracy, the recall of each class (with
 * `classes`), and the published figures when the set is brain-tumor-mri.
 */
export function resultsTable(teacher: TestScores | undefined, methods: readonly string[], runs: readonly StudentRun[], duplicates: number, classes?: readonly string[]): string {
  const published = publishedApplies(classes);
  const recalls = (rs: readonly TestScores[]): string[] =>
    (classes ?? []).map((_, k) => (rs.every((r) => r.recall !== undefined) && rs.length > 0 ? fmt(rs.map((r) => (r.recall as number[])[k])) : '–'));
  const rows = [
    ...(teacher ? [['teacher', '1', teacher.all.toFixed(2), teacher.dedup.toFixed(2), teacher.balanced.toFixed(2), ...recalls([teacher]), ...(published ? [PUBLISHED.teacher] : [])]] : []),
    ...methods.map((method) => {
      const rs = runs.filter((r) => r.method === method);
      return [method, String(rs.length), fmt(rs.map((r) => r.all)), fmt(rs.map((r) => r.dedup)), fmt(rs.map((r) => r.balanced)), ...recalls(rs), ...(published ? [PUBLISHED[method] ?? '–'] : [])];
    }),
  ];
  const nTest = teacher?.n ?? runs[0]?.n ?? 0;
  return markdownTable(['model', 'seeds', `all ${nTest} test`, `without ${duplicates} duplicates`, 'balanced', ...(classes ?? []).map((c) => `recall ${c}`), ...(published ? ['published'] : [])], rows);
}

/**
 * Merges the results.json of several runs (e.g. one process per seed, sharing a saved teacher) into one
 * table: runs are pooled by method, the teacher comes from the first run that scored one.
 */
export async function mergeResults(
  files: readonly string[],
): Promise<{ table: string; comparisons: KdComparison[]; comparisonTable: string; teacher: TestScores | undefined; runs: StudentRun[]; duplicates: number; classes?: string[] }> {
  let teacher: TestScores | undefined;
  let duplicates: number | undefined;
  let classes: string[] | undefined;
  const runs: StudentRun[] = [];
  for (const file of files) {
    const r = JSON.parse(await readFile(file, 'utf8')) as { teacher: TestScores | null; runs: StudentRun[]; duplicates: number; classes?: string[] };
    if (classes !== undefined && r.classes !== undefined && r.classes.join() !== classes.join()) throw new OptionError('--merge', `${file} has classes ${r.classes.join(', ')}, the others ${classes.join(', ')}: not the same data`);
    classes ??= r.classes;
    if (duplicates !== undefined && r.duplicates !== duplicates) throw new OptionError('--merge', `${file} counts ${r.duplicates} duplicates, the others ${duplicates}: not the same data`);
    duplicates = r.duplicates;
    teacher ??= r.teacher ?? undefined;
    for (const run of r.runs) {
      const twin = runs.find((x) => x.method === run.method && x.seed === run.seed);
      if (twin) throw new OptionError('--merge', `${file} repeats ${run.method}, seed ${run.seed} (test ${run.all.toFixed(2)} %; already ${twin.all.toFixed(2)} %): each method and seed must come from one run`);
      runs.push(run);
    }
  }
  const methods = [...new Set(runs.map((r) => r.method))];
  const comparisons = kdComparisons(runs);
  return {
    table: resultsTable(teacher, methods, runs, duplicates ?? 0, classes),
    comparisons,
    comparisonTable: comparisons.map(comparisonTable).join('\n\n'),
    teacher,
    runs,
    duplicates: duplicates ?? 0,
    ...(classes ? { classes } : {}),
  };
}

/** A KD method against the CE students of the same labels (init, normalisation, class weights), paired by seed. */
export interface KdComparison {
  kd: string;
  ce: string;
  /** Seeds both methods ran, ascending. */
  seeds: number[];
  /** Seeds where either student collapsed to one predicted class (listed; not excluded from the tests). */
  collapsed: number[];
  /** KD − CE in percentage points: test accuracy on all images, without the duplicates, balanced accuracy. */
  all: PairedTest;
  dedup: PairedTest;
  balanced: PairedTest;
}

const CE_METHOD = 'CE, wd 0.01';
const KD_METHOD = /^KD T=[^,]+, α=[^ ,]+(?: \(mean\))?/;

/** Whether a student predicted one class for every test image (a collapsed run: its ReLUs died early). */
export const collapsedRun = (r: TestScores): boolean => r.confusion !== undefined && r.confusion[0].filter((_, j) => r.confusion!.some((row) => row[j] > 0)).length <= 1;

/**
 * Each KD method against the CE method with the same label suffix, on the seeds both ran: KD − CE per
 * seed with mean ± sd, 95 % t interval, paired t-test p, percentile bootstrap interval (10,000
 * resamples, seed 0) and wins/ties/losses ({@link pairedTest}), for all, dedup and balanced accuracy.
 */
export function kdComparisons(runs: readonly StudentRun[]): KdComparison[] {
  const out: KdComparison[] = [];
  for (const kd of [...new Set(runs.map((r) => r.method))]) {
    const m = KD_METHOD.exec(kd);
    if (!m) continue;
    const ce = CE_METHOD + kd.slice(m[0].length);
    const bySeed = (method: string) => new Map(runs.filter((r) => r.method === method).map((r) => [r.seed, r]));
    const kdRuns = bySeed(kd);
    const ceRuns = bySeed(ce);
    const seeds = [...kdRuns.keys()].filter((s) => ceRuns.has(s)).sort((a, b) => a - b);
    if (seeds.length === 0) continue;
    const pick = (runsOf: Map<number, StudentRun>, key: 'all' | 'dedup' | 'balanced') => seeds.map((s) => runsOf.get(s)![key]);
    const test = (key: 'all' | 'dedup' | 'balanced') => pairedTest(pick(kdRuns, key), pick(ceRuns, key));
    const collapsed = seeds.filter((s) => collapsedRun(kdRuns.get(s)!) || collapsedRun(ceRuns.get(s)!));
    out.push({ kd, ce, seeds, collapsed, all: test('all'), dedup: test('dedup'), balanced: test('balanced') });
  }
  return out;
}

/** The markdown of one comparison: KD − CE per seed, then mean ± sd, t interval, p, bootstrap interval and sign counts. */
export function comparisonTable(c: KdComparison): string {
  const f = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(2);
  const ci = (x: [number, number]) => `[${f(x[0])}, ${f(x[1])}]`;
  const keys = ['all', 'dedup', 'balanced'] as const;
  const rows = [
    ...c.seeds.map((s, i) => [`seed ${s}${c.collapsed.includes(s) ? ' (collapsed)' : ''}`, ...keys.map((k) => f(c[k].values[i]))]),
    ['mean ± sd', ...keys.map((k) => `${f(c[k].mean)} ± ${c[k].sd.toFixed(2)}`)],
    ['95 % t interval', ...keys.map((k) => ci(c[k].ci))],
    ['paired t-test p', ...keys.map((k) => c[k].p.toFixed(3))],
    ['95 % bootstrap interval', ...keys.map((k) => ci(c[k].bootstrapCi))],
    ['wins / ties / losses', ...keys.map((k) => `${c[k].wins} / ${c[k].ties} / ${c[k].losses}`)],
  ];
  return `${c.kd} − ${c.ce}, test percentage points, ${c.seeds.length} paired seed(s):\n\n${markdownTable(['', 'all', 'without duplicates', 'balanced'], rows)}`;
}

const toHistory = (records: readonly EpochRecord[]) => records.map((r) => ({ epoch: r.epoch, trainLoss: r.trainLoss, validLoss: r.validLoss, ...r.metrics }));

/** Runs the reproduction; returns what it writes to results.json. */
export async function main(argv = process.argv.slice(2)): Promise<Record<string, unknown>> {
  const cfg = parseCli({ ...KD_BRAIN_TUMOR_SPEC, defaults: { ...KD_BRAIN_TUMOR_SPEC.defaults }, options: { ...KD_BRAIN_TUMOR_SPEC.options } }, argv);
  const log = (text: string) => {
    if (!cfg.quiet) console.log(text);
  };
  const seeds = (cfg.seeds.trim() === '' ? [] : cfg.seeds.split(',')).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new OptionError('--seeds', `expected comma-separated integers, got "${cfg.seeds}"`);
    return n;
  });
  const kdSettings = parseKdSettings(cfg.kd);
  const init: string = cfg.studentInit;
  if (init !== 'he' && init !== 'torch') throw new OptionError('--studentInit', `expected 'he' or 'torch', got "${init}"`);
  const mergeList: string = cfg.merge;
  if (mergeList) {
    const merged = await mergeResults(mergeList.split(',').map((f) => path.resolve(f)));
    const text = merged.comparisonTable ? `${merged.table}\n\n${merged.comparisonTable}` : merged.table;
    log(text);
    await mkdir(path.resolve(cfg.out), { recursive: true });
    await writeFile(path.join(path.resolve(cfg.out), 'table.md'), `${text}\n`);
    const results = { config: cfg, ...merged };
    await writeResults(path.resolve(cfg.out), results);
    return results;
  }
  if (!(Number.isInteger(cfg.size) && cfg.size > 0 && cfg.size % 4 === 0)) throw new OptionError('--size', `expected a positive multiple of 4, got ${cfg.size}`);
  if (!cfg.root) throw new OptionError('--root', 'is required: a 2D class-folder set (Training/ and Testing/ folders of class folders, or <class>/ folders)');
  const groupBy: string = cfg.groupBy;
  const select = selectMetric(cfg.select);
  if (groupBy !== 'subject' && groupBy !== 'nearDuplicates') throw new OptionError('--groupBy', `expected 'subject' or 'nearDuplicates', got "${groupBy}"`);
  await initBackend();
  const t0 = Date.now();
  const out = path.resolve(cfg.out);
  await mkdir(out, { recursive: true });
  const { rows, hasTestFolder: hasTest } = await folderRows(cfg.root, { extensions: ['.jpg', '.jpeg', '.png'], limit: cfg.perClass, limitSeed: cfg.seed });
  const input = { kind: 'image2d' as const, mode: 'rgb' as const, size: [cfg.size, cfg.size] as [number, number] };
  const common = { split: { valid: 0.1, test: hasTest ? 0 : 0.15, seed: cfg.seed, groupBy: groupBy as 'subject' | 'nearDuplicates' }, seed: cfg.seed, cacheDir: cfg.cacheDir ? path.resolve(cfg.cacheDir) : path.join(out, 'cache'), onWarning: (m: string) => log(`note: ${m}`) };
  const normStep = normalizationStep(cfg.normalize);
  const bunch = await DataBunch.fromRows(rows, { ...common, pipeline: { input, steps: [normStep] } });
  bunch.printStats(log);
  const leaks = await bunch.leakage(bunch.nearScan ? { nearDuplicates: { threshold: bunch.nearScan.threshold } } : {});
  const duplicates = new Set(leaks.testDuplicates);
  log(`test images byte-identical to a training/validation image: ${duplicates.size}`);
  const classWeights = cfg.classWeights ? bunch.classWeights() : undefined;
  if (classWeights) log(`class weights (N / (K·n_k)): ${bunch.classes.map((c, k) => `${c} ${classWeights[k].toFixed(3)}`).join(', ')}`);
  const published = publishedApplies(bunch.classes);
  const inputShape = [...bunch.sampleShape] as [number, number, number];
  const numClasses = bunch.classes.length;
  const timings: Array<{ name: string; seconds: number }> = [];
  const histories: Array<{ name: string; epochs: ReturnType<typeof toHistory> }> = [];

  // Teacher: trained here (augmented), or loaded.
  let teacherModel: tf.LayersModel | undefined;
  let teacherInfo: Record<string, unknown> = {};
  const tStart = Date.now();
  const teacherDir: string = cfg.teacher;
  if (teacherDir === 'none') {
    if (kdSettings.length) throw new OptionError('--teacher', "'none' runs the CE students only: pass --kd ''");
    log('\nNo teacher (--teacher none): CE students only');
  } else if (cfg.teacher) {
    teacherModel = await loadModel(path.resolve(cfg.teacher));
    teacherInfo = { loadedFrom: path.resolve(cfg.teacher) };
    log(`\nTeacher loaded from ${cfg.teacher}`);
    // A teacher trained on other normalised inputs gets them back through an exact per-channel affine map.
    const { manifest } = await readManifest(path.resolve(cfg.teacher));
    const teacherStep = (manifest.pipeline as { steps?: StepSpec[] } | undefined)?.steps?.[0];
    if (!teacherStep) throw new OptionError('--teacher', `${cfg.teacher}/manifest.json records no pipeline: cannot tell how its inputs were normalised`);
    const affine = normalizationAffine(bunch.pipeline.steps[0], teacherStep, inputShape[2]);
    if (affine) {
      const adapted = withInputAffine(teacherModel, affine);
      teacherModel = adapted;
      teacherInfo = { ...teacherInfo, inputAdapter: affine };
      log(`teacher inputs adapted to its own normalisation: x·[${affine.scale.map((v) => v.toFixed(4)).join(', ')}] + [${affine.offset.map((v) => v.toFixed(4)).join(', ')}]`);
    }
  } else {
    const widths = cfg.teacherWidths.split(',').map(Number);
    const shift = Math.round((8 * cfg.size) / 128);
    // whole-pixel shifts: an interpolated sub-pixel shift blurs training images that the test images are not
    const augment: StepSpec[] = !cfg.noTeacherAugment ? [{ op: 'flip', axes: [1] }, { op: 'shift', maxVox: [shift, shift, 0] }] : [];
    const teacherBunch = augment.length ? await DataBunch.fromRows(rows, { ...common, pipeline: { input, steps: [normStep, ...augment] } }) : bunch;
    const arch: string = cfg.teacherArch;
    if (arch !== 'resnet' && arch !== 'cnn') throw new OptionError('--teacherArch', `expected 'resnet' or 'cnn', got "${arch}"`);
    log(`\nTeacher: ${arch === 'resnet' ? 'ResNet' : 'BN CNN'}, widths ${widths.join('/')}, ${cfg.teacherEpochs} epochs${augment.length ? `, flips and ±${shift} px shifts` : ''}`);
    const teacher = arch === 'resnet' ? resnet2d({ inputShape, widths, seed: cfg.seed, name: 'teacher' }, numClasses) : sliceCnn({ inputShape, widths, seed: cfg.seed, name: 'teacher' }, numClasses);
    log(summarize(teacher.model).text);
    const keep = new BestModelCheckpoint({ monitor: select, mode: 'max', restore: true });
    const learner = new Learner(teacherBunch, { model: teacher.model, kind: 'classifier' }, { optimizer: 'adamw', weightDecay: 1e-4, batchSize: cfg.batchSize, seed: cfg.seed, callbacks: [keep, new EpochLog('teacher', log)] });
    histories.push({ name: 'teacher', epochs: toHistory(await learner.fit(cfg.teacherEpochs, { lr: 1e-3, schedule: 'cosine' })) });
    await learner.save(path.join(out, 'teacher'));
    learner.dispose();
    teacherModel = teacher.model;
    teacherInfo = { arch, widths, epochs: cfg.teacherEpochs, bestEpoch: keep.bestEpoch, selectedBy: select, augment: !cfg.noTeacherAugment, savedTo: path.join(out, 'teacher') };
  }
  timings.push({ name: 'teacher', seconds: (Date.now() - tStart) / 1000 });
  let teacherScores: TestScores | undefined;
  if (teacherModel) {
    const teacherEval = new Learner(bunch, { model: teacherModel, kind: 'classifier' }, { batchSize: cfg.batchSize });
    teacherScores = await testScores(teacherEval, duplicates);
    teacherEval.dispose();
    log(`teacher: test ${teacherScores.all.toFixed(2)}% (without duplicates ${teacherScores.dedup.toFixed(2)}%, balanced ${teacherScores.balanced.toFixed(2)}%; recall ${recallText(bunch.classes, teacherScores)})`);
  }

  const initLabel = `${init === 'torch' ? ', torch init' : ''}${(cfg.normalize as string) === 'imagenet' ? ', ImageNet norm' : ''}${classWeights ? ', class weights' : ''}`;
  const methods: Array<{ method: string; kd?: KdSetting }> = [...(cfg.noCe ? [] : [{ method: `CE, wd 0.01${initLabel}` }]), ...kdSettings.map((kd) => ({ method: `${kdName(kd)}${initLabel}`, kd }))];
  const runs: StudentRun[] = [];
  // results.json is rewritten (atomically) after the teacher and after every student, so a run stopped part-way
  // keeps what it finished (`complete: false`); --merge pools such files like finished ones.
  const resultsSoFar = (complete: boolean) => {
    const table = resultsTable(teacherScores, methods.map((m) => m.method), runs, duplicates.size, bunch.classes);
    return {
      config: cfg,
      classes: bunch.classes,
      samples: { train: bunch.size('train'), valid: bunch.size('valid'), test: teacherScores?.n ?? runs[0]?.n ?? 0 },
      duplicates: duplicates.size,
      contamination: leaks.contamination ?? null,
      publishedFigures: published,
      teacher: teacherScores ? { ...teacherInfo, ...teacherScores } : null,
      runs: [...runs],
      table,
      complete,
      seconds: (Date.now() - t0) / 1000,
    };
  };
  await writeResults(out, resultsSoFar(seeds.length === 0));
  for (const seed of seeds) {
    for (const m of methods) {
      const sStart = Date.now();
      const student = edgeCnn({ inputShape, seed, init }, numClasses);
      const keep = new BestModelCheckpoint({ monitor: select, mode: 'max', restore: true });
      const learner = m.kd
        ? distill({ model: teacherModel! }, student, bunch, { loss: { hinton: m.kd, ...(classWeights ? { classWeights } : {}) }, learner: { optimizer: 'adam', batchSize: cfg.batchSize, seed, callbacks: [keep, new EpochLog(`${m.method}, seed ${seed}`, log)] } }).learner
        : new Learner(bunch, { model: student.model, kind: 'classifier' }, { optimizer: 'adamw', weightDecay: 0.01, batchSize: cfg.batchSize, seed, ...(classWeights ? { loss: { kind: 'classifier' as const, classWeights } } : {}), callbacks: [keep, new EpochLog(`${m.method}, seed ${seed}`, log)] });
      const records = await learner.fit(cfg.studentEpochs, { lr: 1e-3 });
      const scores = await testScores(learner, duplicates);
      const secondsPerEpoch = records.reduce((a, h) => a + h.seconds, 0) / Math.max(1, records.length);
      runs.push({ method: m.method, seed, ...scores, bestEpoch: keep.bestEpoch, secondsPerEpoch });
      histories.push({ name: `${m.method}, seed ${seed}`, epochs: toHistory(records) });
      timings.push({ name: `${m.method}, seed ${seed}`, seconds: (Date.now() - sStart) / 1000 });
      log(`${m.method}, seed ${seed}: best epoch ${keep.bestEpoch} (valid ${select === 'accuracy' ? 'accuracy' : 'balanced accuracy'}), test ${scores.all.toFixed(2)}% (without duplicates ${scores.dedup.toFixed(2)}%, balanced ${scores.balanced.toFixed(2)}%; recall ${recallText(bunch.classes, scores)}), ${secondsPerEpoch.toFixed(1)} s/epoch (train + valid)`);
      await writeResults(out, resultsSoFar(false));
      learner.dispose();
      student.model.dispose();
    }
  }

  const results = resultsSoFar(true);
  const table = results.table;
  log(`\n${table}`);
  await writeFile(path.join(out, 'table.md'), `${table}\n`);
  const file = await writeResults(out, results);
  const experiment: Experiment = {
    title: `Edge distillation on ${path.basename(path.resolve(cfg.root))}`,
    description: `Teacher CNN → edge CNN student (12,628 parameters at 128×128×3), plain CE vs Hinton KD, ${seeds.length} seed(s), epochs chosen by validation ${select === 'accuracy' ? 'accuracy' : 'balanced accuracy'}; test accuracy with and without the test images that duplicate training images, balanced accuracy and per-class recall.${published ? '' : ' The edge-distillation paper\'s figures belong to brain-tumor-mri and are not shown.'}`,
    seed: cfg.seed,
    config: cfg,
    dataStats: bunch.stats(),
    leakage: { 'byte-identical pairs': leaks.bytes, 'test duplicates': leaks.testDuplicates, 'near-duplicate pairs (r ≥ threshold)': leaks.near, 'test near-duplicates': leaks.testNearDuplicates },
    histories,
    metrics: [
      ...(teacherScores ? [{ name: 'teacher accuracy (%)', value: teacherScores.all, split: 'test' as const }] : []),
      ...(teacherScores ? [{ name: 'teacher balanced accuracy (%)', value: teacherScores.balanced, split: 'test' as const }, ...bunch.classes.map((c, k) => ({ name: `teacher recall ${c} (%)`, value: teacherScores!.recall![k], split: 'test' as const }))] : []),
      ...methods.flatMap((m) => {
        const rs = runs.filter((r) => r.method === m.method);
        return [
          { name: `${m.method} accuracy (%)`, value: meanSd(rs.map((r) => r.all)).mean, split: 'test' as const },
          { name: `${m.method} balanced accuracy (%)`, value: meanSd(rs.map((r) => r.balanced)).mean, split: 'test' as const },
          ...bunch.classes.map((c, k) => ({ name: `${m.method} recall ${c} (%)`, value: meanSd(rs.map((r) => r.recall![k])).mean, split: 'test' as const })),
        ];
      }),
    ],
    ...(teacherScores?.confusion ? { confusion: { matrix: teacherScores.confusion, classes: bunch.classes } } : runs.length > 0 ? { confusion: { matrix: runs[runs.length - 1].confusion!, classes: bunch.classes } } : {}),
    timings,
    notes: [table],
  };
  const written = await report(experiment, { out: path.join(out, 'report.html') });
  log(`wrote ${file}, ${path.join(out, 'table.md')} and ${written.path}`);
  teacherModel?.dispose();
  return results;
}

/** Per-class recall as "class 93.3 %, …". */
function recallText(classes: readonly string[], s: TestScores): string {
  return classes.map((c, k) => `${c} ${(s.recall?.[k] ?? NaN).toFixed(1)} %`).join(', ');
}

/** The validation metric of `--select` that picks the kept epoch. */
export function selectMetric(name: string): 'accuracy' | 'balancedAccuracy' {
  if (name === 'accuracy' || name === 'balancedAccuracy') return name;
  throw new OptionError('--select', `expected 'balancedAccuracy' or 'accuracy', got "${name}"`);
}

/** ImageNet's per-channel mean and std on 0..255 pixels (torchvision's Normalize constants × 255). */
export const IMAGENET_NORMALIZE: StepSpec = { op: 'normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

/** The normalisation step of `--normalize`. */
export function normalizationStep(name: string): StepSpec {
  if (name === 'zscore') return { op: 'zScore' };
  if (name === 'imagenet') return IMAGENET_NORMALIZE;
  throw new OptionError('--normalize', `expected 'zscore' or 'imagenet', got "${name}"`);
}

if (isEntryPoint(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
