/**
 * The DataBunch's near-duplicate scan: thumbnails of every sample, the near-duplicate pairs
 * among them, and what they mean for the splits (contamination, pseudo-subject sizes).
 */
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { SplitName } from '../batch.js';
import { checkNearThreshold, contamination, DEFAULT_NEAR_THRESHOLD, nearDuplicatePairs, type NearPair, type SplitContamination } from './near-duplicates.js';
import { THUMBNAIL_SIZE, thumbnailsWithStats, type ThumbnailsOptions } from './thumbnails.js';

/** Options of the near-duplicate scan of a DataBunch (`DataBunchOptions.nearDuplicates`). */
export interface NearDuplicateOptions {
  /** Pearson r of the centred 32 × 32 grey thumbnails at or above which two samples are near-duplicates, in [0.5, 1]; default 0.98. */
  threshold?: number;
  /**
   * When to scan: 'auto' scans 2D image inputs (about 1 ms of decoding per image) and any input
   * split with `groupBy: 'nearDuplicates'`; true also scans volumes (each file read once, middle
   * slice); false never (no contamination lines; `groupBy: 'nearDuplicates'` is then an error).
   * Default 'auto'.
   */
  scan?: 'auto' | boolean;
}

/** Defaults of {@link NearDuplicateOptions}. */
export const DEFAULT_NEAR_DUPLICATES: Required<NearDuplicateOptions> = { threshold: DEFAULT_NEAR_THRESHOLD, scan: 'auto' };

/** A finished scan, over the DataBunch's samples in sample order. */
export interface NearScan {
  threshold: number;
  /** Near-duplicate pairs (sample indices) with their r. */
  pairs: NearPair[];
  /** Samples with a constant thumbnail (never paired). */
  constant: number[];
  /** Wall seconds of decoding and search. */
  seconds: number;
  /** Thumbnails read from the thumbnail cache instead of decoded (0 or absent without a cache). */
  fromCache?: number;
}

/** The near-duplicate scan and pseudo-subjects a DataBunch carries (and hands to its folds). */
export interface NearState {
  scan?: NearScan;
  /** Pseudo-subject of each sample (sample order) when the split was grouped by near-duplicates. */
  groupOf?: readonly string[];
}

/** Checks the options; returns them resolved. */
export function resolveNearOptions(options: NearDuplicateOptions | undefined): Required<NearDuplicateOptions> {
  rejectUnknownOptions('DataBunchOptions.nearDuplicates', options ?? {}, DEFAULT_NEAR_DUPLICATES);
  const opts = { ...DEFAULT_NEAR_DUPLICATES, ...options };
  checkNearThreshold('DataBunchOptions.nearDuplicates.threshold', opts.threshold);
  if (opts.scan !== 'auto' && opts.scan !== true && opts.scan !== false) throw new OptionError('DataBunchOptions.nearDuplicates.scan', `expected 'auto', true or false, got ${JSON.stringify(opts.scan)}`);
  return opts;
}

/**
 * Decodes the thumbnails of `files` (through the thumbnail cache when `thumbnailOptions.cacheDir`
 * is given) and finds the near-duplicate pairs.
 */
export async function scanNearDuplicates(files: readonly string[], threshold: number, thumbnailOptions: ThumbnailsOptions = {}): Promise<NearScan> {
  const t0 = performance.now();
  const { thumbs, fromCache } = await thumbnailsWithStats(files, thumbnailOptions);
  const { pairs, constant } = nearDuplicatePairs(thumbs, threshold);
  return { threshold, pairs, constant, seconds: (performance.now() - t0) / 1000, fromCache };
}

/** Per-split contamination of a scan for split ids (samples in no split count nowhere). */
export function scanContamination(scan: NearScan, sampleIds: readonly string[], splits: Readonly<Record<SplitName, readonly string[]>>): Record<'valid' | 'test', SplitContamination> {
  const split = new Map<string, SplitName>();
  for (const name of ['train', 'valid', 'test'] as const) for (const id of splits[name]) split.set(id, name);
  return contamination(sampleIds.map((id) => split.get(id)), scan.pairs);
}

/** Count of groups by size, in bins 1, 2, 3–5, 6–10, 11–50, > 50, and the largest. */
export function groupSizeSummary(groupOf: readonly string[]): { groups: number; bins: Record<string, number>; largest: number } {
  const sizes = new Map<string, number>();
  for (const g of groupOf) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  const bins: Record<string, number> = { '1': 0, '2': 0, '3-5': 0, '6-10': 0, '11-50': 0, '>50': 0 };
  let largest = 0;
  for (const n of sizes.values()) {
    largest = Math.max(largest, n);
    bins[n === 1 ? '1' : n === 2 ? '2' : n <= 5 ? '3-5' : n <= 10 ? '6-10' : n <= 50 ? '11-50' : '>50'] += 1;
  }
  return { groups: sizes.size, bins, largest };
}

/**
 * The lines printStats adds under the table: the scan (threshold, pairs, cost), the pseudo-subject
 * sizes when the split was grouped by near-duplicates, and the contamination per split with the
 * warning when validation is more contaminated than test.
 */
export function nearStatsLines(scan: NearScan, nSamples: number, c: Record<'valid' | 'test', SplitContamination>, grouping?: { groupOf: readonly string[] }, warning?: string): string[] {
  const lines = [
    `near-duplicates: Pearson r ≥ ${scan.threshold} of centred ${THUMBNAIL_SIZE}×${THUMBNAIL_SIZE} grey thumbnails: ${scan.pairs.length} pairs among ${nSamples} samples` +
      `${scan.constant.length > 0 ? ` (${scan.constant.length} blank, never paired)` : ''}; scan ${scan.seconds.toFixed(1)} s` +
      `${scan.fromCache ? ` (${scan.fromCache} thumbnails from the cache)` : ''}`,
  ];
  if (grouping) {
    const g = groupSizeSummary(grouping.groupOf);
    const bins = Object.entries(g.bins).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(', ');
    lines.push(`pseudo-subjects (split.groupBy 'nearDuplicates'): ${grouping.groupOf.length} regrouped samples in ${g.groups} groups; groups by size ${bins}; largest ${g.largest}`);
  }
  const pct = (x: SplitContamination): string => `${x.flagged}/${x.n} (${(100 * x.share).toFixed(1)} %)`;
  lines.push(`contamination (samples with a near-duplicate in train): valid ${pct(c.valid)}, test ${pct(c.test)}`);
  if (warning) lines.push(`WARNING: ${warning}`);
  return lines;
}
