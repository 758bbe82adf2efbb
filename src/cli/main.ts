/**
 * The `transmri` command line (commander).
 *
 * Convention for subcommands: each one is its own file `src/cli/commands/<name>.ts` exporting
 * `export function <name>Command(): Command` (a `new Command('<name>')` with its options,
 * `addConfigOption(...)` and an async action), registered below with one
 * `program.addCommand(<name>Command())` line. Options: commander defaults < `--config file.json|yaml`
 * < flags, checked by a zod `z.strictObject` through `resolveOptions` (src/cli/config.ts), so an
 * unknown or wrong key is an OptionError naming it. Actions throw typed errors (src/backend/errors.ts)
 * for user mistakes: main prints one line and exits 2 (`--debug` prints the stack); no
 * machine-specific default paths.
 *
 * How it runs: bin/transmri.js imports dist/src/cli/main.js in an installed package and, in a source
 * checkout (src/ present), this file through tsx, so `npx transmri` in the repo always runs the
 * current source.
 */
import { Command, CommanderError } from 'commander';
import { TransmriError } from '../backend/errors.js';
import { packageVersion } from '../backend/package-root.js';
import { ExitCode } from './exit.js';
import { pretrainCommand } from './commands/pretrain.js';
import { transferCommand } from './commands/transfer.js';
import { distillCommand } from './commands/distill.js';
import { evaluateCommand } from './commands/evaluate.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { sweepCommand } from './commands/sweep.js';
import { workerCommand } from './commands/worker.js';
import { leakageCommand } from './commands/leakage.js';
import { exportCommand } from './commands/export.js';
import { appCommand } from './commands/app.js';

/** Exit code of a user error (bad option, bad data, missing file). */
export const EXIT_USAGE = 2;

/** The program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('transmri')
    .description('transfer learning and knowledge distillation for brain MRI')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'print stack traces of errors (accepted anywhere on the line)')
    .enablePositionalOptions()
    .showSuggestionAfterError(true);
  program.addCommand(pretrainCommand());
  program.addCommand(transferCommand());
  program.addCommand(distillCommand());
  program.addCommand(evaluateCommand());
  program.addCommand(reportCommand());
  program.addCommand(runCommand());
  program.addCommand(sweepCommand());
  program.addCommand(workerCommand());
  program.addCommand(leakageCommand());
  program.addCommand(exportCommand());
  program.addCommand(appCommand());
  inheritSettings(program);
  return program;
}

/** Subcommands added with addCommand do not inherit settings: copy them down the tree. */
function inheritSettings(command: Command): void {
  command.exitOverride();
  command.configureHelp({ showGlobalOptions: true });
  for (const sub of command.commands) {
    sub.copyInheritedSettings(command);
    inheritSettings(sub);
  }
}

/**
 * Runs the command line; resolves to the exit code (0 ok, 2 user error, 1 unexpected error).
 * @param argv process.argv-style (node, script, ...args)
 * @param stderr where errors go (default process.stderr)
 */
export async function main(argv: string[] = process.argv, stderr: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  const program = buildProgram();
  // --debug is global and accepted anywhere (before or after the subcommand), so it is taken out here.
  const debug = argv.slice(2).includes('--debug');
  try {
    await program.parseAsync(argv.filter((a, i) => i < 2 || a !== '--debug'));
    return 0;
  } catch (err) {
    if (err instanceof ExitCode) return err.code;
    // commander already printed its message (unknown option, missing argument, --help, --version).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    const error = err instanceof Error ? err : new Error(String(err));
    if (debug) {
      stderr(`${error.stack ?? error.message}\n`);
    } else if (error instanceof TransmriError) {
      stderr(`transmri: ${error.message}\n`);
    } else {
      stderr(`transmri: ${error.name}: ${error.message} (run with --debug for the stack)\n`);
    }
    return error instanceof TransmriError ? EXIT_USAGE : 1;
  }
}
