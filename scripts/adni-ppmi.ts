/**
 * trans-MRI's experiment for users who hold ADNI and PPMI data: pretrain the 3D convolutional
 * autoencoder on ADNI (unsupervised, or multitask with the AD/CN labels), then transfer its
 * encoder to PPMI Parkinson's disease vs healthy controls (classifier from the encoder: head
 * only first, then everything), against the same classifier trained from scratch. Scored by
 * balanced accuracy with subject-level k-fold cross-validation on PPMI.
 *
 *   npm run adni-ppmi -- --adniCsv ADNI.csv --adniDir ADNI_2Yr_3T_preprocessed --ppmiCsv ppmi.csv --mask brain_mask.nii.gz
 */
import path from 'node:path';
import {
  DataBunch,
  Learner,
  OptionError,
  buildCae,
  buildClassifier,
  buildMultitask,
  classifierFromEncoder,
  initBackend,
  report,
} from '../src/index.js';
import type { ClassifierModel, DataBunchRow, PipelineSpec, StepSpec } from '../src/index.js';
import { parseCli } from './lib/cli.js';
import { adniRows, genericRows, parseLabelMap } from './lib/adni.js';
import { balancedAccuracy, formatCi, meanSd, pooledScore, type ScoreWithCi } from '../src/index.js';
import { isEntryPoint, markdownTable, parseShape, writeResults } from './lib/experiment.js';
import { confusionText, predictionScores, recallText, type ClassScores } from '../src/index.js';

/** Options of the ADNI → PPMI experiment (defaults: trans-MRI's settings). */
export const ADNI_PPMI_DEFAULTS = {
  seed: 1337,
  out: 'out/adni-ppmi',
  adniCsv: '',
  adniDir: '',
  adniLabels: 'Dementia:AD,CN:CN',
  ppmiCsv: '',
  ppmiColumns: 'file_path,DX,PTID',
  ppmiLabels: 'PD:PD,HC:HC',
  mask: '',
  shape: '193x229x193',
  zoom: 0.56,
  pretrain: 'autoencoder',
  alpha: 0.7,
  adniValid: 0.1,
  aeEpochs: 20,
  freezeEpochs: 5,
  unfreezeEpochs: 15,
  batchSize: 8,
  lr: 1e-3,
  folds: 5,
  bootstrap: 1000,
  cacheDir: '',
  quiet: false,
};

/** The experiment's configuration. */
export type AdniPpmiConfig = typeof ADNI_PPMI_DEFAULTS;

const EPILOG = `Data conventions (ADNI and PPMI cannot be shipped; bring your own, registered to MNI space):

ADNI table (--adniCsv), trans-MRI's convention: columns PTID, Visit, Scan.Date, Image.ID, DX
  (other columns ignored). Each image lives under --adniDir (default: the CSV's folder) at
    <PTID>/<Visit, spaces removed>/<PTID>_<Scan.Date, "/" → "-">_<Visit, spaces removed>_<Image.ID>_<DX>_Warped.nii.gz
  e.g. 002_S_0295/ADNIScreening/002_S_0295_04-18-2006_ADNIScreening_118671_CN_Warped.nii.gz
  (trans-MRI used ADNI_2Yr_3T_preprocessed or ADNI_2Yr_15T_quick_preprocessed). A file_path column,
  if present, wins (relative to the CSV). --adniLabels maps raw DX values to classes; rows with other
  values (e.g. MCI) are dropped. Subjects are grouped by PTID in the pretraining split.

PPMI CSV (--ppmiCsv), generic: columns path,label,subject named by --ppmiColumns (default trans-MRI's
  file_path,DX,PTID), paths relative to the CSV's folder, any further columns ignored, e.g.
    file_path,DX,PTID
    T1/3102_T1_Warped.nii.gz,PD,3102
  --ppmiLabels maps raw labels to classes (PD vs HC). Folds are grouped by subject.

Preprocessing (both cohorts, trans-MRI's): optional brain mask on the input grid (--mask), centred
crop/pad to --shape (MNI-registered 193x229x193 at 1 mm needs none), zoom 0.56 (→ 108x128x108;
linear, where trans-MRI used cubic and rounded to integers), z-score with one mean/std over the non-zero
voxels fitted on the training subjects only (trans-MRI: voxel-wise mean/std of its training split; its
get_adni/get_ppmi helpers used per-image [0, 1] rescaling instead).
Training: Adam, lr 1e-3, weight decay 0, batch 8 (the paper used 16); multitask loss
alpha·MSE + (1 − alpha)·CE with alpha 0.7. Intervals: 95% percentile bootstrap over PPMI subjects
of the pooled out-of-fold predictions.`;

export const ADNI_PPMI_SPEC = {
  name: 'scripts/adni-ppmi.ts',
  description: 'pretrain on ADNI, transfer to PPMI PD vs HC, compare with training from scratch (subject-level k-fold)',
  defaults: ADNI_PPMI_DEFAULTS,
  options: {
    seed: { type: 'number', help: 'seed of splits, folds, initialisation, training and bootstrap (trans-MRI: 1337 for ADNI)' },
    out: { type: 'string', help: 'output folder (results.json, cache)' },
    adniCsv: { type: 'string', help: 'ADNI table (PTID, Visit, Scan.Date, Image.ID, DX), required' },
    adniDir: { type: 'string', help: 'root of the ADNI image folders (default: the CSV\'s folder)' },
    adniLabels: { type: 'string', help: 'raw DX → class for pretraining, RAW:CLASS,...' },
    ppmiCsv: { type: 'string', help: 'PPMI CSV (path, label, subject columns), required' },
    ppmiColumns: { type: 'string', help: 'header names of path,label,subject in the PPMI CSV' },
    ppmiLabels: { type: 'string', help: 'raw PPMI label → class, RAW:CLASS,...' },
    mask: { type: 'string', help: 'brain mask NIfTI on the input grid (e.g. the MNI brain mask), applied first' },
    shape: { type: 'string', help: 'centred crop/pad before zooming' },
    zoom: { type: 'number', help: 'zoom factor (linear); 1 = none' },
    pretrain: { type: 'string', help: 'autoencoder (unsupervised) or multitask (with the ADNI labels)' },
    alpha: { type: 'number', help: 'multitask weight of the reconstruction term' },
    adniValid: { type: 'number', help: 'fraction of ADNI subjects held out to validate pretraining' },
    aeEpochs: { type: 'number', help: 'pretraining epochs on ADNI' },
    freezeEpochs: { type: 'number', help: 'epochs training the head only on the frozen encoder' },
    unfreezeEpochs: { type: 'number', help: 'epochs fine-tuning everything (from scratch: freeze + unfreeze epochs)' },
    batchSize: { type: 'number', help: 'volumes per batch' },
    lr: { type: 'number', help: 'Adam learning rate' },
    folds: { type: 'number', help: 'k of the subject-level k-fold cross-validation on PPMI' },
    bootstrap: { type: 'number', help: 'bootstrap resamples of the 95% intervals' },
    cacheDir: { type: 'string', help: 'preprocessing cache (default <out>/cache)' },
    quiet: { type: 'boolean', help: 'no progress messages' },
  },
  epilog: EPILOG,
} as const;

/** What {@link main} returns (and writes to results.json). */
export interface AdniPpmiResults {
  config: AdniPpmiConfig;
  classes: { adni: string[]; ppmi: string[] };
  counts: { adniScans: number; adniSubjects: number; ppmiScans: number; ppmiSubjects: number };
  inputShape: number[];
  pretraining: { trainLoss: number[]; validLoss: number[]; validMse?: number };
  /**
   * Pooled out-of-fold balanced accuracy with the subject bootstrap interval, per-fold values, and the
   * pooled out-of-fold recall per PPMI class (`classes.ppmi` order) and confusion[true][predicted] over scans.
   */
  transfer: { balancedAccuracy: ScoreWithCi; folds: number[] } & ClassScores;
  scratch: { balancedAccuracy: ScoreWithCi; folds: number[] } & ClassScores;
  table: string;
  timings: Record<string, number>;
  /** Path of the HTML report. */
  report: string;
}

function pooledBalancedAccuracy(subjects: string[], labels: number[], preds: number[], cfg: AdniPpmiConfig, label: string): ScoreWithCi {
  const unique = [...new Set(subjects)];
  const members = unique.map((s) => subjects.flatMap((t, i) => (t === s ? [i] : [])));
  const score = (idx: ArrayLike<number>): number => {
    const rows = Array.from(idx).flatMap((k) => members[k]);
    return balancedAccuracy(rows.map((i) => labels[i]), rows.map((i) => preds[i]), 2);
  };
  return pooledScore(unique.length, score, cfg.seed, label, cfg.bootstrap);
}

/**
 * Runs the experiment and writes `<out>/results.json`.
 * @param config options; missing keys take {@link ADNI_PPMI_DEFAULTS}
 */
export async function main(config: Partial<AdniPpmiConfig> = {}): Promise<AdniPpmiResults> {
  for (const key of Object.keys(config)) if (!(key in ADNI_PPMI_DEFAULTS)) throw new OptionError(key, `unknown option (known: ${Object.keys(ADNI_PPMI_DEFAULTS).join(', ')})`);
  const cfg: AdniPpmiConfig = { ...ADNI_PPMI_DEFAULTS, ...config };
  if (!cfg.adniCsv) throw new OptionError('adniCsv', 'is required (see --help for the table format)');
  if (!cfg.ppmiCsv) throw new OptionError('ppmiCsv', 'is required (see --help for the CSV format)');
  if (cfg.pretrain !== 'autoencoder' && cfg.pretrain !== 'multitask') throw new OptionError('pretrain', `expected autoencoder or multitask, got "${cfg.pretrain}"`);
  const log = (m: string): void => {
    if (!cfg.quiet) console.log(m);
  };
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  await initBackend();
  const out = path.resolve(cfg.out);
  const cacheDir = cfg.cacheDir ? path.resolve(cfg.cacheDir) : path.join(out, 'cache');
  const steps: StepSpec[] = [];
  if (cfg.mask) steps.push({ op: 'mask', path: path.resolve(cfg.mask) });
  steps.push({ op: 'cropOrPad', shape: parseShape('shape', cfg.shape) });
  if (cfg.zoom !== 1) steps.push({ op: 'zoom', factor: cfg.zoom, order: 1 });
  steps.push({ op: 'zScore', nonzero: true });
  const pipeline: PipelineSpec = { input: { kind: 'nifti' }, steps };
  const adniMap = parseLabelMap('adniLabels', cfg.adniLabels);
  const ppmiMap = parseLabelMap('ppmiLabels', cfg.ppmiLabels);
  const adni: DataBunchRow[] = await adniRows(cfg.adniCsv, adniMap, cfg.adniDir || undefined);
  const ppmi: DataBunchRow[] = await genericRows(cfg.ppmiCsv, ppmiMap, cfg.ppmiColumns);

  // 1. Pretraining on ADNI (valid = held-out ADNI subjects).
  let t = Date.now();
  const adniBunch = await DataBunch.fromRows(adni, { pipeline, classes: [...new Set(Object.values(adniMap))], split: { valid: cfg.adniValid, test: 0, seed: cfg.seed }, seed: cfg.seed, cacheDir, onWarning: log });
  if (!cfg.quiet) adniBunch.printStats();
  const inputShape = [...adniBunch.sampleShape] as [number, number, number, number];
  const backbone = { architecture: 'cae' as const, inputShape, outputActivation: 'linear' as const, seed: cfg.seed };
  const pre =
    cfg.pretrain === 'multitask'
      ? buildMultitask({ backbone, numClasses: adniBunch.classes.length, seed: cfg.seed })
      : buildCae({ inputShape, outputActivation: 'linear', seed: cfg.seed });
  const preLearner = new Learner(adniBunch, pre, { loss: cfg.pretrain === 'multitask' ? { kind: 'multitask', alpha: cfg.alpha } : { kind: 'autoencoder' }, seed: cfg.seed, batchSize: cfg.batchSize });
  log(`\nPretraining (${cfg.pretrain}) on ${adniBunch.size('train')} ADNI scans, input ${inputShape.join('x')}`);
  await preLearner.fit(cfg.aeEpochs, { lr: cfg.lr });
  const preValid = adniBunch.size('valid') > 0 ? await preLearner.predict('valid') : undefined;
  const pretraining = { trainLoss: preLearner.history.map((h) => h.trainLoss), validLoss: preLearner.history.map((h) => h.validLoss ?? NaN), validMse: preValid?.mse };
  timings.pretrain = (Date.now() - t) / 1000;

  // 2. PPMI: subject-level k-fold, transfer vs scratch on the same folds.
  t = Date.now();
  const ppmiBunch = await DataBunch.fromRows(ppmi, { pipeline, classes: [...new Set(Object.values(ppmiMap))], split: { valid: 0, test: 0, seed: cfg.seed }, seed: cfg.seed, cacheDir, onWarning: log });
  const subjectOf = new Map(ppmiBunch.samples.map((s) => [s.id, s.subject]));
  const oof = { transfer: new Map<string, { y: number; p: number }>(), scratch: new Map<string, { y: number; p: number }>() };
  const perFold = { transfer: [] as number[], scratch: [] as number[] };
  const run = async (fold: number, bunch: DataBunch, model: ClassifierModel, kind: 'transfer' | 'scratch'): Promise<void> => {
    const learner = new Learner(bunch, model, { seed: cfg.seed + fold, batchSize: cfg.batchSize, bootstrap: 0 });
    try {
      if (kind === 'transfer') {
        learner.freeze();
        await learner.fit(cfg.freezeEpochs, { lr: cfg.lr });
        learner.unfreeze();
        await learner.fit(cfg.unfreezeEpochs, { lr: cfg.lr });
      } else {
        await learner.fit(cfg.freezeEpochs + cfg.unfreezeEpochs, { lr: cfg.lr });
      }
      const pred = await learner.predict('valid');
      pred.ids.forEach((id, i) => oof[kind].set(id, { y: pred.labels[i], p: (pred.predictions as Int32Array)[i] }));
      perFold[kind].push(pred.metrics?.balancedAccuracy ?? NaN);
      log(`fold ${fold + 1}/${cfg.folds} ${kind}: balanced accuracy ${pred.metrics?.balancedAccuracy.toFixed(3)}${pred.metrics ? `, recall ${recallText(bunch.classes, pred.metrics)}, confusion ${confusionText(pred.metrics.confusion)}` : ''}`);
    } finally {
      learner.dispose();
      model.model.dispose();
    }
  };
  try {
    for await (const { fold, bunch } of ppmiBunch.kFold(cfg.folds)) {
      await run(fold, bunch, classifierFromEncoder(pre.encoder, { numClasses: bunch.classes.length, seed: cfg.seed + fold }), 'transfer');
      await run(fold, bunch, buildClassifier({ backbone: { ...backbone, seed: cfg.seed + fold }, numClasses: bunch.classes.length, seed: cfg.seed + fold }), 'scratch');
    }
  } finally {
    preLearner.dispose();
    pre.model.dispose();
  }
  timings.ppmi = (Date.now() - t) / 1000;
  const ids = ppmiBunch.samples.map((s) => s.id).filter((id) => oof.transfer.has(id));
  const subjects = ids.map((id) => subjectOf.get(id) as string);
  const score = (kind: 'transfer' | 'scratch'): ScoreWithCi =>
    pooledBalancedAccuracy(subjects, ids.map((id) => oof[kind].get(id)?.y as number), ids.map((id) => oof[kind].get(id)?.p as number), cfg, kind);
  const perClass = (kind: 'transfer' | 'scratch'): ClassScores =>
    predictionScores(ids.map((id) => oof[kind].get(id)?.y as number), ids.map((id) => oof[kind].get(id)?.p as number), ppmiBunch.classes.length);
  const transfer = { balancedAccuracy: score('transfer'), folds: perFold.transfer, ...perClass('transfer') };
  const scratch = { balancedAccuracy: score('scratch'), folds: perFold.scratch, ...perClass('scratch') };
  const fmtFolds = (v: number[]): string => {
    const { mean, sd } = meanSd(v);
    return `${mean.toFixed(3)} ± ${sd.toFixed(3)}`;
  };
  const table = markdownTable(
    ['PPMI classifier', 'balanced accuracy, pooled [95% CI]', `per fold mean ± sd (k=${cfg.folds})`, ...ppmiBunch.classes.map((c) => `recall ${c}, pooled`), `confusion (rows true ${ppmiBunch.classes.join('/')}, columns predicted; pooled)`],
    [
      [`transfer from ADNI (${cfg.pretrain})`, formatCi(transfer.balancedAccuracy), fmtFolds(transfer.folds), ...transfer.recall.map((v) => v.toFixed(3)), confusionText(transfer.confusion)],
      ['from scratch', formatCi(scratch.balancedAccuracy), fmtFolds(scratch.folds), ...scratch.recall.map((v) => v.toFixed(3)), confusionText(scratch.confusion)],
    ],
  );
  timings.total = (Date.now() - t0) / 1000;
  const html = await report(
    {
      title: `ADNI → PPMI transfer (${cfg.pretrain} pretraining)`,
      description: `Pretraining on ${adni.length} ADNI scans, PPMI ${ppmi.length} scans in ${cfg.folds} subject-level folds; 95% intervals: bootstrap over PPMI subjects of the pooled out-of-fold predictions.`,
      seed: cfg.seed,
      config: cfg,
      dataStats: adniBunch.stats().map((st) => ({ ...st, split: `ADNI ${st.split}` })),
      histories: [{ name: `ADNI ${cfg.pretrain} pretraining`, epochs: pretraining.trainLoss.map((trainLoss, i) => ({ epoch: i + 1, trainLoss, validLoss: pretraining.validLoss[i] })) }],
      metrics: [
        { name: 'transfer: balanced accuracy', value: transfer.balancedAccuracy.value, ci: transfer.balancedAccuracy.ci, split: 'PPMI out-of-fold' },
        { name: 'from scratch: balanced accuracy', value: scratch.balancedAccuracy.value, ci: scratch.balancedAccuracy.ci, split: 'PPMI out-of-fold' },
      ],
      timings: Object.entries(timings).map(([name, seconds]) => ({ name, seconds })),
      notes: [table],
    },
    { out: path.join(out, 'report.html') },
  );
  const results: AdniPpmiResults = {
    config: cfg,
    classes: { adni: [...adniBunch.classes], ppmi: [...ppmiBunch.classes] },
    counts: { adniScans: adni.length, adniSubjects: new Set(adni.map((r) => r.subject)).size, ppmiScans: ppmi.length, ppmiSubjects: new Set(ppmi.map((r) => r.subject)).size },
    inputShape,
    pretraining,
    transfer,
    scratch,
    table,
    timings,
    report: html.path,
  };
  const file = await writeResults(out, results);
  log(`\n${table}\nwrote ${file} and ${html.path} in ${timings.total.toFixed(0)} s`);
  return results;
}

if (isEntryPoint(import.meta.url)) {
  main(parseCli({ ...ADNI_PPMI_SPEC, defaults: { ...ADNI_PPMI_SPEC.defaults }, options: { ...ADNI_PPMI_SPEC.options } })).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
}
