/**
 * `transmri evaluate CHECKPOINT --data D`: the saved model's metrics on a split of a cohort,
 * preprocessed with the checkpoint's fitted pipeline (balanced accuracy, AUC, 95 % bootstrap
 * intervals per split; reconstruction MSE for an autoencoder).
 */
import { Command } from 'commander';
import { z } from 'zod';
import { initBackend } from '../../backend/init.js';
import type { Prediction } from '../../learner/inference.js';
import { Learner } from '../../learner/learner.js';
import { addConfigOption, resolveOptions } from '../config.js';
import { addDataOptions, checkpointBunch, DataOptionsShape, writeResultsJson } from '../data.js';

const Options = z.strictObject({ ...DataOptionsShape, split: z.enum(['train', 'valid', 'test']), json: z.boolean(), out: z.string().optional() });

/** Prints a prediction's metrics as aligned lines. */
export function printMetrics(p: Prediction, classes: readonly string[], split: string, write: (line: string) => void = console.log): void {
  const m = p.metrics;
  if (m) {
    const ci = (name: 'balancedAccuracy' | 'accuracy' | 'auc' | 'macroF1') => (m.ci?.[name] ? `  (95 % CI ${m.ci[name][0].toFixed(3)}-${m.ci[name][1].toFixed(3)})` : '');
    write(`${split}: ${m.n} samples, classes ${classes.join(', ')}`);
    write(`  balanced accuracy ${m.balancedAccuracy.toFixed(3)}${ci('balancedAccuracy')}`);
    write(`  accuracy          ${m.accuracy.toFixed(3)}${ci('accuracy')}`);
    if (m.auc !== undefined && Number.isFinite(m.auc)) write(`  AUC               ${m.auc.toFixed(3)}${ci('auc')}`);
    write(`  macro F1          ${m.macroF1.toFixed(3)}${ci('macroF1')}`);
    write(`  recall per class  ${m.recall.map((r, i) => `${classes[i]} ${r.toFixed(3)}`).join(', ')}`);
  }
  if (p.mse !== undefined) write(`${split}: reconstruction MSE ${p.mse.toPrecision(4)} over ${p.ids.length} samples`);
}

/** `transmri evaluate`. */
export function evaluateCommand(): Command {
  const cmd = new Command('evaluate')
    .description("a checkpoint's metrics on a split of a cohort, preprocessed with the checkpoint's fitted pipeline")
    .argument('<checkpoint>', 'checkpoint directory (pretrain, transfer, distill or Learner.save)');
  addDataOptions(cmd);
  cmd
    .option('--split <name>', 'split to evaluate: train, valid or test', 'test')
    .option('--json', 'print the metrics as one JSON object', false)
    .option('-o, --out <dir>', 'also write results.json here');
  return addConfigOption(cmd).action(async (checkpoint: string, _o: unknown, command: Command) => {
    const o = await resolveOptions(command, Options);
    await initBackend({ log: (line) => process.stderr.write(`${line}\n`) });
    const bunch = await checkpointBunch(checkpoint, o);
    const learner = await Learner.load(checkpoint, bunch, { batchSize: o.batchSize });
    try {
      const prediction = await learner.predict(o.split);
      const results = { command: 'evaluate', checkpoint, split: o.split, classes: bunch.classes, metrics: prediction.metrics, mse: prediction.mse };
      if (o.json) console.log(JSON.stringify(results));
      else printMetrics(prediction, bunch.classes, o.split);
      if (o.out !== undefined) await writeResultsJson(o.out, results);
    } finally {
      learner.dispose();
      learner.model.dispose();
    }
  });
}
