/**
 * Writes the synthetic cohort to disk: one float32 .nii.gz per scan and a CSV
 * (path,label,subject,session,site,age,sex) with paths relative to the CSV's folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OptionError } from '../../backend/errors.js';
import { writeNifti } from '../nifti/writer.js';
import { withDefaults } from '../ops/op-args.js';
import { DEFAULT_SYNTHETIC_COHORT, generateCohort, type ResolvedSyntheticCohortOptions, type SyntheticCohortOptions, type SyntheticSample } from './cohort.js';

/** Options of {@link writeCohort}: the cohort's options plus file layout. */
export interface WriteCohortOptions extends SyntheticCohortOptions {
  /** CSV file name inside the output folder; default 'cohort.csv'. */
  csvName?: string;
  /** Sub-folder for the images; default 'images'. */
  imageDir?: string;
}

/** Defaults of {@link WriteCohortOptions}. */
export const DEFAULT_WRITE_COHORT: ResolvedSyntheticCohortOptions & { csvName: string; imageDir: string } = { ...DEFAULT_SYNTHETIC_COHORT, csvName: 'cohort.csv', imageDir: 'images' };

/** One CSV row as written: a sample's metadata and its image path. */
export interface CohortCsvRow extends Pick<SyntheticSample, 'label' | 'subject' | 'session' | 'site' | 'age' | 'sex'> {
  /** Image path relative to the CSV's folder, e.g. `images/sub-001_ses-1.nii.gz`. */
  path: string;
}

/** The CSV columns, in order. */
export const COHORT_CSV_COLUMNS = ['path', 'label', 'subject', 'session', 'site', 'age', 'sex'] as const;

/**
 * Generates the cohort ({@link generateCohort}) and writes it under `dir`.
 * Same options → byte-identical files.
 * @example
 * const { csvPath, rows } = await writeCohort('data/synthetic', { seed: 0 });
 */
export async function writeCohort(dir: string, options: WriteCohortOptions = {}): Promise<{ csvPath: string; rows: CohortCsvRow[] }> {
  const opts = withDefaults('WriteCohortOptions', options, DEFAULT_WRITE_COHORT);
  for (const key of ['csvName', 'imageDir'] as const) {
    if (typeof opts[key] !== 'string' || !opts[key] || /[\\]|^\//.test(opts[key]) || opts[key].split('/').includes('..')) {
      throw new OptionError(`WriteCohortOptions.${key}`, `expected a relative name inside the output folder, got ${JSON.stringify(opts[key])}`);
    }
  }
  const { csvName, imageDir, ...cohortOptions } = opts;
  const { samples } = generateCohort(cohortOptions);
  await mkdir(join(dir, imageDir), { recursive: true });
  const rows: CohortCsvRow[] = [];
  for (const s of samples) {
    const rel = `${imageDir}/${s.subject}_${s.session}.nii.gz`;
    await writeNifti(join(dir, rel), s.volume, { description: `transmri synthetic ${s.label} site ${s.site}` });
    rows.push({ path: rel, label: s.label, subject: s.subject, session: s.session, site: s.site, age: s.age, sex: s.sex });
  }
  const lines = [COHORT_CSV_COLUMNS.join(','), ...rows.map((r) => COHORT_CSV_COLUMNS.map((c) => csvField(String(r[c]))).join(','))];
  const csvPath = join(dir, csvName);
  await writeFile(csvPath, lines.join('\n') + '\n');
  return { csvPath, rows };
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
