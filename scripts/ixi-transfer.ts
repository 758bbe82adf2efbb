/**
 * Unsupervised pretraining on real IXI T1 scans, probed for sex and age.
 *
 * For each of k subject-level folds: fit the pipeline (z-score on the training subjects only),
 * pretrain the convolutional autoencoder on the training subjects, encode every subject, and
 * fit linear probes on the training encodings (ridge for age, logistic regression for sex),
 * scoring the held-out subjects. The baseline is PCA on the same training voxels, probed the
 * same way. Out-of-fold predictions of all subjects are pooled; 95% intervals are percentile
 * bootstraps over subjects.
 *
 *   npm run ixi -- --help
 */
import path from 'node:path';
import {
  DataBunch,
  Learner,
  OptionError,
  buildCae,
  initBackend,
  pca,
  pcaProject,
  pcaReconstructionMse,
  readNifti,
  report,
} from '../src/index.js';
import type { DataBunch as Bunch, PipelineSpec, StepSpec } from '../src/index.js';
import { parseCli } from './lib/cli.js';
import { formatCi, meanSd, pooledScore, type ScoreWithCi } from '../src/index.js';
import { isEntryPoint, markdownTable, parseShape, writeResults } from './lib/experiment.js';
import { splitVoxels } from '../src/index.js';
import { ixiRows } from './lib/ixi.js';
import { confusionText, predictionScores, type ClassScores } from '../src/index.js';
import { balancedAccuracy, fitStandardizer, linearPredict, logisticFit, logisticPredict, meanAbsoluteError, pearson, pick, ridgeFit, standardize, type Features } from '../src/index.js';

/** Options of the IXI experiment. */
export const IXI_DEFAULTS = {
  seed: 0,
  out: 'out/ixi',
  data: '../shared/data/ixi-t1-2mm',
  folds: 5,
  crop: '96x120x120',
  zoom: 0.5,
  mask: '',
  epochs: 5,
  batchSize: 4,
  lr: 1e-3,
  pcaComponents: 16,
  bootstrap: 1000,
  cacheDir: '',
  quiet: false,
};

/** The IXI experiment's configuration. */
export type IxiConfig = typeof IXI_DEFAULTS;

export const IXI_SPEC = {
  name: 'scripts/ixi-transfer.ts',
  description: 'pretrain the CAE on IXI T1 scans and probe its codes for sex and age (k-fold, vs PCA on voxels)',
  defaults: IXI_DEFAULTS,
  options: {
    seed: { type: 'number', help: 'seed of the folds, initialisation, training and bootstrap' },
    out: { type: 'string', help: 'output folder (results.json, cache)' },
    data: { type: 'string', help: 'IXI folder: participants.csv (MRID,Age,Sex) and t1/<MRID>_T1.nii.gz' },
    folds: { type: 'number', help: 'k of the subject-level k-fold cross-validation' },
    crop: { type: 'string', help: 'centred crop/pad of the RAS+ volume before zooming (IXI is 90x120x120 in RAS+)' },
    zoom: { type: 'number', help: 'zoom factor after cropping, linear interpolation (1 = keep 2 mm)' },
    mask: { type: 'string', help: 'brain mask NIfTI applied first; must be on the scans\' own grid (the MNI mask is not: IXI is unregistered)' },
    epochs: { type: 'number', help: 'autoencoder epochs per fold' },
    batchSize: { type: 'number', help: 'volumes per batch' },
    lr: { type: 'number', help: 'Adam learning rate' },
    pcaComponents: { type: 'number', help: 'principal components of the voxel baseline (≤ training subjects − 1)' },
    bootstrap: { type: 'number', help: 'bootstrap resamples of the 95% intervals' },
    cacheDir: { type: 'string', help: 'preprocessing cache (default <out>/cache)' },
    quiet: { type: 'boolean', help: 'no progress messages' },
  },
  epilog:
    'Data: the IXI T1 sample of NiChart (CC BY-SA 3.0, IXI dataset), see ../shared/data/ixi-t1-2mm/SOURCE.md.\n' +
    'Intervals: 95% percentile bootstrap over subjects of the pooled out-of-fold predictions.',
} as const;

interface FoldPredictions {
  age: number[];
  sexProb: number[];
}

/** Probe scores of one feature set, pooled over folds. */
export interface ProbeScores {
  ageMae: ScoreWithCi;
  ageR: ScoreWithCi;
  sexBalancedAccuracy: ScoreWithCi;
  /** Out-of-fold sex recall (F, M) and confusion[true][predicted], pooled over subjects (issue 17 item 5). */
  sexClass: ClassScores;
  reconstructionMse: ScoreWithCi;
  /** Per-fold values. */
  folds: Array<{ ageMae: number; ageR: number; sexBalancedAccuracy: number; reconstructionMse: number; ridgeLambda: number }>;
}

/** What {@link main} returns (and writes to results.json). */
export interface IxiResults {
  config: IxiConfig;
  subjects: number;
  inputShape: number[];
  codeDim: number;
  methods: { cae: ProbeScores; pca: ProbeScores };
  /** Predicting the training mean age for every held-out subject. */
  meanAgeMae: number;
  table: string;
  timings: Record<string, number>;
  notes: string[];
  /** Path of the HTML report. */
  report: string;
}

/** Checks that a mask lies on the scans' grid (same RAS+ shape and affine within 0.5 mm). */
async function checkMaskGrid(maskPath: string, scanPath: string): Promise<void> {
  const [m, s] = await Promise.all([readNifti(maskPath), readNifti(scanPath)]);
  const same = m.shape.every((v, i) => v === s.shape[i]) && m.affine.every((row, i) => row.every((v, j) => Math.abs(v - s.affine[i][j]) < 0.5));
  if (!same) {
    throw new OptionError('mask', `${maskPath} is on a ${m.shape.join('x')} grid (origin ${m.affine.map((r) => r[3].toFixed(1)).slice(0, 3).join(', ')} mm) but the scans are on ${s.shape.join('x')} (origin ${s.affine.map((r) => r[3].toFixed(1)).slice(0, 3).join(', ')} mm); register the scans to the mask's space first`);
  }
}

function probeFold(train: Features, valid: Features, age: number[], sex: number[]): { pred: FoldPredictions; lambda: number } {
  const s = fitStandardizer(train);
  const xt = standardize(train, s);
  const xv = standardize(valid, s);
  const ridge = ridgeFit(xt, age);
  const logit = logisticFit(xt, sex);
  return { pred: { age: Array.from(linearPredict(ridge, xv)), sexProb: Array.from(logisticPredict(logit, xv)) }, lambda: ridge.lambda };
}

function summarize(ids: string[], age: number[], sex: number[], pred: Map<string, { age: number; sexProb: number; mse: number; fold: number }>, lambdas: number[], cfg: IxiConfig, label: string): ProbeScores {
  const a = Float64Array.from(ids, (id) => pred.get(id)?.age as number);
  const sp = Float64Array.from(ids, (id) => ((pred.get(id)?.sexProb as number) >= 0.5 ? 1 : 0));
  const mse = Float64Array.from(ids, (id) => pred.get(id)?.mse as number);
  const fold = Int32Array.from(ids, (id) => pred.get(id)?.fold as number);
  const n = ids.length;
  const seed = cfg.seed;
  const folds = lambdas.map((ridgeLambda, f) => {
    const idx = Array.from({ length: n }, (_, i) => i).filter((i) => fold[i] === f);
    return {
      ageMae: meanAbsoluteError(pick(age, idx), pick(a, idx)),
      ageR: pearson(pick(age, idx), pick(a, idx)),
      sexBalancedAccuracy: balancedAccuracy(Int32Array.from(pick(sex, idx)), Int32Array.from(pick(sp, idx)), 2),
      reconstructionMse: pick(mse, idx).reduce((x, y) => x + y, 0) / idx.length,
      ridgeLambda,
    };
  });
  return {
    ageMae: pooledScore(n, (idx) => meanAbsoluteError(pick(age, idx), pick(a, idx)), seed, `${label}-mae`, cfg.bootstrap),
    ageR: pooledScore(n, (idx) => pearson(pick(age, idx), pick(a, idx)), seed, `${label}-r`, cfg.bootstrap),
    sexBalancedAccuracy: pooledScore(n, (idx) => balancedAccuracy(Int32Array.from(pick(sex, idx)), Int32Array.from(pick(sp, idx)), 2), seed, `${label}-bacc`, cfg.bootstrap),
    sexClass: predictionScores(sex, sp, 2),
    reconstructionMse: pooledScore(n, (idx) => pick(mse, idx).reduce((x, y) => x + y, 0) / idx.length, seed, `${label}-mse`, cfg.bootstrap),
    folds,
  };
}

/**
 * Runs the experiment and writes `<out>/results.json`.
 * @param config options; missing keys take {@link IXI_DEFAULTS}
 */
export async function main(config: Partial<IxiConfig> = {}): Promise<IxiResults> {
  for (const key of Object.keys(config)) if (!(key in IXI_DEFAULTS)) throw new OptionError(key, `unknown option (known: ${Object.keys(IXI_DEFAULTS).join(', ')})`);
  const cfg: IxiConfig = { ...IXI_DEFAULTS, ...config };
  const log = (m: string): void => {
    if (!cfg.quiet) console.log(m);
  };
  const t0 = Date.now();
  const timings: Record<string, number> = { pretrain: 0, encode: 0, pca: 0, probes: 0 };
  await initBackend();
  const out = path.resolve(cfg.out);
  const rows = await ixiRows(path.resolve(cfg.data));
  const notes: string[] = [];
  const steps: StepSpec[] = [];
  if (cfg.mask) {
    await checkMaskGrid(path.resolve(cfg.mask), rows[0].path);
    steps.push({ op: 'mask', path: path.resolve(cfg.mask) });
    notes.push(`masked with ${cfg.mask}`);
  } else {
    notes.push('no brain mask: the IXI scans are in native scanner space (RAS+ 90x120x120, 2 mm), not on the MNI152 2 mm grid (91x109x91), so the MNI mask cannot be applied without registration');
  }
  steps.push({ op: 'cropOrPad', shape: parseShape('crop', cfg.crop) });
  if (cfg.zoom !== 1) steps.push({ op: 'zoom', factor: cfg.zoom, order: 1 });
  steps.push({ op: 'zScore', nonzero: true });
  const pipeline: PipelineSpec = { input: { kind: 'nifti' }, steps };
  const base = await DataBunch.fromRows(rows, { pipeline, classes: ['F', 'M'], split: { valid: 0, test: 0, seed: cfg.seed }, seed: cfg.seed, cacheDir: cfg.cacheDir ? path.resolve(cfg.cacheDir) : path.join(out, 'cache'), onWarning: log });
  const inputShape = [...base.sampleShape];
  log(`IXI: ${rows.length} subjects, input ${inputShape.join('x')}, ${cfg.folds}-fold CV`);
  const ageOf = new Map(rows.map((r) => [r.id as string, r.age as number]));
  const sexOf = new Map(rows.map((r) => [r.id as string, r.label === 'M' ? 1 : 0]));
  const preds = { cae: new Map<string, { age: number; sexProb: number; mse: number; fold: number }>(), pca: new Map<string, { age: number; sexProb: number; mse: number; fold: number }>() };
  const lambdas = { cae: [] as number[], pca: [] as number[] };
  const meanAgeErrors: number[] = [];
  let codeDim = 0;
  const histories: Array<{ name: string; epochs: Array<{ epoch: number; trainLoss: number; validLoss?: number }> }> = [];
  const codes: { ids: string[]; vectors: Float32Array[] } = { ids: [], vectors: [] };
  for await (const { fold, bunch } of base.kFold(cfg.folds)) {
    let t = Date.now();
    const ae = buildCae({ inputShape: inputShape as [number, number, number, number], outputActivation: 'linear', seed: cfg.seed * 1000 + fold });
    const learner = new Learner(bunch as Bunch, ae, { loss: { kind: 'autoencoder' }, seed: cfg.seed, batchSize: cfg.batchSize });
    try {
      await learner.fit(cfg.epochs, { lr: cfg.lr });
      const valid = await learner.predict('valid');
      timings.pretrain += (Date.now() - t) / 1000;
      t = Date.now();
      const encTrain = await learner.encode('train');
      const encValid = await learner.encode('valid');
      codeDim = encTrain.dim;
      codes.ids.push(...encValid.ids);
      codes.vectors.push(...encValid.vectors);
      histories.push({ name: `fold ${fold + 1} autoencoder`, epochs: learner.history.map((h) => ({ epoch: h.epoch + 1, trainLoss: h.trainLoss, validLoss: h.validLoss })) });
      timings.encode += (Date.now() - t) / 1000;
      t = Date.now();
      const voxTrain = await splitVoxels(bunch, 'train', cfg.batchSize);
      const voxValid = await splitVoxels(bunch, 'valid', cfg.batchSize);
      const fit = pca(voxTrain.rows, { components: cfg.pcaComponents });
      const pcaTrain = pcaProject(voxTrain.rows, fit);
      const pcaValid = pcaProject(voxValid.rows, fit);
      const pcaMse = pcaReconstructionMse(voxValid.rows, pcaValid, fit);
      timings.pca += (Date.now() - t) / 1000;
      t = Date.now();
      const age = encTrain.ids.map((id) => ageOf.get(id) as number);
      const sex = encTrain.ids.map((id) => sexOf.get(id) as number);
      const meanAge = age.reduce((x, y) => x + y, 0) / age.length;
      meanAgeErrors.push(...encValid.ids.map((id) => Math.abs((ageOf.get(id) as number) - meanAge)));
      const c = probeFold(encTrain.vectors, encValid.vectors, age, sex);
      lambdas.cae.push(c.lambda);
      const mseOf = new Map(valid.ids.map((id, i) => [id, (valid.reconstructionMse as Float32Array)[i]]));
      encValid.ids.forEach((id, i) => preds.cae.set(id, { age: c.pred.age[i], sexProb: c.pred.sexProb[i], mse: mseOf.get(id) as number, fold }));
      if (voxTrain.ids.join() !== encTrain.ids.join()) throw new Error('internal: voxel and encoding orders differ');
      const p = probeFold(pcaTrain, pcaValid, age, sex);
      lambdas.pca.push(p.lambda);
      voxValid.ids.forEach((id, i) => preds.pca.set(id, { age: p.pred.age[i], sexProb: p.pred.sexProb[i], mse: pcaMse[i], fold }));
      timings.probes += (Date.now() - t) / 1000;
      const last = learner.history[learner.history.length - 1];
      log(`fold ${fold + 1}/${cfg.folds}: train MSE ${last?.trainLoss?.toFixed(4)}, held-out MSE CAE ${valid.mse?.toFixed(4)} vs PCA ${(pcaMse.reduce((x, y) => x + y, 0) / pcaMse.length).toFixed(4)}`);
    } finally {
      learner.dispose();
      ae.model.dispose();
    }
  }
  const ids = rows.map((r) => r.id as string);
  const age = ids.map((id) => ageOf.get(id) as number);
  const sex = ids.map((id) => sexOf.get(id) as number);
  const methods = { cae: summarize(ids, age, sex, preds.cae, lambdas.cae, cfg, 'cae'), pca: summarize(ids, age, sex, preds.pca, lambdas.pca, cfg, 'pca') };
  const meanAgeMae = meanAgeErrors.reduce((x, y) => x + y, 0) / meanAgeErrors.length;
  const row = (name: string, s: ProbeScores): string[] => [name, formatCi(s.reconstructionMse), formatCi(s.ageMae, 2), formatCi(s.ageR), formatCi(s.sexBalancedAccuracy), ...s.sexClass.recall.map((v) => v.toFixed(3)), confusionText(s.sexClass.confusion)];
  const table = markdownTable(
    ['features', 'held-out recon. MSE', 'age MAE (years)', 'age r', 'sex balanced acc.', 'sex recall F', 'sex recall M', 'sex confusion (rows true F/M, columns predicted)'],
    [row(`CAE code (${codeDim})`, methods.cae), row(`PCA on voxels (${cfg.pcaComponents})`, methods.pca), ['training-mean age', '', meanAgeMae.toFixed(2), '', '0.5 (chance)', '', '', '']],
  );
  notes.push(`MSE is in z-scored intensity units; ${cfg.folds}-fold per-fold mean±sd sex balanced accuracy: CAE ${fmtMeanSd(methods.cae.folds.map((f) => f.sexBalancedAccuracy))}, PCA ${fmtMeanSd(methods.pca.folds.map((f) => f.sexBalancedAccuracy))}`);
  timings.total = (Date.now() - t0) / 1000;
  const metrics = (['cae', 'pca'] as const).flatMap((m) =>
    (['reconstructionMse', 'ageMae', 'ageR', 'sexBalancedAccuracy'] as const).map((k) => ({ name: `${m === 'cae' ? 'CAE code' : 'PCA'}: ${k}`, value: methods[m][k].value, ci: methods[m][k].ci, split: 'out-of-fold' })),
  );
  const html = await report(
    {
      title: 'IXI: CAE pretraining probed for sex and age',
      description: `Subject-level ${cfg.folds}-fold CV on ${rows.length} IXI T1 scans; linear probes on the CAE code vs PCA on voxels. 95% intervals: bootstrap over subjects.`,
      seed: cfg.seed,
      config: cfg,
      histories,
      metrics,
      embeddings: [{ name: 'CAE code, out-of-fold', ids: codes.ids, groups: codes.ids.map((id) => (sexOf.get(id) === 1 ? 'M' : 'F')), groupTitle: 'sex', vectors: codes.vectors, methods: ['pca'] }],
      timings: Object.entries(timings).map(([name, seconds]) => ({ name, seconds })),
      notes: [...notes, table],
    },
    { out: path.join(out, 'report.html') },
  );
  const results: IxiResults = { config: cfg, subjects: rows.length, inputShape, codeDim, methods, meanAgeMae, table, timings, notes, report: html.path };
  const file = await writeResults(out, results);
  log(`\n${table}\n\n${notes.join('\n')}\nwrote ${file} and ${html.path} in ${timings.total.toFixed(0)} s`);
  return results;
}

function fmtMeanSd(v: number[]): string {
  const { mean, sd } = meanSd(v);
  return `${mean.toFixed(3)}±${sd.toFixed(3)}`;
}

if (isEntryPoint(import.meta.url)) {
  main(parseCli({ ...IXI_SPEC, defaults: { ...IXI_SPEC.defaults }, options: { ...IXI_SPEC.options } })).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
}
