/**
 * Detection of the optional tfjs Node bindings (`@tensorflow/tfjs-node-gpu`,
 * `@tensorflow/tfjs-node`) for {@link initBackend}: tells a package that is
 * not installed from one that is installed but fails to load (a missing
 * libtensorflow, a CUDA mismatch, a broken install script), and says why.
 */
import { createRequire } from 'node:module';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What probing one binding package found. */
export type BindingProbe =
  | { state: 'missing'; package: string; reason: string }
  | { state: 'broken'; package: string; reason: string }
  | { state: 'loaded'; package: string; reason: string };

/** Options of {@link probeNodeBinding}. */
export interface ProbeOptions {
  /**
   * File or directory the package is resolved from, as Node would from a
   * module there; default this module (transmri's own dependencies). Tests
   * point it at a temporary node_modules.
   */
  resolveFrom?: string;
}

let defaults: ProbeOptions = {};

/**
 * Sets the options {@link initBackend} probes the bindings with (tests: a
 * temporary node_modules); returns a function that restores the previous ones.
 */
export function setDefaultProbeOptions(options: ProbeOptions): () => void {
  const previous = defaults;
  defaults = { ...options };
  return () => { defaults = previous; };
}

/** The package's directory in a node_modules above `from`, as Node's resolution walks (undefined when absent). */
function findPackageDir(pkg: string, from: string): string | undefined {
  let dir = from;
  const root = parse(dir).root;
  for (;;) {
    const candidate = join(dir, 'node_modules', pkg);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

/** The first line of an error's message (a dlopen error names the missing library there). */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'unknown error';
}

/**
 * Tries to load `pkg`: 'missing' when no node_modules above `resolveFrom`
 * holds it, 'broken' when it is there but resolving or importing it throws
 * (with the error's first line as the reason), else 'loaded'.
 */
export async function probeNodeBinding(pkg: string, options: ProbeOptions = defaults): Promise<BindingProbe> {
  const from = options.resolveFrom ?? fileURLToPath(import.meta.url);
  const fromDir = existsSync(from) && statSync(from).isDirectory() ? from : dirname(from);
  const require = createRequire(join(fromDir, 'noop.js'));
  let entry: string | undefined;
  try {
    entry = require.resolve(pkg);
  } catch (error) {
    const dir = findPackageDir(pkg, fromDir);
    if (dir === undefined) return { state: 'missing', package: pkg, reason: `${pkg} not installed` };
    return { state: 'broken', package: pkg, reason: `${pkg} installed but failed to load: ${firstLine(error)}` };
  }
  try {
    await import(pathToFileURL(entry).href);
  } catch (error) {
    return { state: 'broken', package: pkg, reason: `${pkg} installed but failed to load: ${firstLine(error)}` };
  }
  return { state: 'loaded', package: pkg, reason: `${pkg} is installed` };
}
