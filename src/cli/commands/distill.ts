/**
 * `transmri distill --teacher CLF_DIR --data D --out DIR`: distils a 3D classifier (a checkpoint of
 * `transmri transfer`) into a 2D slice CNN that reads the middle axial slice: Hinton's KD
 * (temperature, alpha) plus, optionally, similarity-preserving KD on the teacher's hidden features.
 * The data are preprocessed with the teacher's fitted pipeline; the teacher is frozen and its outputs
 * are computed once per sample. Saves the student's checkpoint and its test metrics.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { initBackend } from '../../backend/init.js';
import { distill } from '../../learner/distill/distill.js';
import { loadModel } from '../../learner/checkpoint.js';
import { sliceCnn } from '../../models/students/slice.js';
import { addConfigOption, parseNumber, resolveOptions } from '../config.js';
import { addDataOptions, addTrainOptions, checkpointPipeline, DataOptionsShape, loadBunch, TrainOptionsShape, writeResultsJson } from '../data.js';
import { printMetrics } from './evaluate.js';

const Options = z.strictObject({
  ...DataOptionsShape,
  ...TrainOptionsShape,
  teacher: z.string().min(1),
  temperature: z.number().positive(),
  alpha: z.number().min(0).max(1),
  similarity: z.number().min(0),
  teacherFeatures: z.string().min(1),
});

/** `transmri distill`. */
export function distillCommand(): Command {
  const cmd = new Command('distill').description('distil a 3D classifier checkpoint into a 2D slice CNN (middle axial slice); saves a checkpoint and test metrics');
  cmd.option('--teacher <dir>', 'checkpoint of a 3D classifier (`transmri transfer`)');
  addDataOptions(cmd);
  addTrainOptions(cmd, { epochs: 30, lr: 3e-3 });
  cmd
    .option('--temperature <T>', "temperature of Hinton's KD", parseNumber, 4)
    .option('--alpha <a>', 'weight of the KD term (1 - alpha on the labels)', parseNumber, 0.5)
    .option('--similarity <w>', 'weight of similarity-preserving KD on the teacher features (0 = off)', parseNumber, 5)
    .option('--teacher-features <layer>', "teacher layer whose output is matched by --similarity", 'head_hidden');
  return addConfigOption(cmd).action(async (_o: unknown, command: Command) => {
    const o = await resolveOptions(command, Options);
    await initBackend({ log: (line) => process.stderr.write(`${line}\n`) });
    const slices = await loadBunch(o, await checkpointPipeline(o.teacher), { view: { slices: { axis: 2, count: 1 } }, views: { volume: true } });
    slices.printStats();
    const teacher = await loadModel(o.teacher);
    const [nx, ny] = slices.volumeShape;
    const student = sliceCnn({ inputShape: [nx, ny, 1], seed: o.seed }, slices.classes.length);
    const { learner } = distill({ model: teacher, input: 'volume', ...(o.similarity > 0 ? { features: o.teacherFeatures } : {}) }, student, slices, {
      loss: { hinton: { temperature: o.temperature, alpha: o.alpha }, ...(o.similarity > 0 ? { similarity: { weight: o.similarity, normalize: 'cosine-max' as const } } : {}) },
      learner: { seed: o.seed, batchSize: o.batchSize },
    });
    try {
      await learner.fit(o.epochs, { lr: o.lr, schedule: o.schedule });
      await learner.save(o.out);
      const prediction = await learner.predict('test');
      printMetrics(prediction, slices.classes, 'test (student)');
      const file = await writeResultsJson(o.out, { command: 'distill', options: o, history: learner.history, test: prediction.metrics });
      console.log(`checkpoint ${o.out}, results ${file}`);
    } finally {
      learner.dispose();
      student.model.dispose();
      teacher.dispose();
    }
  });
}
