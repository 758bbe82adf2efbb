/**
 * 3D → 2D knowledge distillation on the synthetic two-site cohort, over several seeds: for each
 * seed a new cohort, a 3D teacher trained on site B (see --teacher), then each 2D student (slice,
 * early, joint, dynamic, lstm, edge) trained plainly and distilled (Hinton KD + similarity-preserving)
 * from the same initialisation; site-B test balanced accuracy as mean ± sd over the seeds and the
 * paired distilled − plain difference, in results.json and table.md.
 * Setup, pilots and results: docs/experiments/kd-synthetic.md.
 *
 *   npx tsx scripts/kd-synthetic.ts --help
 *   TRANSMRI_THREADS=1 npm run kd-synthetic
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import {
  ArrayBatchSource,
  DataError,
  Learner,
  OptionError,
  VolumeViewSource,
  backendForReport,
  cnnLstm,
  distill,
  dynamicImage,
  earlyFusion,
  edgeCnn,
  flipX,
  formatMeanSd,
  initBackend,
  jointFusion,
  keepLabelled,
  loadSplit,
  pairedDifference,
  seedSummary,
  sliceCnn,
  winTieLoss,
  withUnlabelled,
  type BatchSource,
  type ClassificationReport,
  type LearnerOptions,
  type SeedSummary,
  type StudentModel,
  type StudentView,
  type VolumeSplit,
} from '../src/index.js';
import { parseCli, parseList, parseSeeds } from './lib/cli.js';
import { classScores, classScoresTable, confusionText, recallText, type ClassScores } from '../src/index.js';
import { isEntryPoint, markdownTable, writeResultsAndTable } from './lib/experiment.js';
import { classifierEpochs, pretrainCae, trainScratch, trainTransfer, trainUnfrozen, type SiteClassifierConfig, type TrainedClassifier } from '../src/index.js';
import { syntheticPool, syntheticSites } from './lib/synthetic-sites.js';

const spec = {
  name: 'scripts/kd-synthetic.ts',
  description: '3D → 2D distillation on the synthetic cohort: six 2D students, plain vs Hinton + similarity-preserving KD, mean ± sd over seeds',
  defaults: {
    seed: -1,
    seeds: '0,1,2,3,4',
    out: 'out/kd-synthetic',
    subjects: 192,
    severity: '0.2,0.6',
    size: 24,
    flip: 0.5,
    teacher: 'finetune',
    aeEpochs: 20,
    clfEpochs: 40,
    encoderLr: 1,
    batchSize: 8,
    students: 'slice,early,joint,dynamic,lstm,edge',
    slices: 3,
    seqSlices: 8,
    widths: '16,32,64',
    studentEpochs: 60,
    studentLr: 3e-3,
    temperature: 4,
    alpha: 0.5,
    similarity: 5,
    similarityNormalize: 'cosine-max',
    teacherFeatures: 'head_hidden',
    bootstrap: 200,
    transfer: 0,
    labelled: 1,
    teacherBatchNorm: false,
    oracle: false,
    merge: '',
  },
  options: {
    seed: { type: 'number', help: 'run this one seed only (overrides --seeds); -1 = use --seeds' },
    seeds: { type: 'string', help: 'comma-separated seeds (cohort, splits, initialisation, training)' },
    out: { type: 'string', help: 'output folder (per-seed cohorts and caches, results.json, table.md)' },
    subjects: { type: 'number', help: 'subjects per cohort (two sessions each, half on each site; students and teacher use site B)' },
    severity: { type: 'string', help: "range 'lo,hi' of the disease severity of the cohort, uniform, 0 <= lo <= hi <= 1 (the cohort's default: 0.5,1; milder disease is harder to see on a few slices)" },
    size: { type: 'number', help: 'volume edge in voxels (a multiple of 4 for the edge CNN)' },
    flip: { type: 'number', help: 'probability of the left-right flip of training volumes (teacher and students)' },
    teacher: {
      type: 'string',
      help:
        "3D teacher: 'transfer' (CAE pretrained on site A, frozen encoder, head on site B, as the demo), 'finetune' (the same, then the whole network " +
        "fine-tuned, the encoder at --encoderLr × the head's rate, like fastai's fine_tune), 'scratch' (same classifier from scratch on site B), or a comma-separated list of these: " +
        "all are trained and the highest validation balanced accuracy teaches (a tie goes to the first listed); 'best' = 'scratch,transfer'",
    },
    aeEpochs: { type: 'number', help: 'epochs of CAE pretraining on site A (transfer and finetune teachers)' },
    clfEpochs: { type: 'number', help: 'base epochs of the teacher on site B (trains clfEpochs + ceil(clfEpochs/3), as the demo)' },
    encoderLr: { type: 'number', help: "'finetune' teacher: learning rate of the unfrozen encoder as a fraction of the head's (fastai-style discriminative rates; 1 = the whole network at one rate)" },
    batchSize: { type: 'number', help: 'samples per batch (teacher and students; also the size of the similarity graphs)' },
    students: { type: 'string', help: 'comma-separated subset of slice, early, joint, dynamic, lstm, edge' },
    slices: { type: 'number', help: 'k middle axial slices of the early- and joint-fusion students' },
    seqSlices: { type: 'number', help: 'K middle axial slices of the dynamic-image and CNN-LSTM students' },
    widths: { type: 'string', help: 'filters of the conv blocks of the 2D CNN students (not the edge CNN)' },
    studentEpochs: { type: 'number', help: 'epochs of every student (plain and distilled alike)' },
    studentLr: { type: 'number', help: 'peak learning rate of the students (one-cycle)' },
    temperature: { type: 'number', help: 'Hinton temperature T' },
    alpha: { type: 'number', help: 'Hinton α: weight of the soft term, (1−α) of the CE' },
    similarity: { type: 'number', help: 'weight of the similarity-preserving term (0 = Hinton only)' },
    similarityNormalize: { type: 'string', help: "similarity graphs: 'rows' (Tung & Mori) or 'cosine-max' (Yoon et al.)" },
    teacherFeatures: { type: 'string', help: "teacher layer whose output is compared with the student's features: 'head_hidden' (penultimate, 32-d) or 'head_pool' (pooled encoder code)" },
    bootstrap: { type: 'number', help: 'bootstrap resamples of the per-seed test intervals' },
    transfer: {
      type: 'number',
      help:
        'site-B subjects (two scans each, from a second cohort of the same population) added without labels to the training set of the distilled students only: ' +
        "a transfer set, whose only targets are the teacher's outputs; the plain students cannot use unlabelled scans; 0 = none",
    },
    labelled: {
      type: 'number',
      help:
        'fraction (0, 1] of the site-B training subjects, per class, whose labels are used (teacher and students); the scans of the others ' +
        "join the distilled students' transfer set unlabelled (a label-scarce setting); 1 = all",
    },
    teacherBatchNorm: { type: 'boolean', help: 'batch norm in the CAE of the 3D teacher (CaeOptions.batchNorm), pretrained and fine-tuned or from scratch alike' },
    oracle: {
      type: 'boolean',
      help:
        'also train each student plainly on the training set plus the --transfer scans with their true labels: the ceiling of what any teacher could add through them ' +
        '(no gain there = the students are limited by what their slices show, not by the number of labels)',
    },
    merge: { type: 'string', help: 'comma-separated results.json files of earlier runs (other seeds, same settings): write their pooled table.md and results.json to --out and stop' },
  },
} as const;

/** The script's configuration (see --help). */
export type KdSyntheticConfig = { -readonly [K in keyof typeof spec.defaults]: (typeof spec.defaults)[K] extends number ? number : (typeof spec.defaults)[K] extends boolean ? boolean : string };

const STUDENTS = ['slice', 'early', 'joint', 'dynamic', 'lstm', 'edge'] as const;
type StudentName = (typeof STUDENTS)[number];
const METHODS = ['plain', 'distilled'] as const;
/** How a student is trained: plainly, distilled, or plainly with the transfer scans' true labels (--oracle). */
type RunKind = Method | 'oracle';
const TEACHERS = ['transfer', 'finetune', 'scratch'] as const;
/** A kind of 3D teacher (see --teacher). */
export type TeacherKind = (typeof TEACHERS)[number];
type Method = (typeof METHODS)[number];

/** Test metrics of one trained model. */
export interface TestScore extends ClassScores {
  balancedAccuracy: number;
  auc: number;
  accuracy: number;
  /** Balanced accuracy on site B's validation split. */
  validBalancedAccuracy: number;
  seconds: number;
}

/** One seed's numbers. */
export interface KdSeedRow {
  seed: number;
  /** Which teacher taught, and the candidates' scores. */
  teacher: { kind: TeacherKind; candidates: Partial<Record<TeacherKind, TestScore>> };
  students: Partial<Record<StudentName, Record<Method, TestScore> & { oracle?: TestScore; parameters: number }>>;
  seconds: number;
}

/** What results.json holds. */
export interface KdSyntheticResults {
  config: KdSyntheticConfig;
  /** Class names, in the order of every recall and confusion row and column. */
  classes: string[];
  seeds: number[];
  perSeed: KdSeedRow[];
  /** Test balanced accuracy over the seeds: the teacher, and each student and method. */
  summary: {
    teacher: SeedSummary;
    students: Partial<
      Record<StudentName, Record<Method, SeedSummary> & { difference: SeedSummary & { wins: number; ties: number; losses: number }; oracle?: SeedSummary; oracleDifference?: SeedSummary }>
    >;
    /** Distilled − plain averaged over the students, per seed. */
    meanDifference: SeedSummary;
  };
  backend: Record<string, unknown>;
  seconds: number;
}

interface Built {
  student: StudentModel;
  view: StudentView;
}

/** The subject of a sample id of the synthetic cohort (`sub-007` of `…sub-007_ses-1…`). */
export function subjectOf(id: string): string {
  const m = /sub-\d+/.exec(id);
  if (!m) throw new DataError(`sample id ${JSON.stringify(id)} names no subject (sub-<digits>)`, { file: id });
  return m[0];
}

/** Site B's volumes in memory as a 3D source (the teacher's, when --labelled < 1), flipped along axis 0 with probability `flip` in training. */
function volumeSource(classes: readonly string[], inputShape: [number, number, number, number], splits: Partial<Record<'train' | 'valid' | 'test', VolumeSplit>>, seed: number, flip: number): BatchSource {
  const arrays = Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, { x: v.data, y: v.y, ids: v.ids }]));
  const augment = flip > 0 ? (v: Float32Array, rng: { next(): number }): Float32Array => (rng.next() < flip ? flipX(v, inputShape) : v) : undefined;
  return new ArrayBatchSource({ classes: [...classes], sampleShape: [...inputShape], splits: arrays, seed, augment });
}

/** Builds a student (fresh weights from `seed`) and the view of the volume it reads. */
export function buildStudent(name: StudentName, cfg: KdSyntheticConfig, seed: number, numClasses: number): Built {
  const s = cfg.size;
  const widths = cfg.widths.split(',').map(Number);
  const body = { widths, seed };
  const axis = 2;
  switch (name) {
    case 'slice':
      return { student: sliceCnn({ inputShape: [s, s, 1], ...body }, numClasses), view: { kind: 'slice', axis, count: 1 } };
    case 'early':
      return { student: earlyFusion({ sliceShape: [s, s], slices: cfg.slices, ...body }, numClasses), view: { kind: 'channels', axis, count: cfg.slices } };
    case 'joint':
      return { student: jointFusion({ sliceShape: [s, s, 1], slices: cfg.slices, fusion: 'concat', ...body }, numClasses), view: { kind: 'sequence', axis, count: cfg.slices } };
    case 'dynamic':
      return { student: dynamicImage({ sliceShape: [s, s, 1], slices: cfg.seqSlices, coefficients: 'bilen', ...body }, numClasses), view: { kind: 'sequence', axis, count: cfg.seqSlices } };
    case 'lstm':
      return { student: cnnLstm({ sliceShape: [s, s, 1], slices: cfg.seqSlices, lstmUnits: 16, ...body }, numClasses), view: { kind: 'sequence', axis, count: cfg.seqSlices } };
    case 'edge':
      return { student: edgeCnn({ inputShape: [s, s, 1], filters: 3, seed }, numClasses), view: { kind: 'slice', axis, count: 1 } };
  }
}

function score(t: { test: { metrics?: ClassificationReport }; validBa: number }, seconds: number): TestScore {
  const m = t.test.metrics!;
  return { balancedAccuracy: m.balancedAccuracy, auc: m.auc, accuracy: m.accuracy, validBalancedAccuracy: t.validBa, seconds, ...classScores(m) };
}

async function evaluate(learner: Learner, t0: number): Promise<TestScore> {
  const test = await learner.predict('test');
  const validBa = (await learner.validate('valid')).metrics.balancedAccuracy;
  return score({ test, validBa }, (Date.now() - t0) / 1000);
}

/** The teacher candidates of `--teacher`, in order ('best' = scratch, transfer). */
export function teacherCandidates(teacher: string): TeacherKind[] {
  const list = parseList('--teacher', teacher === 'best' ? 'scratch,transfer' : teacher, TEACHERS);
  if (list.length === 0 || new Set(list).size !== list.length) throw new OptionError('--teacher', `expected one or more distinct of ${TEACHERS.join(', ')} (or best), got "${teacher}"`);
  return list;
}

/** Parses `--severity lo,hi` (0 <= lo <= hi <= 1). */
export function parseSeverity(text: string): [number, number] {
  const parts = text.split(',').map((t) => (t.trim() === '' ? NaN : Number(t)));
  if (parts.length !== 2 || !(parts[0] >= 0 && parts[0] <= parts[1] && parts[1] <= 1)) throw new OptionError('--severity', `expected 'lo,hi' with 0 <= lo <= hi <= 1, got "${text}"`);
  return [parts[0], parts[1]];
}

function checkConfig(cfg: KdSyntheticConfig): void {
  teacherCandidates(cfg.teacher);
  parseSeverity(cfg.severity);
  if (!['rows', 'cosine-max'].includes(cfg.similarityNormalize)) throw new OptionError('--similarityNormalize', `expected rows or cosine-max, got "${cfg.similarityNormalize}"`);
  if (!['head_hidden', 'head_pool'].includes(cfg.teacherFeatures)) throw new OptionError('--teacherFeatures', `expected head_hidden or head_pool, got "${cfg.teacherFeatures}"`);
  const widths = cfg.widths.split(',').map(Number);
  if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) throw new OptionError('--widths', `expected comma-separated positive integers, got "${cfg.widths}"`);
  for (const key of ['studentEpochs', 'slices', 'seqSlices', 'batchSize'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1) throw new OptionError(`--${key}`, `must be a positive integer, got ${cfg[key]}`);
  }
  if (!Number.isInteger(cfg.transfer) || cfg.transfer < 0) throw new OptionError('--transfer', `must be an integer >= 0, got ${cfg.transfer}`);
  if (!(cfg.labelled > 0 && cfg.labelled <= 1)) throw new OptionError('--labelled', `must be in (0, 1], got ${cfg.labelled}`);
  if (cfg.oracle && cfg.transfer === 0 && cfg.labelled === 1) throw new OptionError('--oracle', 'needs --transfer > 0 or --labelled < 1 (the scans whose true labels it adds)');
  if (!(cfg.studentLr > 0)) throw new OptionError('--studentLr', `must be > 0, got ${cfg.studentLr}`);
  if (!(cfg.encoderLr >= 0)) throw new OptionError('--encoderLr', `must be >= 0, got ${cfg.encoderLr}`);
}

/** Trains the teacher(s) of one seed; returns the one that teaches and every candidate's score. */
async function trainTeacher(cfg: KdSyntheticConfig, siteA: BatchSource, siteB: BatchSource, mc: SiteClassifierConfig, log: (l: string) => void) {
  const kinds = teacherCandidates(cfg.teacher);
  const candidates: Partial<Record<TeacherKind, TrainedClassifier>> = {};
  const scores: KdSeedRow['teacher']['candidates'] = {};
  // The transfer and fine-tuned teachers start from copies of one CAE pretrained on site A (its time is counted in each).
  const pretrained = kinds.some((k) => k !== 'scratch') ? await timed(() => pretrainCae(siteA, mc)) : undefined;
  for (const k of kinds) {
    const t = Date.now();
    candidates[k] = k === 'scratch' ? await trainScratch(siteB, mc) : k === 'transfer' ? await trainTransfer(pretrained!.value.encoder, siteB, mc) : await trainUnfrozen(pretrained!.value.encoder, siteB, mc);
    scores[k] = score(candidates[k], (Date.now() - t) / 1000 + (k === 'scratch' ? 0 : pretrained!.seconds));
  }
  pretrained?.value.dispose();
  // The highest validation balanced accuracy teaches; a tie goes to the first listed.
  const kind = kinds.reduce((best, k) => (scores[k]!.validBalancedAccuracy > scores[best]!.validBalancedAccuracy ? k : best));
  for (const k of kinds) {
    const c = candidates[k]!;
    log(`   seed ${mc.seed} teacher ${k.padEnd(8)} test BA ${scores[k]!.balancedAccuracy.toFixed(3)} (valid ${c.validBa.toFixed(3)}, ${scores[k]!.seconds.toFixed(0)} s)${k === kind ? ' ← teaches' : ''}; recall ${recallText(c.learner.source.classes, scores[k]!)}, confusion ${confusionText(scores[k]!.confusion)}`);
    if (k !== kind) {
      c.learner.dispose();
      c.model.dispose();
    }
  }
  return { teacher: candidates[kind]!, kind, scores };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = Date.now();
  const value = await f();
  return { value, seconds: (Date.now() - t) / 1000 };
}

/** Trains one student plainly and distilled (same initial weights); returns both scores. */
async function trainStudent(name: StudentName, cfg: KdSyntheticConfig, seed: number, source: (view: StudentView, method: RunKind) => BatchSource, teacher: TrainedClassifier) {
  const learnerOpts: Omit<LearnerOptions, 'loss'> = { seed, batchSize: cfg.batchSize, bootstrap: cfg.bootstrap };
  const fit = { lr: cfg.studentLr, schedule: 'oneCycle' as const };
  const scores = {} as Record<Method, TestScore> & { oracle?: TestScore };
  let parameters = 0;
  for (const method of cfg.oracle ? [...METHODS, 'oracle' as const] : METHODS) {
    const t = Date.now();
    const { student, view } = buildStudent(name, cfg, seed, teacher.learner.source.classes.length);
    parameters = student.classifier.countParams();
    const src = source(view, method);
    const learner =
      method !== 'distilled'
        ? new Learner(src, { model: student.classifier, kind: 'classifier' }, { ...learnerOpts, loss: 'classifier' })
        : distill({ model: teacher.model, input: 'volume', features: cfg.teacherFeatures }, student, src, {
            loss: {
              hinton: { temperature: cfg.temperature, alpha: cfg.alpha },
              similarity: cfg.similarity > 0 ? { weight: cfg.similarity, normalize: cfg.similarityNormalize as 'rows' | 'cosine-max' } : false,
            },
            // Teacher outputs are cached by sample id; flipped training samples have their own ids (volume-views.ts).
            cache: true,
            learner: learnerOpts,
          }).learner;
    await learner.fit(cfg.studentEpochs, fit);
    scores[method] = await evaluate(learner, t);
    learner.dispose();
    student.model.dispose();
  }
  return { ...scores, parameters };
}

/** Runs every seed; returns what it wrote to results.json (table.md beside it). */
export async function runKdSynthetic(cfg: KdSyntheticConfig, log: (line: string) => void = console.log): Promise<KdSyntheticResults> {
  const t0 = Date.now();
  if (cfg.merge) {
    const merged = await mergeKdSynthetic(cfg.merge.split(',').map((f) => path.resolve(f)));
    await writeResultsAndTable(path.resolve(cfg.out), merged, tableMarkdown(merged, STUDENTS.filter((n) => merged.summary.students[n])), log);
    return merged;
  }
  checkConfig(cfg);
  const seeds = cfg.seed >= 0 ? parseSeeds(cfg.seed) : parseSeeds(cfg.seeds);
  const students = parseList('--students', cfg.students, STUDENTS);
  const backend = await initBackend({ log });
  const out = path.resolve(cfg.out);
  const perSeed: KdSeedRow[] = [];
  let classes: string[] = [];
  for (const seed of seeds) {
    const ts = Date.now();
    const { siteA, siteB, inputShape } = await syntheticSites(path.join(out, `seed-${seed}`), { seed, subjects: cfg.subjects, size: cfg.size, flip: cfg.flip, severity: parseSeverity(cfg.severity) });
    classes = [...siteB.classes];
    const mc: SiteClassifierConfig = { seed, inputShape, aeEpochs: cfg.aeEpochs, clfEpochs: cfg.clfEpochs, encoderLr: cfg.encoderLr, batchSize: cfg.batchSize, bootstrap: cfg.bootstrap, batchNorm: cfg.teacherBatchNorm };
    const loaded: Partial<Record<'train' | 'valid' | 'test', VolumeSplit>> = {};
    for (const split of ['train', 'valid', 'test'] as const) loaded[split] = await loadSplit(siteB, split);
    // --labelled < 1: the other subjects' scans lose their labels (teacher and students) and join the transfer set.
    const { labelled, rest } = cfg.labelled < 1 ? keepLabelled(loaded.train!, cfg.labelled, subjectOf) : { labelled: loaded.train!, rest: undefined };
    const splits = { ...loaded, train: labelled };
    const teacherSource = rest ? volumeSource(siteB.classes, inputShape, splits, seed, cfg.flip) : siteB;
    const { teacher, kind, scores } = await trainTeacher(cfg, siteA, teacherSource, mc, log);
    // The transfer set: unlabelled site-B scans of new subjects (and of the unlabelled ones), for the distilled students only.
    const pool = await syntheticPool(path.join(out, `seed-${seed}`), { seed, subjects: cfg.transfer, size: cfg.size, flip: cfg.flip, severity: parseSeverity(cfg.severity) });
    const poolSplit = pool ? await loadSplit(pool, 'train') : undefined;
    const extend = (keepLabels: boolean): VolumeSplit => {
      let train = rest ? withUnlabelled(labelled, rest, 'unlabelled/', keepLabels) : labelled;
      if (poolSplit) train = withUnlabelled(train, poolSplit, 'pool/', keepLabels);
      return train;
    };
    const trainOf = { plain: splits, distilled: { ...splits, train: extend(false) }, oracle: { ...splits, train: extend(true) } };
    const source = (view: StudentView, method: RunKind): BatchSource =>
      new VolumeViewSource({ classes: siteB.classes, volumeShape: inputShape, splits: trainOf[method], view, seed, flip: cfg.flip });
    const row: KdSeedRow = { seed, teacher: { kind, candidates: scores }, students: {}, seconds: 0 };
    for (const name of students) {
      const r = await trainStudent(name, cfg, seed, source, teacher);
      row.students[name] = r;
      const oracle = r.oracle ? `, oracle ${r.oracle.balancedAccuracy.toFixed(3)} (${r.oracle.seconds.toFixed(0)} s)` : '';
      log(`   seed ${seed} ${name.padEnd(8)} test BA plain ${r.plain.balancedAccuracy.toFixed(3)} (${r.plain.seconds.toFixed(0)} s), distilled ${r.distilled.balancedAccuracy.toFixed(3)} (${r.distilled.seconds.toFixed(0)} s)${oracle}`);
      const perClass = (['plain', 'distilled', ...(r.oracle ? ['oracle' as const] : [])] as const).map((k) => `${k} ${recallText(siteB.classes, r[k]!)} ${confusionText(r[k]!.confusion)}`);
      log(`   seed ${seed} ${name.padEnd(8)} recall and confusion: ${perClass.join('; ')}`);
    }
    teacher.learner.dispose();
    teacher.model.dispose();
    row.seconds = (Date.now() - ts) / 1000;
    perSeed.push(row);
  }
  const results: KdSyntheticResults = { config: cfg, classes, seeds, perSeed, summary: summarizeSeeds(perSeed, students), backend: backendForReport(backend), seconds: (Date.now() - t0) / 1000 };
  await writeResultsAndTable(out, results, tableMarkdown(results, students), log);
  log(`Results: ${path.join(out, 'results.json')} (${results.seconds.toFixed(0)} s)`);
  return results;
}

/** Mean ± sd over the seeds of every model's test balanced accuracy, and the paired differences. */
export function summarizeSeeds(perSeed: readonly KdSeedRow[], students: readonly StudentName[]): KdSyntheticResults['summary'] {
  const ba = (f: (r: KdSeedRow) => TestScore): number[] => perSeed.map((r) => f(r).balancedAccuracy);
  const summary: KdSyntheticResults['summary'] = { teacher: seedSummary(ba((r) => r.teacher.candidates[r.teacher.kind]!)), students: {}, meanDifference: seedSummary([]) };
  for (const name of students) {
    const plain = ba((r) => r.students[name]!.plain);
    const distilled = ba((r) => r.students[name]!.distilled);
    summary.students[name] = { plain: seedSummary(plain), distilled: seedSummary(distilled), difference: { ...seedSummary(pairedDifference(distilled, plain)), ...winTieLoss(distilled, plain) } };
    if (perSeed.every((r) => r.students[name]!.oracle)) {
      const oracle = ba((r) => r.students[name]!.oracle!);
      Object.assign(summary.students[name]!, { oracle: seedSummary(oracle), oracleDifference: seedSummary(pairedDifference(oracle, plain)) });
    }
  }
  summary.meanDifference = seedSummary(perSeed.map((r) => students.reduce((a, n) => a + r.students[n]!.distilled.balancedAccuracy - r.students[n]!.plain.balancedAccuracy, 0) / students.length));
  return summary;
}

/**
 * Pools the seeds of several results.json files of one setting (e.g. seeds run in parallel
 * processes): refuses a seed given twice and files whose settings differ (other than seeds, out, merge).
 */
export async function mergeKdSynthetic(files: readonly string[]): Promise<KdSyntheticResults> {
  const runs = await Promise.all(files.map(async (f) => ({ file: f, r: JSON.parse(await readFile(f, 'utf8')) as KdSyntheticResults })));
  if (runs.length === 0) throw new OptionError('--merge', 'no results.json files given');
  const setting = (c: KdSyntheticConfig): string => JSON.stringify({ ...c, seed: undefined, seeds: undefined, out: undefined, merge: undefined });
  const perSeed: KdSeedRow[] = [];
  for (const { file, r } of runs) {
    if (setting(r.config) !== setting(runs[0].r.config)) throw new OptionError('--merge', `${file} was run with other settings than ${runs[0].file}`);
    for (const row of r.perSeed) {
      if (perSeed.some((p) => p.seed === row.seed)) throw new OptionError('--merge', `${file} repeats seed ${row.seed}`);
      perSeed.push(row);
    }
  }
  perSeed.sort((a, b) => a.seed - b.seed);
  const students = STUDENTS.filter((n) => perSeed.every((r) => r.students[n]));
  const first = runs[0].r;
  return { config: first.config, classes: first.classes ?? [], seeds: perSeed.map((r) => r.seed), perSeed, summary: summarizeSeeds(perSeed, students), backend: first.backend, seconds: runs.reduce((a, { r }) => a + r.seconds, 0) };
}

/** The Markdown tables: mean ± sd per student and method, paired difference; then the per-seed values. */
export function tableMarkdown(results: KdSyntheticResults, students: readonly StudentName[]): string {
  const c = results.config;
  const s = results.summary;
  const n = results.seeds.length;
  const kinds = [...new Set(results.perSeed.map((r) => r.teacher.kind))].join('/');
  const oracle = students.every((name) => s.students[name]!.oracle);
  const oracleCells = (r: KdSyntheticResults['summary']['students'][StudentName]): string[] => (oracle ? [formatMeanSd(r!.oracle!), formatMeanSd(r!.oracleDifference!)] : []);
  const main = [
    [`3D teacher (${kinds})`, '', formatMeanSd(s.teacher), '', '', ...(oracle ? ['', ''] : []), ''],
    ...students.map((name) => {
      const r = s.students[name]!;
      return [name, formatMeanSd(r.plain), formatMeanSd(r.distilled), formatMeanSd(r.difference), `${r.difference.wins} / ${r.difference.ties} / ${r.difference.losses}`, ...oracleCells(r), String(results.perSeed[0].students[name]!.parameters)];
    }),
    ['mean over students', '', '', formatMeanSd(s.meanDifference), '', ...(oracle ? ['', ''] : []), ''],
  ];
  const perSeed = results.perSeed.map((r) => [
    String(r.seed),
    `${r.teacher.kind} ${r.teacher.candidates[r.teacher.kind]!.balancedAccuracy.toFixed(3)}`,
    ...students.map((name) => {
      const x = r.students[name]!;
      return [x.plain, x.distilled, ...(oracle ? [x.oracle!] : [])].map((t) => t.balancedAccuracy.toFixed(3)).join(' / ');
    }),
    `${r.seconds.toFixed(0)} s`,
  ]);
  return [
    `Site-B test balanced accuracy (per scan), ${n} seeds (${results.seeds.join(', ')}), synthetic cohort of ${c.subjects} subjects × 2 sessions at ${c.size}³, disease severity U[${parseSeverity(c.severity).join(', ')}]; ` +
      `teacher ${c.teacher} (${classifierEpochs(c.clfEpochs)} epochs${c.teacher === 'scratch' ? '' : `, CAE ${c.aeEpochs} epochs`}${teacherCandidates(c.teacher).includes('finetune') ? `, fine-tuned encoder at ${c.encoderLr}× lr` : ''}${teacherCandidates(c.teacher).length > 1 ? ', picked by validation' : ''}); students ${c.studentEpochs} epochs, lr ${c.studentLr} one-cycle, batch ${c.batchSize}, flip p=${c.flip}; ` +
      `distilled = Hinton (T=${c.temperature}, α=${c.alpha}) + ${c.similarity} × similarity-preserving (${c.similarityNormalize}, teacher ${c.teacherFeatures})` +
      `${c.transfer > 0 ? `, with a transfer set of ${c.transfer} unlabelled site-B subjects (${2 * c.transfer} scans) in the distilled students' training set` : ''}` +
      `${c.labelled < 1 ? `; labels of ${c.labelled} of the site-B training subjects only (the others' scans join the transfer set)` : ''}${c.teacherBatchNorm ? '; teacher CAE with batch norm' : ''}; ${results.seconds.toFixed(0)} s.`,
    '',
    markdownTable(['model', 'plain CE, mean ± sd', 'distilled, mean ± sd', 'distilled − plain', 'better / tie / worse', ...(oracle ? ['oracle (transfer scans labelled)', 'oracle − plain'] : []), 'parameters'], main),
    '',
    `Per seed (plain / distilled${oracle ? ' / oracle' : ''}):`,
    '',
    markdownTable(['seed', 'teacher', ...students, 'time'], perSeed),
    '',
    ...perClassSection(results, students, oracle),
  ].join('\n');
}

/** Per-class test recall over the seeds and the confusion matrices summed over them, per model (none for results without them). */
function perClassSection(results: KdSyntheticResults, students: readonly StudentName[], oracle: boolean): string[] {
  const models = [
    { name: `3D teacher (${[...new Set(results.perSeed.map((r) => r.teacher.kind))].join('/')})`, runs: results.perSeed.map((r) => r.teacher.candidates[r.teacher.kind]) },
    ...students.flatMap((name) => (['plain', 'distilled', ...(oracle ? ['oracle' as const] : [])] as const).map((k) => ({ name: `${name} ${k}`, runs: results.perSeed.map((r) => r.students[name]![k]) }))),
  ];
  const table = results.classes.length > 0 ? classScoresTable(results.classes, models) : undefined;
  return table ? [`Per-class test recall (mean ± sd over ${results.seeds.length} seeds) and confusion matrices (summed over the seeds):`, '', table, ''] : [];
}

if (isEntryPoint(import.meta.url)) {
  const cfg = parseCli({ ...spec, defaults: { ...spec.defaults }, options: { ...spec.options } });
  runKdSynthetic(cfg).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
}
