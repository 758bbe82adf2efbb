/**
 * The Alzheimer-slides study's pipeline on a folder-of-class-folders 2D dataset
 * (issue 10): contrast transforms (invert → CLAHE → opening → smoothing → merge) as a
 * cached DataBunch step, the leakage report (byte-identical and near-duplicate images
 * across splits, the share of valid and test images with a near-duplicate in train;
 * --groupBy nearDuplicates splits near-duplicates together), class-weighted training with oversampling of rare classes, and
 * metrics that do not hide a rare class (balanced accuracy, per-class recall, macro-F1).
 * With --backbone (a converted Keras/tfjs LayersModel: directory, file:// or http(s)://)
 * the backbone is frozen while the head trains, then fine-tuned at a tenth of the rate.
 *
 *   npx tsx scripts/alzheimer-slides.ts --help
 *   npx tsx scripts/alzheimer-slides.ts --root DATA/brain-tumor-mri --limit 20 --size 64 --epochs 1   (smoke run)
 *
 * Deviations from the study: run here on the brain-tumour set (the Kaggle Alzheimer slices
 * are not on these machines); without --backbone a small CNN is trained from
 * scratch (no ImageNet weights offline); the validation split is 10% of Training, stratified,
 * and the test split is the Testing folder (or 20% when there is none).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataBunch, Learner, OptionError, backboneClassifier, folderRows, initBackend, report, type Experiment, type NormalizationPreset, type SplitContamination, type StepSpec } from '../src/index.js';
import { parseCli } from './lib/cli.js';
import { isEntryPoint, writeResults } from './lib/experiment.js';

/** The images a class folder contributes (NIfTI files are not part of this study). */
const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/** Options of the study script. */
export const ALZHEIMER_DEFAULTS = {
  seed: 0,
  out: 'out/alzheimer-slides',
  root: '',
  size: 128,
  limit: 0,
  valid: 0.1,
  backbone: '',
  normalization: 'imagenet',
  epochs: 5,
  fineTuneEpochs: 3,
  batchSize: 16,
  lr: 1e-3,
  nearThreshold: 0.98,
  groupBy: 'subject',
  noContrast: false,
  noOversample: false,
  noClassWeights: false,
  cacheDir: '',
  quiet: false,
};

/** The script's configuration. */
export type AlzheimerConfig = typeof ALZHEIMER_DEFAULTS;

export const ALZHEIMER_SPEC = {
  name: 'scripts/alzheimer-slides.ts',
  description: '2D slice classification with the Alzheimer-slides contrast pipeline, leakage report, class weights + oversampling, optional pretrained backbone',
  defaults: ALZHEIMER_DEFAULTS,
  options: {
    seed: { type: 'number', help: 'seed of the split, initialisation and training' },
    out: { type: 'string', help: 'output folder (results.json, report.html, cache)' },
    root: { type: 'string', help: 'dataset root: <class>/ folders, or Training/ and Testing/ folders of class folders' },
    size: { type: 'number', help: 'images are resized to size × size' },
    limit: { type: 'number', help: 'N images per class and folder, drawn at random (seeded by --seed) so every source mixed into a class folder is represented (0 = all), for quick runs' },
    valid: { type: 'number', help: 'fraction of the training images held out for validation (stratified)' },
    backbone: { type: 'string', help: 'pretrained tfjs LayersModel (directory, model.json, file:// or http(s):// URL); empty = small CNN from scratch' },
    normalization: { type: 'string', help: "backbone normalisation preset: imagenet, imagenet-caffe, imagenet-torch, imagenet-tf or none" },
    epochs: { type: 'number', help: 'epochs (with a backbone: head-only epochs, backbone frozen)' },
    fineTuneEpochs: { type: 'number', help: 'with a backbone: epochs after unfreezing, backbone at 0.1 × the head rate' },
    batchSize: { type: 'number', help: 'images per batch' },
    lr: { type: 'number', help: 'Adam learning rate (of the head)' },
    nearThreshold: { type: 'number', help: 'Pearson r (0.5..1) of the centred 32×32 grey thumbnails at or above which two images count as near-duplicates' },
    groupBy: { type: 'string', help: "'subject' (each image alone: no subject ids) or 'nearDuplicates' (near-duplicate images form one pseudo-subject, so validation is cut like a held-out test)" },
    noContrast: { type: 'boolean', help: 'skip the contrast pipeline' },
    noOversample: { type: 'boolean', help: 'do not oversample rare classes in the training stream' },
    noClassWeights: { type: 'boolean', help: 'plain cross-entropy (no inverse-frequency class weights)' },
    cacheDir: { type: 'string', help: 'preprocessing cache (default <out>/cache)' },
    quiet: { type: 'boolean', help: 'no progress messages' },
  },
  epilog: 'Data: any 2D class-folder set, e.g. the Kaggle Alzheimer MRI slices or brain-tumor-mri (see its SOURCE.md).',
} as const;

/** `valid 12/80 (15.0 %), test 3/100 (3.0 %)`. */
function contaminationLine(c: Record<'valid' | 'test', SplitContamination>): string {
  return (['valid', 'test'] as const).map((s) => `${s} ${c[s].flagged}/${c[s].n} (${(100 * c[s].share).toFixed(1)} %)`).join(', ');
}

/** A small from-scratch CNN for [size, size, 1] inputs (three conv–BN–ReLU–pool blocks). */
function scratchCnn(size: number, seed: number): tf.LayersModel {
  const model = tf.sequential({ name: 'scratch_cnn' });
  [16, 32, 64].forEach((filters, i) => {
    model.add(tf.layers.conv2d({ ...(i === 0 ? { inputShape: [size, size, 1] } : {}), filters, kernelSize: 3, padding: 'same', useBias: false, name: `conv${i + 1}`, kernelInitializer: tf.initializers.heNormal({ seed: seed * 10 + i }) }));
    // Momentum 0.9 (PyTorch's 0.1): with Keras' 0.99 the moving statistics lag far behind on short runs.
    model.add(tf.layers.batchNormalization({ momentum: 0.9, name: `bn${i + 1}` }));
    model.add(tf.layers.reLU({ name: `relu${i + 1}` }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i + 1}` }));
  });
  return model;
}

/** Runs the study; returns what it writes to results.json. */
export async function main(argv = process.argv.slice(2)): Promise<Record<string, unknown>> {
  const cfg = parseCli({ ...ALZHEIMER_SPEC, defaults: { ...ALZHEIMER_DEFAULTS }, options: { ...ALZHEIMER_SPEC.options } }, argv);
  const log = (text: string) => {
    if (!cfg.quiet) console.log(text);
  };
  await initBackend();
  const out = path.resolve(cfg.out);
  const t0 = Date.now();
  if (!cfg.root) throw new OptionError('--root', 'is required: a 2D class-folder set (<class>/ folders, or Training/ and Testing/ folders of class folders)');
  const groupBy: string = cfg.groupBy;
  if (groupBy !== 'subject' && groupBy !== 'nearDuplicates') throw new OptionError('--groupBy', `expected 'subject' or 'nearDuplicates', got "${groupBy}"`);
  const { rows, hasTestFolder: hasTest } = await folderRows(cfg.root, { extensions: IMAGE_EXTENSIONS, limit: cfg.limit, limitSeed: cfg.seed });
  // With a backbone the model normalises itself (0..255 in); from scratch, z-score on the training split.
  const steps: StepSpec[] = [...(!cfg.noContrast ? [{ op: 'contrast2d' } as StepSpec] : []), ...(cfg.backbone ? [] : [{ op: 'zScore' } as StepSpec])];
  const bunch = await DataBunch.fromRows(rows, {
    pipeline: { input: { kind: 'image2d', mode: 'grey', size: [cfg.size, cfg.size] }, steps },
    split: { valid: cfg.valid, test: hasTest ? 0 : 0.2, seed: cfg.seed, groupBy },
    nearDuplicates: { threshold: cfg.nearThreshold },
    seed: cfg.seed,
    oversample: !cfg.noOversample,
    cacheDir: cfg.cacheDir || path.join(out, 'cache'),
    onWarning: (m) => log(`warning: ${m}`),
  });
  // printStats shows the near-duplicate scan, the contamination per split and, with --groupBy nearDuplicates, the pseudo-subjects
  bunch.printStats(log);
  // the DataBunch's own scan (same threshold) is reused
  const leaks = await bunch.leakage({ nearDuplicates: { threshold: cfg.nearThreshold } });
  const leakage = { byteIdentical: leaks.bytes.length, nearDuplicates: leaks.near.length, testDuplicates: leaks.testDuplicates.length, testNearDuplicates: leaks.testNearDuplicates.length, validDuplicates: leaks.validDuplicates.length, contamination: leaks.contamination ?? null };
  log(`leakage: ${leakage.byteIdentical} byte-identical pairs across splits (${leakage.testDuplicates} test images), ${leakage.nearDuplicates} more near-duplicate pairs at r ≥ ${cfg.nearThreshold} (${leakage.testNearDuplicates} test images)`);
  const contaminationText = leaks.contamination ? contaminationLine(leaks.contamination) : 'not measured';
  log(`contamination (images with a near-duplicate in train, split grouped by ${groupBy}): ${contaminationText}`);

  const numClasses = bunch.classes.length;
  const weights = !cfg.noClassWeights ? bunch.classWeights() : undefined;
  let clf;
  if (cfg.backbone) {
    clf = await backboneClassifier(cfg.backbone, { numClasses, inputSize: [cfg.size, cfg.size], channels: 1, normalization: cfg.normalization as NormalizationPreset, seed: cfg.seed });
  } else {
    const scratch = scratchCnn(cfg.size, cfg.seed);
    try {
      clf = await backboneClassifier(scratch, { numClasses, inputSize: [cfg.size, cfg.size], channels: 1, normalization: { mean: [0], std: [1] }, dropout: 0.3, seed: cfg.seed });
    } finally {
      scratch.dispose();
    }
  }
  const learner = new Learner(bunch, clf, { batchSize: cfg.batchSize, seed: cfg.seed, bootstrap: 200, loss: weights ? { kind: 'classifier', classWeights: weights } : 'classifier' });
  const histories: Array<{ name: string; epochs: Array<{ epoch: number; trainLoss: number; validLoss: number; [k: string]: number }> }> = [];
  const toHistory = (records: Awaited<ReturnType<Learner['fit']>>) => records.map((r) => ({ epoch: r.epoch, trainLoss: r.trainLoss, validLoss: r.validLoss, ...r.metrics }));
  try {
    if (cfg.backbone) {
      learner.freeze();
      histories.push({ name: 'head (backbone frozen)', epochs: toHistory(await learner.fit(cfg.epochs, { lr: cfg.lr })) });
      learner.unfreeze();
      if (cfg.fineTuneEpochs > 0) histories.push({ name: 'fine-tune (backbone at 0.1 × lr)', epochs: toHistory(await learner.fit(cfg.fineTuneEpochs, { lr: cfg.lr, groupLr: [0.1, 1] })) });
    } else {
      histories.push({ name: 'from scratch', epochs: toHistory(await learner.fit(cfg.epochs, { lr: cfg.lr })) });
    }
    const p = await learner.predict('test');
    const m = p.metrics!;
    const recall = Object.fromEntries(bunch.classes.map((c, i) => [c, m.recall[i]]));
    log(`test: n = ${m.n}, accuracy ${m.accuracy.toFixed(3)}, balanced accuracy ${m.balancedAccuracy.toFixed(3)}, macro-F1 ${m.macroF1.toFixed(3)}`);
    log(`per-class recall: ${bunch.classes.map((c, i) => `${c} ${m.recall[i].toFixed(3)}`).join(', ')}`);
    const results = {
      config: cfg,
      classes: bunch.classes,
      classWeights: weights ?? null,
      stats: bunch.stats(),
      leakage,
      histories,
      test: { n: m.n, accuracy: m.accuracy, balancedAccuracy: m.balancedAccuracy, macroF1: m.macroF1, recall, f1: m.f1, confusion: m.confusion, ci: m.ci ?? null },
      seconds: (Date.now() - t0) / 1000,
    };
    const file = await writeResults(out, results);
    const experiment: Experiment = {
      title: 'Alzheimer-slides pipeline',
      description: `${cfg.backbone ? `Backbone ${cfg.backbone}` : 'Small CNN from scratch'} on ${cfg.root}, contrast pipeline ${cfg.noContrast ? 'off' : 'on'}, class weights ${cfg.noClassWeights ? 'off' : 'on'}, oversampling ${cfg.noOversample ? 'off' : 'on'}.`,
      seed: cfg.seed,
      config: cfg,
      dataStats: bunch.stats(),
      leakage: { 'byte-identical pairs': leaks.bytes, 'near-duplicate pairs': leaks.near, 'test duplicates': leaks.testDuplicates },
      histories,
      metrics: [
        { name: 'accuracy', value: m.accuracy, split: 'test', ...(m.ci ? { ci: m.ci.accuracy } : {}) },
        { name: 'balanced accuracy', value: m.balancedAccuracy, split: 'test', ...(m.ci ? { ci: m.ci.balancedAccuracy } : {}) },
        { name: 'macro-F1', value: m.macroF1, split: 'test', ...(m.ci ? { ci: m.ci.macroF1 } : {}) },
        ...bunch.classes.map((c, i) => ({ name: `recall ${c}`, value: m.recall[i], split: 'test' })),
      ],
      confusion: { matrix: m.confusion, classes: bunch.classes },
      timings: [{ name: 'total', seconds: (Date.now() - t0) / 1000 }],
      notes: [
        groupBy === 'nearDuplicates'
          ? 'No subject ids: near-duplicate images were grouped into pseudo-subjects before the split (--groupBy nearDuplicates); dissimilar slices of one subject can still fall on both sides.'
          : 'No subject ids: slices of one subject may fall on both sides of a split (--groupBy nearDuplicates groups near-duplicates); see the leakage section.',
        `Contamination (images with a near-duplicate in train, r ≥ ${cfg.nearThreshold}): ${contaminationText}.`,
      ],
    };
    const written = await report(experiment, { out: path.join(out, 'report.html') });
    log(`wrote ${file} and ${written.path}`);
    return results;
  } finally {
    learner.dispose();
    clf.model.dispose();
  }
}

if (isEntryPoint(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
