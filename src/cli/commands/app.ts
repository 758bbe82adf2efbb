/**
 * `transmri app <export> <out>`: a static offline page for an exported classifier (index.html +
 * assets; works from file:// and any static server). See writeApp.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { writeApp } from '../../app/write-app.js';
import { addConfigOption, resolveOptions } from '../config.js';

/** `transmri app`. */
export function appCommand(): Command {
  return addConfigOption(
    new Command('app')
      .description('write a static offline page that classifies a dropped image or NIfTI with an exported model')
      .argument('<export>', 'folder written by `transmri export` (or exportModel)')
      .argument('<out>', 'folder to write the app into (replaced)'),
  ).action(async (exportDir: string, out: string, _o: unknown, command: Command) => {
    await resolveOptions(command, z.strictObject({}));
    const app = await writeApp(exportDir, out);
    process.stdout.write(`${app.index} (model ${app.meta.model.name}, ${app.modelBytes} bytes; app bundle ${app.bundleBytes} bytes; wasm backend ${app.wasmBytes} bytes)\n`);
  });
}
