/**
 * The sweep's results folder: one JSON record per job key (`<out>/jobs/<key>.json`), written by
 * temp file + rename, so a re-run finds every finished job and a crash never leaves half a record.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../backend/errors.js';
import type { SweepJobRecord } from './run-job.js';

/** Folder of the job records of a results folder. */
export function jobsFolder(out: string): string {
  return join(out, 'jobs');
}

/** Writes a JSON file atomically (parent folders created). */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Stores a job record under its key (a second write of the same key replaces the first: never counted twice). */
export function writeRecord(out: string, record: SweepJobRecord): void {
  writeJsonAtomic(join(jobsFolder(out), `${record.key}.json`), record);
}

/** Every record in a results folder, by key (an empty map when the folder does not exist yet). */
export function readRecords(out: string): Map<string, SweepJobRecord> {
  const records = new Map<string, SweepJobRecord>();
  let names: string[];
  try {
    names = readdirSync(jobsFolder(out));
  } catch {
    return records;
  }
  for (const name of names) {
    if (!/^[0-9a-f]+\.json$/.test(name)) continue;
    const file = join(jobsFolder(out), name);
    let record: SweepJobRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as SweepJobRecord;
    } catch (err) {
      throw new FormatError(`unreadable job record: ${(err as Error).message}`, file);
    }
    if (record.key !== name.slice(0, -5)) throw new FormatError(`record key ${record.key} does not match its file name`, file);
    records.set(record.key, record);
  }
  return records;
}
