/**
 * `transmri run <experiment> [args...]`: runs one of the experiment scripts (scripts/*.ts, thin
 * wiring over the library) in a child process, passing the remaining arguments to it
 * (`transmri run demo --help` shows the demo's options). From a source checkout the script runs
 * through tsx; from an installed package, its compiled copy in dist/scripts/ (tsconfig.build.json
 * compiles scripts/ beside src/).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { OptionError } from '../../backend/errors.js';
import { ExitCode } from '../exit.js';
import { packageRoot, runningFromSource } from '../../backend/package-root.js';

/** An experiment: its script file (without extension) and what it does. */
export interface Experiment {
  script: string;
  description: string;
}

/** The experiments `transmri run` knows, by name. */
export const EXPERIMENTS: Readonly<Record<string, Experiment>> = {
  demo: { script: 'demo', description: 'synthetic two-site cohort: CAE pretraining, transfer vs scratch, distillation, report' },
  ixi: { script: 'ixi-transfer', description: 'CAE pretraining on IXI T1 scans, sex/age probes vs a PCA baseline (--data: the IXI folder)' },
  'ixi-few-labels': { script: 'ixi-few-labels', description: 'IXI: CAE pretrained without labels, sex/age from 4, 8, 16 labelled subjects: transfer vs PCA vs scratch' },
  'adni-ppmi': { script: 'adni-ppmi', description: "trans-MRI's ADNI -> PPMI transfer, for users who hold the data" },
  kd: { script: 'kd-brain-tumor', description: 'edge distillation on a 2D tumour image set: ResNet teacher -> 12.6 k-parameter student' },
  'kd-synthetic': { script: 'kd-synthetic', description: '3D -> 2D distillation on the synthetic cohort, six students, several seeds' },
  'alzheimer-slides': { script: 'alzheimer-slides', description: '2D slice study: contrast pipeline, class weights, oversampling' },
  'transfer-seeds': { script: 'transfer-seeds', description: "the demo's transfer vs scratch over several seeds" },
};

/** The command that runs one experiment script: [executable, ...arguments]. */
export function experimentCommand(name: string, args: readonly string[]): string[] {
  const experiment = EXPERIMENTS[name];
  if (experiment === undefined) throw new OptionError('experiment', `unknown experiment "${name}" (known: ${Object.keys(EXPERIMENTS).join(', ')})`);
  const root = packageRoot();
  if (runningFromSource()) {
    const file = join(root, 'scripts', `${experiment.script}.ts`);
    if (!existsSync(file)) throw new OptionError('experiment', `${name}: script ${file} is missing`);
    return [process.execPath, '--import', import.meta.resolve('tsx'), file, ...args];
  }
  const file = join(root, 'dist', 'scripts', `${experiment.script}.js`);
  if (!existsSync(file)) throw new OptionError('experiment', `${name}: ${file} is missing (the package was built without scripts/)`);
  return [process.execPath, file, ...args];
}

/** `transmri run`. */
export function runCommand(): Command {
  const list = Object.entries(EXPERIMENTS).map(([name, e]) => `  ${name.padEnd(18)}${e.description}`);
  return new Command('run')
    .description('run an experiment script (its own options follow its name; `transmri run demo --help`)')
    .argument('<experiment>', `one of: ${Object.keys(EXPERIMENTS).join(', ')}`)
    .argument('[args...]', "the experiment's options")
    .passThroughOptions()
    .addHelpText('after', `\nExperiments:\n${list.join('\n')}\n`)
    .action(async (name: string, args: string[]) => {
      const [exe, ...rest] = experimentCommand(name, args);
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(exe, rest, { stdio: 'inherit' });
        child.on('error', reject);
        child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 + 1 : 1)));
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
