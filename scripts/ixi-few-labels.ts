/**
 * Real 3D transfer with few labels on IXI (issue 18, item 5): pretrain the CAE once on all IXI T1
 * scans without labels, then predict sex (and age) from n = 4, 8, 16 labelled subjects, testing on
 * the other subjects, over several seeds:
 *
 *   transfer  logistic regression (sex) / ridge (age) on the pretrained CAE's pooled codes;
 *   pca       the same probes on the first principal components of the same unlabelled scans;
 *   scratch   the CAE-encoder classifier trained from scratch on the n subjects (sex only: the
 *             library has no regression learner).
 *
 * Each seed draws its n training subjects per sex (n/2 F, n/2 M); the test set is every other
 * subject (one scan each, so the split is by subject). Mean ± sd over seeds, paired differences
 * with 95 % t intervals. The CAE is pretrained once per seed (its initialisation follows the seed);
 * the from-scratch classifier trains a fixed number of epochs and reports its validation metrics on
 * its own training subjects (nothing is selected on them). The settings (8 mm voxels, 20 epochs,
 * 16 components, probes' default penalties) were set before the first run, without pilots.
 *
 *   npx tsx scripts/ixi-few-labels.ts --help
 */
import path from 'node:path';
import {
  ArrayBatchSource,
  DataBunch,
  Learner,
  OptionError,
  Rng,
  balancedAccuracy,
  buildCae,
  classifierLearner,
  fitStandardizer,
  initBackend,
  linearPredict,
  logisticFit,
  logisticPredict,
  meanAbsoluteError,
  pca,
  ridgeFit,
  seedSummary,
  standardize,
  formatMeanSd,
  pairedSummary,
  pcaProject,
  type Features,
  type PairedSummary,
  type PipelineSpec,
  type SeedSummary,
} from '../src/index.js';
import { parseCli, parseSeeds } from './lib/cli.js';
import { isEntryPoint, markdownTable, parseShape, writeResultsAndTable } from './lib/experiment.js';
import { splitVoxels } from '../src/index.js';
import { ixiRows } from './lib/ixi.js';
import { classScores, classScoresTable, confusionText, predictionScores, recallText, type ClassScores } from '../src/index.js';

const spec = {
  name: 'scripts/ixi-few-labels.ts',
  description: 'IXI: CAE pretrained on all scans without labels, then sex and age from 4, 8, 16 labelled subjects: transfer vs PCA vs scratch, over seeds',
  defaults: {
    seed: -1,
    seeds: '0,1,2,3,4',
    labelled: '4,8,16',
    out: 'out/ixi-few-labels',
    data: '../shared/data/ixi-t1-2mm',
    crop: '96x120x120',
    zoom: 0.25,
    aeEpochs: 20,
    scratchEpochs: 20,
    batchSize: 4,
    pcaComponents: 16,
  },
  options: {
    seed: { type: 'number', help: 'run this one seed only (overrides --seeds); -1 = use --seeds' },
    seeds: { type: 'string', help: 'comma-separated seeds: each draws its labelled subjects and seeds pretraining, scratch models and probes' },
    labelled: { type: 'string', help: 'comma-separated numbers of labelled training subjects (even: half F, half M)' },
    out: { type: 'string', help: 'output folder (results.json, table.md, cache)' },
    data: { type: 'string', help: 'IXI folder: participants.csv (MRID,Age,Sex) and t1/<MRID>_T1.nii.gz' },
    crop: { type: 'string', help: 'centred crop/pad of the RAS+ volume before zooming' },
    zoom: { type: 'number', help: 'zoom factor after cropping (0.25: 8 mm voxels, 24x30x30)' },
    aeEpochs: { type: 'number', help: 'epochs of CAE pretraining on all scans' },
    scratchEpochs: { type: 'number', help: 'epochs of each from-scratch classifier' },
    batchSize: { type: 'number', help: 'volumes per batch' },
    pcaComponents: { type: 'number', help: 'principal components of the PCA baseline (fitted on all scans, like the CAE)' },
  },
} as const;

/** The script's configuration (see --help). */
export type IxiFewLabelsConfig = { -readonly [K in keyof typeof spec.defaults]: (typeof spec.defaults)[K] extends number ? number : string };

/** Scores of one (seed, n). */
export interface IxiFewRow {
  seed: number;
  n: number;
  sexBa: { transfer: number; pca: number; scratch: number };
  /** Test recall per sex (F, M) and confusion[true][predicted] (issue 17 item 5). */
  sexClass: { transfer: ClassScores; pca: ClassScores; scratch: ClassScores };
  ageMae: { transfer: number; pca: number; mean: number };
}

/** What results.json holds. */
export interface IxiFewLabelsResults {
  config: IxiFewLabelsConfig;
  subjects: number;
  /** The order of `sexClass` recall and confusion rows/columns. */
  classes: string[];
  inputShape: number[];
  rows: IxiFewRow[];
  summary: Record<number, { sexBa: Record<'transfer' | 'pca' | 'scratch', SeedSummary>; ageMae: Record<'transfer' | 'pca' | 'mean', SeedSummary>; transferMinusPca: PairedSummary; transferMinusScratch: PairedSummary; ageTransferMinusPca: PairedSummary }>;
  seconds: number;
}

/** n/2 subjects of each sex drawn with `rng`; returns their indices (sorted) and the others'. */
export function drawLabelled(sex: readonly number[], n: number, rng: Rng): { train: number[]; test: number[] } {
  if (!Number.isInteger(n) || n < 2 || n % 2 !== 0) throw new OptionError('--labelled', `each number must be even and ≥ 2, got ${n}`);
  const pick = (s: number): number[] => rng.fork(`sex/${s}`).shuffle(sex.flatMap((v, i) => (v === s ? [i] : []))).slice(0, n / 2);
  const [f, m] = [pick(0), pick(1)];
  if (f.length < n / 2 || m.length < n / 2) throw new OptionError('--labelled', `${n} needs ${n / 2} subjects of each sex`);
  const train = [...f, ...m].sort((a, b) => a - b);
  const inTrain = new Set(train);
  return { train, test: sex.map((_, i) => i).filter((i) => !inTrain.has(i)) };
}

const take = <T>(xs: readonly T[], idx: readonly number[]): T[] => idx.map((i) => xs[i]);

const CLASSES = ['F', 'M'];

function probes(x: Features, sex: number[], age: number[], train: number[], test: number[]): { ba: number; mae: number; sex: ClassScores } {
  const s = fitStandardizer(take(x, train));
  const xt = standardize(take(x, train), s);
  const xv = standardize(take(x, test), s);
  const logit = logisticFit(xt, take(sex, train));
  const prob = logisticPredict(logit, xv);
  const predicted = Int32Array.from(prob, (p) => (p >= 0.5 ? 1 : 0));
  const ba = balancedAccuracy(Int32Array.from(take(sex, test)), predicted, 2);
  const ridge = ridgeFit(xt, take(age, train));
  return { ba, mae: meanAbsoluteError(take(age, test), Array.from(linearPredict(ridge, xv))), sex: predictionScores(take(sex, test), predicted, 2) };
}

/** Runs every seed and n; writes results.json and table.md. */
export async function runIxiFewLabels(cfg: IxiFewLabelsConfig, log: (l: string) => void = console.log): Promise<IxiFewLabelsResults> {
  const t0 = Date.now();
  const seeds = cfg.seed >= 0 ? parseSeeds(cfg.seed) : parseSeeds(cfg.seeds);
  const ns = cfg.labelled.split(',').map(Number);
  await initBackend({ log });
  const out = path.resolve(cfg.out);
  const rows = await ixiRows(path.resolve(cfg.data));
  const pipeline: PipelineSpec = { input: { kind: 'nifti' }, steps: [{ op: 'cropOrPad', shape: parseShape('--crop', cfg.crop) }, { op: 'zoom', factor: cfg.zoom, order: 1 }, { op: 'zScore', nonzero: true }] };
  const bunch = await DataBunch.fromRows(rows, { pipeline, classes: CLASSES, split: { valid: 0, test: 0 }, seed: 0, cacheDir: path.join(out, 'cache'), onWarning: log });
  const vox = await splitVoxels(bunch, 'train', cfg.batchSize);
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  const sex = vox.ids.map((id) => (byId.get(id)!.label === 'M' ? 1 : 0));
  const age = vox.ids.map((id) => byId.get(id)!.age as number);
  const shape = [...bunch.sampleShape];
  log(`IXI: ${vox.ids.length} subjects (${sex.filter((s) => s === 0).length} F), input ${shape.join('x')}`);
  const all = { x: concat(vox.rows), y: sex, ids: vox.ids };

  // PCA on every scan (no labels), the counterpart of the CAE pretraining.
  const fit = pca(vox.rows, { components: cfg.pcaComponents });
  const pcaX = pcaProject(vox.rows, fit);
  const out_: IxiFewRow[] = [];
  for (const seed of seeds) {
    // CAE pretrained on all scans without labels (reconstruction monitored on the same scans).
    const source = new ArrayBatchSource({ classes: CLASSES, sampleShape: shape, splits: { train: all, valid: all }, seed });
    const ae = buildCae({ inputShape: shape as [number, number, number, number], outputActivation: 'linear', seed });
    const aeLearner = new Learner(source, ae, { loss: { kind: 'autoencoder', l1Weight: 1e-4 }, seed, batchSize: cfg.batchSize, progress: false });
    const h = await aeLearner.fit(cfg.aeEpochs, { lr: 3e-3, schedule: 'oneCycle' });
    const codes = await aeLearner.encode('train', { pooling: 'avg' });
    log(`   seed ${seed}: CAE reconstruction MSE ${h[0].validLoss.toFixed(3)} → ${h[h.length - 1].validLoss.toFixed(3)}, code ${codes.dim}-d`);
    aeLearner.dispose();
    ae.model.dispose();
    for (const n of ns) {
      const { train, test } = drawLabelled(sex, n, new Rng(seed).fork(`labelled/${n}`));
      const tr = probes(codes.vectors, sex, age, train, test);
      const pc = probes(pcaX, sex, age, train, test);
      const meanAge = take(age, train).reduce((a, b) => a + b, 0) / n;
      const split = (idx: number[]) => ({ x: concat(take(vox.rows, idx)), y: take(sex, idx), ids: take(vox.ids, idx) });
      const few = new ArrayBatchSource({ classes: CLASSES, sampleShape: shape, splits: { train: split(train), valid: split(train), test: split(test) }, seed });
      const scratch = classifierLearner(few, { learner: { seed, batchSize: cfg.batchSize, progress: false, bootstrap: 0 } });
      await scratch.fit(cfg.scratchEpochs, { lr: 1e-3, schedule: 'oneCycle' });
      const scMetrics = (await scratch.predict('test')).metrics!;
      const sc = scMetrics.balancedAccuracy;
      scratch.dispose();
      scratch.model.dispose();
      const row: IxiFewRow = { seed, n, sexBa: { transfer: tr.ba, pca: pc.ba, scratch: sc }, sexClass: { transfer: tr.sex, pca: pc.sex, scratch: classScores(scMetrics) }, ageMae: { transfer: tr.mae, pca: pc.mae, mean: meanAbsoluteError(take(age, test), test.map(() => meanAge)) } };
      out_.push(row);
      log(`   seed ${seed}, n ${n}: sex BA transfer ${tr.ba.toFixed(3)}, PCA ${pc.ba.toFixed(3)}, scratch ${sc.toFixed(3)}; age MAE transfer ${tr.mae.toFixed(1)}, PCA ${pc.mae.toFixed(1)}, mean ${row.ageMae.mean.toFixed(1)}`);
      log(`      sex recall ${(['transfer', 'pca', 'scratch'] as const).map((k) => `${k} ${recallText(CLASSES, row.sexClass[k])} ${confusionText(row.sexClass[k].confusion)}`).join(', ')}`);
    }
  }
  const summary: IxiFewLabelsResults['summary'] = {};
  for (const n of ns) {
    const r = out_.filter((x) => x.n === n);
    const v = (f: (x: IxiFewRow) => number): number[] => r.map(f);
    summary[n] = {
      sexBa: { transfer: seedSummary(v((x) => x.sexBa.transfer)), pca: seedSummary(v((x) => x.sexBa.pca)), scratch: seedSummary(v((x) => x.sexBa.scratch)) },
      ageMae: { transfer: seedSummary(v((x) => x.ageMae.transfer)), pca: seedSummary(v((x) => x.ageMae.pca)), mean: seedSummary(v((x) => x.ageMae.mean)) },
      transferMinusPca: pairedSummary(v((x) => x.sexBa.transfer), v((x) => x.sexBa.pca)),
      transferMinusScratch: pairedSummary(v((x) => x.sexBa.transfer), v((x) => x.sexBa.scratch)),
      ageTransferMinusPca: pairedSummary(v((x) => x.ageMae.transfer), v((x) => x.ageMae.pca)),
    };
  }
  const results: IxiFewLabelsResults = { config: cfg, subjects: vox.ids.length, classes: [...CLASSES], inputShape: shape, rows: out_, summary, seconds: (Date.now() - t0) / 1000 };
  await writeResultsAndTable(out, results, table(results, ns), log);
  return results;
}

function concat(rows: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((a, r) => a + r.length, 0));
  let o = 0;
  for (const r of rows) {
    out.set(r, o);
    o += r.length;
  }
  return out;
}

function table(r: IxiFewLabelsResults, ns: number[]): string {
  const perClass = classScoresTable(
    r.classes,
    ns.flatMap((n) => (['transfer', 'pca', 'scratch'] as const).map((k) => ({ name: `${n} labelled, ${k}`, runs: r.rows.filter((x) => x.n === n).map((x) => x.sexClass[k]) }))),
  );
  const d = (p: PairedSummary): string => `${p.mean >= 0 ? '+' : '−'}${Math.abs(p.mean).toFixed(3)} [${p.ci[0].toFixed(3)}, ${p.ci[1].toFixed(3)}]`;
  return (
    markdownTable(
      ['labelled subjects', 'sex BA transfer', 'sex BA PCA', 'sex BA scratch', 'transfer − PCA', 'transfer − scratch', 'age MAE transfer', 'age MAE PCA', 'age MAE (train mean)'],
      ns.map((n) => {
        const s = r.summary[n];
        return [String(n), formatMeanSd(s.sexBa.transfer), formatMeanSd(s.sexBa.pca), formatMeanSd(s.sexBa.scratch), d(s.transferMinusPca), d(s.transferMinusScratch), formatMeanSd(s.ageMae.transfer, 1), formatMeanSd(s.ageMae.pca, 1), formatMeanSd(s.ageMae.mean, 1)];
      }),
    ) + `\n\n${r.subjects} subjects, input ${r.inputShape.join('x')}, seeds ${[...new Set(r.rows.map((x) => x.seed))].join(', ')}; mean ± sd over seeds, differences with 95 % t intervals; ${r.seconds.toFixed(0)} s.\n` +
    (perClass ? `\nSex per class (test subjects, mean ± sd over seeds):\n\n${perClass}\n` : '')
  );
}

if (isEntryPoint(import.meta.url)) {
  const cfg = parseCli({ ...spec, defaults: { ...spec.defaults }, options: { ...spec.options } });
  runIxiFewLabels(cfg).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
}
