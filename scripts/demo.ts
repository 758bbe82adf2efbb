/**
 * The end-to-end demo on the embedded synthetic cohort (no downloaded data):
 * generate the cohort → DataBunch per site → pretrain the CAE on site A →
 * classifier from the encoder, fine-tuned on a few site-B subjects → compare
 * with the same classifier trained from scratch → distil into a 2D student →
 * one HTML report.
 *
 *   npm run demo -- --help
 */
import path from 'node:path';
import {
  DataBunch,
  Learner,
  ProgressBar,
  buildCae,
  buildClassifier,
  classifierFromEncoder,
  distill,
  sliceCnn,
  initBackend,
  report,
  writeCohort,
} from '../src/index.js';
import type { Experiment } from '../src/index.js';
import { parseCli } from './lib/cli.js';
import { backendForReport, historyForReport, metricsForReport, reconstructionsForReport, rocForReport, versionsForReport } from '../src/index.js';
import { isEntryPoint, writeResults } from './lib/experiment.js';

const spec = {
  name: 'scripts/demo.ts',
  description: 'transfer learning end to end on a synthetic two-site cohort',
  defaults: { seed: 0, out: 'out/demo', subjects: 64, size: 32, aeEpochs: 20, clfEpochs: 40, kdEpochs: 12, batchSize: 8 },
  options: {
    seed: { type: 'number', help: 'seed of the cohort, splits, initialisation and training' },
    out: { type: 'string', help: 'output folder (cohort, cache, report, results.json)' },
    subjects: { type: 'number', help: 'subjects in the cohort (two sessions each, half on each site)' },
    size: { type: 'number', help: 'volume edge in voxels' },
    aeEpochs: { type: 'number', help: 'epochs of autoencoder pretraining on site A' },
    clfEpochs: { type: 'number', help: 'epochs of classifier training on site B' },
    kdEpochs: { type: 'number', help: 'epochs of the 2D student, with and without distillation' },
    batchSize: { type: 'number', help: 'samples per batch' },
  },
} as const;

/** The demo's configuration (see `npm run demo -- --help`). */
export type DemoConfig = { -readonly [K in keyof typeof spec.defaults]: (typeof spec.defaults)[K] extends number ? number : string };

/** Runs the whole demo; returns what it wrote to results.json. */
export async function runDemo(cfg: DemoConfig, log: (line: string) => void = console.log): Promise<Record<string, unknown>> {
  const console = { log };
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number): void => {
    timings[name] = (Date.now() - since) / 1000;
  };
  const backend = await initBackend({ log });
  const out = path.resolve(cfg.out);

  console.log(`\n1. Generating a synthetic cohort of ${cfg.subjects} subjects × 2 sessions, two sites, in ${out}/cohort`);
  let t = Date.now();
  const { csvPath } = await writeCohort(path.join(out, 'cohort'), { seed: cfg.seed, subjects: cfg.subjects, shape: [cfg.size, cfg.size, cfg.size] });
  lap('cohort', t);

  const pipeline = { input: { kind: 'nifti' as const }, steps: [{ op: 'zScore' as const, nonzero: true }, { op: 'flip' as const, axes: [0], p: 0.5 }] };
  const common = { pipeline, seed: cfg.seed, cacheDir: path.join(out, 'cache') };
  console.log('\n2. DataBunches: site A (pretraining, labels unused) and site B (few labelled subjects)');
  const siteA = await DataBunch.fromCsv(csvPath, { ...common, filter: (r) => r.site === 'A', split: { valid: 0.2, test: 0.2, seed: cfg.seed } });
  siteA.printStats();
  const siteB = await DataBunch.fromCsv(csvPath, { ...common, filter: (r) => r.site === 'B', split: { valid: 0.25, test: 0.4, seed: cfg.seed } });
  siteB.printStats();

  const inputShape: [number, number, number, number] = [cfg.size, cfg.size, cfg.size, 1];
  console.log('\n3. Pretraining the convolutional autoencoder on site A');
  t = Date.now();
  const ae = buildCae({ inputShape, outputActivation: 'linear', seed: cfg.seed });
  const aeLearner = new Learner(siteA, ae, { loss: { kind: 'autoencoder', l1Weight: 1e-4 }, seed: cfg.seed, batchSize: cfg.batchSize, callbacks: [new ProgressBar()] });
  await aeLearner.fit(cfg.aeEpochs, { lr: 3e-3, schedule: 'oneCycle' });
  const aeHist = aeLearner.history;
  console.log(`   validation MSE: epoch 1 ${aeHist[0].validLoss?.toFixed(4)} → epoch ${aeHist.length} ${aeHist[aeHist.length - 1].validLoss?.toFixed(4)}`);
  lap('pretrain', t);

  console.log('\n4. Classifier from the pretrained encoder (frozen), its head trained on site B');
  t = Date.now();
  const transfer = classifierFromEncoder(ae.encoder, { numClasses: siteB.classes.length, seed: cfg.seed });
  const transferLearner = new Learner(siteB, transfer, { seed: cfg.seed, batchSize: cfg.batchSize, callbacks: [new ProgressBar()] });
  // Head only: on few labelled subjects, fine-tuning the transferred encoder as well
  // overfits (5-seed check in test/learner/transfer-experiment.test.ts).
  transferLearner.freeze();
  await transferLearner.fit(cfg.clfEpochs + Math.ceil(cfg.clfEpochs / 3), { lr: 3e-3, schedule: 'oneCycle' });
  const transferPred = await transferLearner.predict('test');
  lap('transfer', t);

  console.log('\n5. The same classifier trained from scratch on site B');
  t = Date.now();
  const scratch = buildClassifier({ backbone: { architecture: 'cae', inputShape, seed: cfg.seed }, numClasses: siteB.classes.length, seed: cfg.seed });
  const scratchLearner = new Learner(siteB, scratch, { seed: cfg.seed, batchSize: cfg.batchSize, callbacks: [new ProgressBar()] });
  await scratchLearner.fit(cfg.clfEpochs + Math.ceil(cfg.clfEpochs / 3), { lr: 1e-3, schedule: 'oneCycle' });
  const scratchPred = await scratchLearner.predict('test');
  lap('scratch', t);

  const ba = (p: typeof transferPred): string => (p.metrics ? `${(100 * p.metrics.balancedAccuracy).toFixed(1)}%` : 'n/a');
  console.log(`\n   site-B test balanced accuracy: transfer ${ba(transferPred)}, from scratch ${ba(scratchPred)}`);

  console.log('\n6. Distilling the transfer classifier (3D teacher) into a 2D student on 3 middle axial slices');
  t = Date.now();
  const slices = await DataBunch.fromCsv(csvPath, {
    ...common,
    filter: (r) => r.site === 'B',
    split: { valid: 0.25, test: 0.4, seed: cfg.seed },
    view: { slices: { axis: 2, count: 3 } },
    views: { volume: true },
  });
  const studentShape: [number, number, number] = [cfg.size, cfg.size, 1];
  const kd = distill({ model: transfer.model, input: 'volume' }, sliceCnn({ inputShape: studentShape, seed: cfg.seed }, slices.classes.length), slices, {
    loss: { hinton: { temperature: 4, alpha: 0.7 } },
    learner: { seed: cfg.seed, batchSize: cfg.batchSize, callbacks: [new ProgressBar()] },
  });
  await kd.learner.fit(cfg.kdEpochs, { lr: 1e-3, schedule: 'oneCycle' });
  const studentPred = await kd.learner.predict('test');
  const plain = new Learner(slices, { model: sliceCnn({ inputShape: studentShape, seed: cfg.seed }, slices.classes.length).model, kind: 'classifier' }, {
    loss: 'classifier',
    seed: cfg.seed,
    batchSize: cfg.batchSize,
    callbacks: [new ProgressBar()],
  });
  await plain.fit(cfg.kdEpochs, { lr: 1e-3, schedule: 'oneCycle' });
  const plainPred = await plain.predict('test');
  const teacherOnSlices = teacherPredictionsPerSlice(transferPred, studentPred.ids);
  console.log(`   2D student test balanced accuracy: distilled ${ba(studentPred)}, plain ${ba(plainPred)}`);
  lap('distill', t);

  console.log('\n7. Writing the report');
  t = Date.now();
  const encoding = await transferLearner.encode('test', { pooling: 'avg' });
  const siteBTrain = await transferLearner.encode('train', { pooling: 'avg' });
  const labelName = (y: number): string => (y >= 0 ? siteB.classes[y] : 'unlabelled');
  const siteBVectors = [...siteBTrain.vectors, ...encoding.vectors];
  const siteBLabels = [...Array.from(siteBTrain.labels, labelName), ...Array.from(encoding.labels, labelName)];
  const experiment: Experiment = {
    title: 'transmri demo: CAE pretraining on site A, transfer to site B',
    description:
      'Synthetic two-site cohort (brain phantoms with class-dependent atrophy). The convolutional autoencoder is pretrained without labels on site A; ' +
      'its encoder becomes a classifier fine-tuned on the few labelled site-B subjects, and is compared with the same architecture trained from scratch.',
    seed: cfg.seed,
    config: { ...cfg },
    versions: versionsForReport(),
    backend: backendForReport(backend),
    dataStats: [...siteA.stats().map((r) => ({ ...r, split: `A ${r.split}` })), ...siteB.stats().map((r) => ({ ...r, split: `B ${r.split}` }))],
    leakage: { ...(await siteB.leakage({ voxels: true })) } as unknown as Record<string, unknown[]>,
    histories: [
      { name: 'CAE pretraining (site A)', epochs: historyForReport(aeLearner.history) },
      { name: 'transfer classifier (site B)', epochs: historyForReport(transferLearner.history) },
      { name: 'from-scratch classifier (site B)', epochs: historyForReport(scratchLearner.history) },
    ],
    metrics: [
      ...metricsForReport('transfer', transferPred),
      ...metricsForReport('scratch', scratchPred),
      ...metricsForReport('2D student, distilled', studentPred),
      ...metricsForReport('2D student, plain', plainPred),
    ],
    confusion: transferPred.metrics ? { matrix: transferPred.metrics.confusion, classes: siteB.classes, title: 'transfer classifier, site-B test' } : undefined,
    roc: [...rocForReport('transfer', transferPred, siteB.classes), ...rocForReport('scratch', scratchPred, siteB.classes)],
    embeddings: [
      {
        name: 'transfer encoder, site B (train + test)',
        ids: [...siteBTrain.ids, ...encoding.ids],
        groups: siteBLabels,
        vectors: siteBVectors,
        methods: ['pca', 'tsne'],
      },
    ],
    bottleneck: { activations: siteBVectors, labels: siteBLabels },
    reconstructions: await reconstructionsForReport(siteA, ae.model, 'test', 3),
    distillation: studentPred.predictions ? { teacherPred: teacherOnSlices, studentPred: studentPred.predictions, classes: slices.classes } : undefined,
    timings: Object.entries(timings).map(([name, seconds]) => ({ name, seconds })),
  };
  const written = await report(experiment, { out: path.join(out, 'report.html') });
  lap('report', t);
  timings.total = (Date.now() - t0) / 1000;
  const results = {
    config: cfg,
    backend: backendForReport(backend),
    pretrain: { validMse: aeHist.map((r) => r.validLoss) },
    transfer: transferPred.metrics,
    scratch: scratchPred.metrics,
    studentDistilled: studentPred.metrics,
    studentPlain: plainPred.metrics,
    timings,
  };
  await writeResults(out, results);
  console.log(`\nDone in ${timings.total.toFixed(0)} s on ${backend.name}${backend.native.active ? ' with native kernels' : ''}.`);
  console.log(`Report: ${written.path}`);
  console.log(`Results: ${path.join(out, 'results.json')}`);
  return results;
}

/** The teacher's prediction for each slice id (`<sample>#axis:index`) of the student. */
function teacherPredictionsPerSlice(teacher: { ids: string[]; predictions?: Int32Array }, sliceIds: string[]): Int32Array {
  const bySample = new Map(teacher.ids.map((id, i) => [id, teacher.predictions?.[i] ?? -1]));
  return Int32Array.from(sliceIds, (id) => bySample.get(id.replace(/#.*$/, '')) ?? -1);
}

if (isEntryPoint(import.meta.url)) {
  const cfg = parseCli({ ...spec, defaults: { ...spec.defaults }, options: { ...spec.options } });
  runDemo(cfg).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
}
