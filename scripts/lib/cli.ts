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
