/**
 * "Is my set leaky?": a class-folder dataset split as DataBunch.fromFolder splits it (the given
 * test folder, validation carved from the rest with the same seed), then, per split, how many
 * images have a near-duplicate in train. Reads each image once (a thumbnail); trains nothing.
 */
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { contaminationWarning, type SplitContamination } from './near-duplicates.js';
import { DEFAULT_NEAR_DUPLICATES, groupSizeSummary, scanContamination, scanNearDuplicates } from './near-scan.js';
import { defaultCacheDir } from './cache-location.js';
import { folderRows } from './sources.js';
import { DEFAULT_SPLIT, pseudoSubjects, splitItems } from './splits.js';
import { checkNearThreshold } from './near-duplicates.js';

/** Options of {@link folderLeakage}. */
export interface FolderLeakageOptions {
  /** Pearson r of the centred 32 × 32 grey thumbnails at or above which two images are near-duplicates, in [0.5, 1]; default 0.98. */
  threshold?: number;
  /** 'subject' (each image alone: there are no subject ids) or 'nearDuplicates' (pseudo-subjects, as `split.groupBy`); default 'subject'. */
  groupBy?: 'subject' | 'nearDuplicates';
  /** Fraction of the non-test images held out for validation; default 0.15 (the DataBunch default). */
  valid?: number;
  /** Fraction held out for test when there is no test folder; default 0.15. */
  test?: number;
  /** Seed of the split; default 42 (the DataBunch default). */
  seed?: number;
  /**
   * Folder of the thumbnail cache (shared with DataBunch.fromFolder on the same root), or false
   * for none; default the DataBunch's default cache folder, `<root>/.transmri-cache` (for
   * read-only data a folder under the system's temp folder, with a warning).
   */
  cacheDir?: string | false;
  /** Receives warnings (cache location, damaged cache); default console.warn. */
  onWarning?: (message: string) => void;
}

/** Defaults of {@link FolderLeakageOptions}. */
export const DEFAULT_FOLDER_LEAKAGE: Required<Omit<FolderLeakageOptions, 'cacheDir'>> & { cacheDir: string | false | undefined } = {
  threshold: DEFAULT_NEAR_DUPLICATES.threshold,
  groupBy: 'subject',
  valid: DEFAULT_SPLIT.valid,
  test: DEFAULT_SPLIT.test,
  seed: DEFAULT_SPLIT.seed,
  cacheDir: undefined,
  onWarning: (m) => console.warn(m),
};

/** The answer of {@link folderLeakage} (also the `--json` output of `transmri leakage`). */
export interface FolderLeakage {
  root: string;
  images: number;
  classes: string[];
  threshold: number;
  groupBy: 'subject' | 'nearDuplicates';
  /** Whether a Training/Testing layout gave the test split. */
  testFolder: boolean;
  /** Images per split. */
  splits: { train: number; valid: number; test: number };
  /** Per split, images with a near-duplicate (identical copies included) in train. */
  flagged: { valid: number; test: number };
  /** flagged / images of the split. */
  share: { valid: number; test: number };
  /** Near-duplicate pairs among all images. */
  pairs: number;
  /** Images with a constant thumbnail (blank; never paired). */
  blank: number;
  /** With groupBy 'nearDuplicates': groups of the regrouped (non-test-folder) images by size. */
  pseudoSubjects?: { groups: number; bins: Record<string, number>; largest: number };
  /** Set when validation is more than twice as contaminated as test. */
  warning?: string;
  /** Wall seconds (listing, decoding, search). */
  seconds: number;
  /** Thumbnails read from the thumbnail cache instead of decoded. */
  fromCache: number;
}

/**
 * Splits a class-folder dataset like DataBunch.fromFolder and counts, per split, the images with
 * a near-duplicate in train.
 * @param root `root/<class>/*` or `root/<Training|Testing>/<class>/*`
 * @throws DataError "no images found" (naming a subfolder when the root looks one level too high),
 *   DataError naming an unreadable image, OptionError naming a bad option
 * @example
 * const r = await folderLeakage('brain-tumor-mri', { groupBy: 'nearDuplicates' });
 * console.log(r.flagged); // { valid: 0, test: ... }
 */
export async function folderLeakage(root: string, options: FolderLeakageOptions = {}): Promise<FolderLeakage> {
  rejectUnknownOptions('FolderLeakageOptions', options, DEFAULT_FOLDER_LEAKAGE);
  const opts = { ...DEFAULT_FOLDER_LEAKAGE, ...options };
  checkNearThreshold('FolderLeakageOptions.threshold', opts.threshold);
  if (opts.cacheDir !== undefined && opts.cacheDir !== false && typeof opts.cacheDir !== 'string') throw new OptionError('FolderLeakageOptions.cacheDir', `expected a folder path or false, got ${JSON.stringify(opts.cacheDir)}`);
  if (opts.groupBy !== 'subject' && opts.groupBy !== 'nearDuplicates') throw new OptionError('FolderLeakageOptions.groupBy', `expected 'subject' or 'nearDuplicates', got ${JSON.stringify(opts.groupBy)}`);
  const t0 = performance.now();
  const { rows, hasTestFolder } = await folderRows(root);
  const cacheDir = opts.cacheDir === false ? undefined : (opts.cacheDir ?? (await defaultCacheDir(root, opts.onWarning)));
  const scan = await scanNearDuplicates(rows.map((r) => r.path), opts.threshold, { cacheDir, onMessage: opts.onWarning });
  const items = rows.map((r) => ({ id: r.id as string, label: r.label ?? null, group: `sample:${r.id}`, split: r.split }));
  const grouped = opts.groupBy === 'nearDuplicates';
  const splits = splitItems(items, { valid: opts.valid, test: hasTestFolder ? 0 : opts.test, seed: opts.seed, groupBy: opts.groupBy }, grouped ? scan.pairs : undefined);
  const c: Record<'valid' | 'test', SplitContamination> = scanContamination(scan, items.map((it) => it.id), splits);
  const out: FolderLeakage = {
    root,
    images: rows.length,
    classes: [...new Set(rows.map((r) => r.label as string))].sort(),
    threshold: opts.threshold,
    groupBy: opts.groupBy,
    testFolder: hasTestFolder,
    splits: { train: splits.train.length, valid: splits.valid.length, test: splits.test.length },
    flagged: { valid: c.valid.flagged, test: c.test.flagged },
    share: { valid: c.valid.share, test: c.test.share },
    pairs: scan.pairs.length,
    blank: scan.constant.length,
    seconds: 0,
    fromCache: scan.fromCache ?? 0,
  };
  if (grouped) out.pseudoSubjects = groupSizeSummary(pseudoSubjects(items, scan.pairs).filter((_, k) => items[k].split === undefined));
  const warning = contaminationWarning(c);
  if (warning) out.warning = warning;
  out.seconds = (performance.now() - t0) / 1000;
  return out;
}

/** A human-readable summary of {@link folderLeakage}'s answer, one line per fact. */
export function formatFolderLeakage(r: FolderLeakage): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  const lines = [
    `${r.root}: ${r.images} images, classes ${r.classes.join(', ')}; ${r.testFolder ? 'test = the test folder' : `test carved at random`}, valid carved from the rest (grouped by ${r.groupBy === 'nearDuplicates' ? 'near-duplicate pseudo-subjects' : 'image: no subject ids'})`,
    `near-duplicates (Pearson r ≥ ${r.threshold} of centred 32×32 grey thumbnails): ${r.pairs} pairs${r.blank > 0 ? `, ${r.blank} blank images never paired` : ''}; ${r.seconds.toFixed(1)} s${r.fromCache > 0 ? ` (${r.fromCache} thumbnails from the cache)` : ''}`,
    `images with a near-duplicate in train: valid ${r.flagged.valid}/${r.splits.valid} (${pct(r.share.valid)}), test ${r.flagged.test}/${r.splits.test} (${pct(r.share.test)})`,
  ];
  if (r.pseudoSubjects) {
    const bins = Object.entries(r.pseudoSubjects.bins).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(', ');
    lines.push(`pseudo-subjects: ${r.pseudoSubjects.groups} groups; by size ${bins}; largest ${r.pseudoSubjects.largest}`);
  }
  if (r.warning) lines.push(`WARNING: ${r.warning}`);
  else if (r.flagged.test > 0) lines.push(`the test split shares near-duplicates with train: test scores are optimistic by up to the share above (DataBunchOptions.dropTestDuplicates drops byte-identical ones)`);
  return lines.join('\n');
}
