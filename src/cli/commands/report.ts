/**
 * `transmri report CHECKPOINT --data D --out report.html`: the one-file HTML report of a checkpoint
 * on a cohort: data statistics per split, the training history, test metrics with intervals,
 * confusion matrix and ROC curves (classifiers) or reconstructions (autoencoders).
 */
import { Command } from 'commander';
import { z } from 'zod';
import { initBackend } from '../../backend/init.js';
import { Learner } from '../../learner/learner.js';
import { report } from '../../viz/report/report.js';
import type { Experiment } from '../../viz/report/experiment.js';
import { backendForReport, historyForReport, metricsForReport, reconstructionsForReport, rocForReport, versionsForReport } from '../../viz/report/from-learner.js';
import { addConfigOption, resolveOptions } from '../config.js';
import { addDataOptions, checkpointBunch, DataOptionsShape } from '../data.js';

const Options = z.strictObject({ ...DataOptionsShape, split: z.enum(['train', 'valid', 'test']), out: z.string().min(1), title: z.string().optional() });

/** `transmri report`. */
export function reportCommand(): Command {
  const cmd = new Command('report').description('one-file HTML report of a checkpoint on a cohort (history, metrics, confusion, ROC or reconstructions)').argument('<checkpoint>', 'checkpoint directory');
  addDataOptions(cmd);
  cmd
    .option('--split <name>', 'split the metrics are measured on: train, valid or test', 'test')
    .option('-o, --out <file.html>', 'the report file')
    .option('--title <text>', 'report title (default: the checkpoint folder)');
  return addConfigOption(cmd).action(async (checkpoint: string, _o: unknown, command: Command) => {
    const o = await resolveOptions(command, Options);
    const backend = await initBackend({ log: (line) => process.stderr.write(`${line}\n`) });
    const bunch = await checkpointBunch(checkpoint, o);
    const learner = await Learner.load(checkpoint, bunch, { batchSize: o.batchSize });
    try {
      const prediction = await learner.predict(o.split);
      const kind = learner.handle.kind;
      const experiment: Experiment = {
        title: o.title ?? `transmri report: ${checkpoint}`,
        description: `The ${kind} saved in ${checkpoint}, evaluated on the ${o.split} split of ${o.data} (preprocessed with the checkpoint's fitted pipeline).`,
        seed: o.seed,
        config: { checkpoint, ...o },
        versions: versionsForReport(),
        backend: backendForReport(backend),
        dataStats: bunch.stats(),
        histories: learner.history.length > 0 ? [{ name: kind, epochs: historyForReport(learner.history) }] : undefined,
        metrics: metricsForReport(kind, prediction, o.split),
        confusion: prediction.metrics ? { matrix: prediction.metrics.confusion, classes: bunch.classes, title: `${kind}, ${o.split}` } : undefined,
        roc: prediction.probabilities ? rocForReport(kind, prediction, bunch.classes) : undefined,
        reconstructions: kind === 'autoencoder' ? await reconstructionsForReport(bunch, learner.model, o.split, 3) : undefined,
      };
      const written = await report(experiment, { out: o.out });
      console.log(`report: ${written.path} (${(written.bytes / 1024).toFixed(0)} KiB)`);
    } finally {
      learner.dispose();
      learner.model.dispose();
    }
  });
}
