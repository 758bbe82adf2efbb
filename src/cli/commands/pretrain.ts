/**
 * `transmri pretrain --data D --out DIR`: pretrains the convolutional autoencoder on a cohort (its
 * labels are not used) and saves the learner (model, fitted pipeline, history) as a checkpoint in DIR.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { initBackend } from '../../backend/init.js';
import { autoencoderLearner } from '../../learner/factories.js';
import { addConfigOption, parseNumber, resolveOptions } from '../config.js';
import { addDataOptions, addTrainOptions, DataOptionsShape, loadBunch, TrainOptionsShape, writeResultsJson } from '../data.js';

const Options = z.strictObject({ ...DataOptionsShape, ...TrainOptionsShape, l1Weight: z.number().min(0), batchNorm: z.boolean() });

/** `transmri pretrain`. */
export function pretrainCommand(): Command {
  const cmd = new Command('pretrain').description('pretrain the convolutional autoencoder on a cohort (labels unused); saves a checkpoint');
  addDataOptions(cmd);
  addTrainOptions(cmd, { epochs: 20, lr: 3e-3 });
  cmd.option('--l1-weight <x>', 'L1 penalty on the bottleneck activations', parseNumber, 1e-4).option('--batch-norm', 'batch norm after every hidden convolution', false);
  return addConfigOption(cmd).action(async (_o: unknown, command: Command) => {
    const o = await resolveOptions(command, Options);
    await initBackend({ log: (line) => process.stderr.write(`${line}\n`) });
    const bunch = await loadBunch(o);
    bunch.printStats();
    const ae = autoencoderLearner(bunch, { l1Weight: o.l1Weight, backbone: { architecture: 'cae', batchNorm: o.batchNorm }, learner: { seed: o.seed, batchSize: o.batchSize } });
    try {
      await ae.fit(o.epochs, { lr: o.lr, schedule: o.schedule });
      await ae.save(o.out);
      const last = ae.history[ae.history.length - 1];
      const file = await writeResultsJson(o.out, { command: 'pretrain', options: o, history: ae.history });
      console.log(`pretrained: validation loss ${last.validLoss.toPrecision(4)} after ${ae.history.length} epoch${ae.history.length === 1 ? '' : 's'}; checkpoint ${o.out}, results ${file}`);
    } finally {
      ae.dispose();
      ae.model.dispose();
    }
  });
}
