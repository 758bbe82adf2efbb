/**
 * `transmri transfer --pretrained AE_DIR --data D --out DIR`: a classifier on a copy of a pretrained
 * autoencoder's encoder: the head alone first (encoder frozen), then everything with the encoder at a
 * tenth of the head's learning rate; saves the checkpoint and the test metrics.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { initBackend } from '../../backend/init.js';
import { classifierLearnerFromEncoder } from '../../learner/factories.js';
import { Learner } from '../../learner/learner.js';
import { addConfigOption, parseInteger, parseNumber, resolveOptions } from '../config.js';
import { addDataOptions, addTrainOptions, DataOptionsShape, loadBunch, TrainOptionsShape, writeResultsJson } from '../data.js';
import { printMetrics } from './evaluate.js';

const Options = z.strictObject({ ...DataOptionsShape, ...TrainOptionsShape, pretrained: z.string().min(1), frozenEpochs: z.number().int().min(0), encoderLr: z.number().min(0) });

/** `transmri transfer`. */
export function transferCommand(): Command {
  const cmd = new Command('transfer').description("fine-tune a classifier on a pretrained autoencoder's encoder; saves a checkpoint and test metrics");
  cmd.option('--pretrained <dir>', 'checkpoint of `transmri pretrain`');
  addDataOptions(cmd);
  addTrainOptions(cmd, { epochs: 10, lr: 1e-3 });
  cmd
    .option('--frozen-epochs <n>', 'epochs of the head alone (encoder frozen) before fine-tuning everything', parseInteger, 4)
    .option('--encoder-lr <x>', "encoder's learning rate as a fraction of the head's while fine-tuning (0 keeps it frozen)", parseNumber, 0.1);
  return addConfigOption(cmd).action(async (_o: unknown, command: Command) => {
    const o = await resolveOptions(command, Options);
    await initBackend({ log: (line) => process.stderr.write(`${line}\n`) });
    const bunch = await loadBunch(o);
    bunch.printStats();
    const ae = await Learner.load(o.pretrained, bunch, { batchSize: o.batchSize });
    const clf = classifierLearnerFromEncoder(ae, bunch, { learner: { seed: o.seed, batchSize: o.batchSize } });
    try {
      if (o.frozenEpochs > 0) await clf.fit(o.frozenEpochs, { lr: o.lr, schedule: o.schedule });
      if (o.encoderLr > 0) clf.unfreeze();
      await clf.fit(o.epochs, { lr: o.lr, schedule: o.schedule, ...(o.encoderLr > 0 ? { groupLr: [o.encoderLr, 1] } : {}) });
      await clf.save(o.out);
      const prediction = await clf.predict('test');
      printMetrics(prediction, bunch.classes, 'test');
      const file = await writeResultsJson(o.out, { command: 'transfer', options: o, history: clf.history, test: prediction.metrics });
      console.log(`checkpoint ${o.out}, results ${file}`);
    } finally {
      for (const l of [ae, clf]) {
        l.dispose();
        l.model.dispose();
      }
    }
  });
}
