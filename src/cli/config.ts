/**
 * Options of a CLI subcommand: defaults (commander) < a JSON or YAML config file (`--config`)
 * < flags given on the command line, checked by a zod schema so that an unknown key or a value
 * of the wrong type is an OptionError naming the key and the file.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DataError, OptionError } from '../backend/errors.js';

/**
 * Reads a config file: `.json` as JSON, `.yaml`/`.yml` as YAML. The top level must be an object.
 * @throws DataError naming the file when it cannot be read, parsed or is not an object.
 */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  configExtension(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read config file: ${(err as Error).message}`, { file });
  }
  return parseConfigText(text, file);
}

/** {@link readConfigFile}, synchronous (for the experiment scripts' parseCli). */
export function readConfigFileSync(file: string): Record<string, unknown> {
  configExtension(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read config file: ${(err as Error).message}`, { file });
  }
  return parseConfigText(text, file);
}

function configExtension(file: string): '.json' | '.yaml' | '.yml' {
  const ext = extname(file).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new DataError(`config file must end in .json, .yaml or .yml (got "${ext || 'no extension'}")`, { file });
  }
  return ext;
}

/** Parses a config file's text (JSON or YAML by the file's extension) into its top-level object. */
export function parseConfigText(text: string, file: string): Record<string, unknown> {
  const ext = configExtension(file);
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new DataError(`malformed ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, { file });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError('a config file holds one object of options (key: value)', { file });
  }
  return value as Record<string, unknown>;
}

/**
 * Checks `value` against a zod schema; the first problem becomes an OptionError naming the key
 * (dotted path), e.g. `option epochs: expected number, received string (in run.yaml)`.
 * @param source where the value came from, for the message (a file name or "command line")
 */
export function checkOptions<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = [path, issue.keys[0]].filter((s) => s !== '').join('.');
    const known = knownKeys(schema);
    throw new OptionError(key, `unknown key in ${source}${known.length ? ` (known: ${known.join(', ')})` : ''}`);
  }
  let given: unknown = value;
  for (const key of issue.path) given = given === null || typeof given !== 'object' ? undefined : (given as Record<PropertyKey, unknown>)[key];
  if (given === undefined && issue.path.length === 1) {
    const flag = String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new OptionError(path, `required: give --${flag} or "${path}" in the config file`);
  }
  throw new OptionError(path || '(options)', `${issue.message} (in ${source})`);
}

function knownKeys(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape).sort() : [];
}

/** Adds the `--config <file>` option every subcommand takes. */
export function addConfigOption(command: Command): Command {
  return command.option('-c, --config <file>', 'options from a JSON or YAML file (keys are the long option names in camelCase; flags win)');
}

/**
 * The subcommand's options, merged: commander defaults < the `--config` file < flags given on the
 * command line, then checked by `schema` (a `z.strictObject` whose keys are the options' camelCase
 * names). `--config` itself is not part of the result.
 * @example
 * const Options = z.strictObject({ data: z.string(), epochs: z.number().int().positive() });
 * cmd.action(async (_o, cmd: Command) => { const o = await resolveOptions(cmd, Options); ... });
 */
export async function resolveOptions<S extends z.ZodType>(command: Command, schema: S): Promise<z.infer<S>> {
  const given = command.opts() as Record<string, unknown>;
  const merged: Record<string, unknown> = {};
  const fromCli: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (key === 'config') continue;
    const src = command.getOptionValueSource(key);
    if (src === 'default' || src === 'implied') merged[key] = value;
    else fromCli[key] = value;
  }
  const configFile = given.config as string | undefined;
  if (configFile !== undefined) {
    const fromFile = await readConfigFile(configFile);
    // Check the file's keys and types on their own first, so an error names the file.
    const partial = schema instanceof z.ZodObject ? schema.partial() : schema;
    checkOptions(partial, fromFile, configFile);
    Object.assign(merged, fromFile);
  }
  Object.assign(merged, fromCli);
  return checkOptions(schema, merged, configFile === undefined ? 'the options' : `the options (with ${configFile})`);
}

/** commander argument parser: a finite number. */
export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
}

/** commander argument parser: an integer. */
export function parseInteger(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return n;
}

/** commander argument parser: a comma-separated list of numbers, e.g. `32,32,32`. */
export function parseNumberList(value: string): number[] {
  return value.split(',').map((s) => parseNumber(s));
}
