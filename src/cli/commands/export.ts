/**
 * `transmri export <checkpoint> <out>`: a checkpoint directory (learner.save / fit({ checkpoint }))
 * as a folder stock @tensorflow/tfjs loads (model.json, weights.bin) plus transmri.json (classes,
 * input shape, fitted preprocessing). See exportModel.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { exportModel } from '../../learner/export/export-model.js';
import { addConfigOption, parseInteger, resolveOptions } from '../config.js';

const Options = z.strictObject({
  view: z.enum(['slice', 'channels', 'sequence']).optional(),
  axis: z.number().int().min(0).max(2).optional(),
  count: z.number().int().positive().optional(),
  output: z.number().int().min(0).optional(),
});

/** `transmri export`. */
export function exportCommand(): Command {
  return addConfigOption(
    new Command('export')
      .description('export a checkpoint for stock tfjs (Node or browser) with its preprocessing')
      .argument('<checkpoint>', 'checkpoint directory (learner.save or fit({ checkpoint }))')
      .argument('<out>', 'export folder to write (replaced)')
      .option('--view <kind>', "a 2D student trained on slices of volumes: 'slice', 'channels' or 'sequence' (middle slices)")
      .option('--axis <n>', 'axis the view slices across (with --view; default 2)', parseInteger)
      .option('--count <k>', 'slices of the view (with --view; default 1)', parseInteger)
      .option('--output <i>', 'model output to export (default: the logits, or the reconstruction of an autoencoder)', parseInteger),
  ).action(async (checkpoint: string, out: string, _o: unknown, command: Command) => {
    const o = await resolveOptions(command, Options);
    const view = o.view ? { kind: o.view, axis: o.axis ?? 2, count: o.count ?? 1 } : undefined;
    const { dir, meta, bytes } = await exportModel(checkpoint, out, { ...(view ? { view } : {}), ...(o.output !== undefined ? { output: o.output } : {}) });
    process.stdout.write(`${dir}: ${meta.model.name} (${meta.task}, ${meta.parameters} parameters, ${bytes} bytes), input [${meta.inputShape.join(', ')}]${meta.classes.length ? `, classes ${meta.classes.join(', ')}` : ''}\n`);
  });
}
