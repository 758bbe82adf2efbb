/**
 * Shared command line of the experiment scripts: every script takes
 * `--help`, `--config file.json|yaml`, `--seed N`, `--out DIR`, plus its own options.
 * Precedence: defaults < --config file < command-line flags.
 */
import { Command, CommanderError, Option } from 'commander';
import { OptionError, TransmriError } from '../../src/index.js';
import { parseNumber, readConfigFileSync } from '../../src/cli/config.js';

/** One script option. */
export interface CliOption {
  /** Type of the value. */
  type: 'string' | 'number' | 'boolean';
  /** Help text. */
  help: string;
}

/** A script's description and options. */
export interface CliSpec<T extends Record<string, unknown>> {
  /** Script name, e.g. `scripts/demo.ts`. */
  name: string;
  /** What the script does (shown by --help). */
  description: string;
  /** Defaults of every option (seed and out included). */
  defaults: T;
  /** Help per option. */
  options: { [K in keyof T]: CliOption };
  /** Extra help text (data conventions etc.). */
  epilog?: string;
}

/**
 * Parses argv into the typed config (commander: aligned --help with each default shown once;
 * `--config` takes a JSON or YAML file whose keys are the option names). With `argv` omitted (a
 * script's entry point), a user error prints one line `<script>: <message>` and exits with code 2,
 * `--help` prints the help and exits 0; with `argv` given, errors are thrown (OptionError/DataError).
 */
export function parseCli<T extends Record<string, unknown>>(spec: CliSpec<T>, argv?: string[]): T {
  if (argv !== undefined) return parseCliArgs(spec, argv);
  try {
    return parseCliArgs(spec, process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof TransmriError)) throw error;
    process.stderr.write(`${spec.name}: ${error.message}\n`);
    process.exit(2);
  }
}

function cliCommand<T extends Record<string, unknown>>(spec: CliSpec<T>): Command {
  const cmd = new Command(spec.name)
    .description(spec.description)
    .helpOption('-h, --help', 'this text')
    .option('-c, --config <file>', 'options from a JSON or YAML file (flags win)')
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  for (const [key, opt] of Object.entries(spec.options)) {
    // A flag can only turn a boolean on: one that defaults to true could never be turned off.
    if (opt.type === 'boolean' && spec.defaults[key] !== false) throw new OptionError(`${spec.name}: --${key}`, 'a boolean option must default to false (name it --noX to turn something off)');
    const option = new Option(opt.type === 'boolean' ? `--${key}` : `--${key} <${opt.type === 'number' ? 'n' : 'value'}>`, opt.help);
    if (opt.type === 'number') option.argParser(parseNumber);
    if (opt.type !== 'boolean') option.default(spec.defaults[key]);
    cmd.addOption(option);
  }
  if (spec.epilog) cmd.addHelpText('after', `\n${spec.epilog}`);
  return cmd;
}

function parseCliArgs<T extends Record<string, unknown>>(spec: CliSpec<T>, argv: string[]): T {
  const cmd = cliCommand(spec);
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') process.exit(0);
      throw new OptionError('argv', `${error.message.replace(/^error: /, '')}; run ${spec.name} --help`);
    }
    throw error;
  }
  const values = cmd.opts() as Record<string, unknown>;
  const config: Record<string, unknown> = { ...spec.defaults };
  if (typeof values.config === 'string') {
    for (const [key, value] of Object.entries(readConfigFileSync(values.config))) {
      if (!(key in spec.options)) throw new OptionError(`${key}`, `unknown key in ${values.config} (known: ${Object.keys(spec.options).join(', ')})`);
      const type = spec.options[key].type;
      if (typeof value !== type) throw new OptionError(`${key}`, `expected a ${type} in ${values.config}, got ${JSON.stringify(value)}`);
      config[key] = value;
    }
  }
  for (const key of Object.keys(spec.options)) {
    if (cmd.getOptionValueSource(key) === 'cli') config[key] = values[key];
  }
  return config as T;
}

/** The --help text. */
export function helpText<T extends Record<string, unknown>>(spec: CliSpec<T>): string {
  return cliCommand(spec).helpInformation();
}

/** Parses `0,1,2` (or a single `3`) into distinct integer seeds. */
export function parseSeeds(text: string | number): number[] {
  const seeds = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new OptionError('--seeds', `expected comma-separated non-negative integers like 0,1,2, got "${text}"`);
  if (new Set(seeds).size !== seeds.length) throw new OptionError('--seeds', `seeds must be distinct, got "${text}"`);
  return seeds;
}

/** Parses a comma-separated list and checks every item against `known`. */
export function parseList<T extends string>(option: string, text: string, known: readonly T[]): T[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) if (!known.includes(item as T)) throw new OptionError(option, `unknown item "${item}" (known: ${known.join(', ')})`);
  if (items.length === 0) throw new OptionError(option, `expected at least one of ${known.join(', ')}`);
  return items as T[];
}
