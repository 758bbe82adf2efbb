/**
 * Shared command line of the experiment scripts: every script takes
 * `--help`, `--config file.json`, `--seed N`, `--out DIR`, plus its own options.
 * Precedence: defaults < --config file < command-line flags.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { OptionError } from '../../src/index.js';

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

/** Parses argv into the typed config, or prints help and exits. */
export function parseCli<T extends Record<string, unknown>>(spec: CliSpec<T>, argv = process.argv.slice(2)): T {
  const parseOptions: Record<string, { type: 'string' | 'boolean' }> = {
    help: { type: 'boolean' },
    config: { type: 'string' },
  };
  for (const [key, opt] of Object.entries(spec.options)) {
    // A flag can only turn a boolean on: one that defaults to true could never be turned off.
    if (opt.type === 'boolean' && spec.defaults[key] !== false) throw new OptionError(`${spec.name}: --${key}`, 'a boolean option must default to false (name it --noX to turn something off)');
    parseOptions[key] = { type: opt.type === 'boolean' ? 'boolean' : 'string' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseOptions, allowPositionals: false, strict: true });
  } catch (error) {
    throw new OptionError('argv', `${(error as Error).message}; run ${spec.name} --help`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(helpText(spec));
    process.exit(0);
  }
  const config: Record<string, unknown> = { ...spec.defaults };
  if (typeof values.config === 'string') {
    const fromFile = JSON.parse(readFileSync(values.config, 'utf8')) as Record<string, unknown>;
    for (const [key, value] of Object.entries(fromFile)) {
      if (!(key in spec.options)) throw new OptionError(`${values.config}: ${key}`, `unknown option (known: ${Object.keys(spec.options).join(', ')})`);
      config[key] = value;
    }
  }
  for (const [key, opt] of Object.entries(spec.options)) {
    const raw = values[key];
    if (raw === undefined) continue;
    if (opt.type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new OptionError(`--${key}`, `expected a number, got "${raw}"`);
      config[key] = n;
    } else {
      config[key] = raw;
    }
  }
  return config as T;
}

/** The --help text. */
export function helpText<T extends Record<string, unknown>>(spec: CliSpec<T>): string {
  const lines = [`${spec.name}: ${spec.description}`, '', 'Options:', '  --help              this text', '  --config FILE.json  options from a JSON file (flags win)'];
  for (const [key, opt] of Object.entries(spec.options)) {
    const flag = `--${key}${opt.type === 'boolean' ? '' : ` ${opt.type === 'number' ? 'N' : 'VALUE'}`}`;
    lines.push(`  ${flag.padEnd(20)}${opt.help} (default: ${JSON.stringify(spec.defaults[key])})`);
  }
  if (spec.epilog) lines.push('', spec.epilog);
  return `${lines.join('\n')}\n`;
}
