/**
 * Helpers shared by the experiment scripts: writing results.json and tables,
 * and the guard that runs a script's CLI only when it is the entry point.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptionError } from '../../src/index.js';

/** True when the module with this `import.meta.url` is the script node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(path.resolve(entry)).href === moduleUrl;
}

export { markdownTable } from '../../src/index.js';

/** Writes `results.json` (pretty-printed) into `out`, creating it; returns the file path. */
export async function writeResults(out: string, results: unknown): Promise<string> {
  await mkdir(out, { recursive: true });
  const file = path.join(out, 'results.json');
  // temp file + rename: a reader (or a crash mid-write) sees the old file or the new one, never half of one
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, file);
  return file;
}

/** Writes results.json (atomically) and table.md into `out`, and logs the table. */
export async function writeResultsAndTable(out: string, results: unknown, table: string, log: (line: string) => void): Promise<void> {
  await writeResults(out, results);
  await writeFile(path.join(out, 'table.md'), table);
  log(`\n${table}`);
}

/** Parses `96x120x120` (or `96,120,120`) into a shape. */
export function parseShape(where: string, text: string): [number, number, number] {
  const parts = text.split(/[x,]/).map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((v) => !Number.isInteger(v) || v < 1)) throw new OptionError(where, `expected three positive integers like 96x120x120, got "${text}"`);
  return parts as [number, number, number];
}
