/**
 * Seeded, grouped, stratified train/valid/test splits (pure functions).
 * See assign.ts for the algorithm.
 */
import { DataError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import type { SplitName } from '../batch.js';
import { assignGroups, type AssignGroup } from './assign.js';

/** The three split names in order. */
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'valid', 'test'];

/** One sample as the split functions see it. */
export interface SplitItem {
  /** Unique sample id. */
  id: string;
  /** Label (class name); null for an unlabelled sample (stratified as its own stratum). */
  label: string | null;
  /** Group key: the subject id. Samples of one group always share a split. */
  group: string;
  /** A split given by the user (a split column or a Testing folder); it wins over the fractions. */
  split?: SplitName;
  /** Where the sample came from, for error messages (e.g. `cohort.csv row 12`). */
  where?: string;
}

/** Options of {@link splitItems}. */
export interface SplitOptions {
  /** Fraction of the free (not user-assigned) samples that goes to validation; default 0.15. */
  valid?: number;
  /** Fraction of the free samples that goes to test; default 0.15. */
  test?: number;
  /** Seed of the split; default 42. */
  seed?: number;
  /**
   * What one group (a unit that never straddles two splits) is: 'subject' (the items' `group`) or
   * 'nearDuplicates' (pseudo-subjects for sets without subject ids: items joined by a
   * near-duplicate link, transitively, form one group together with their subjects; links that
   * touch a user-assigned item are ignored, so a given test folder stays the test set and only the
   * other items are regrouped). With 'nearDuplicates', {@link splitItems} needs the links
   * (DataBunch computes them: Pearson r of thumbnails ≥ `nearDuplicates.threshold`). Default 'subject'.
   */
  groupBy?: 'subject' | 'nearDuplicates';
}

/** Defaults of {@link SplitOptions}. */
export const DEFAULT_SPLIT: Required<SplitOptions> = { valid: 0.15, test: 0.15, seed: 42, groupBy: 'subject' };

/** Sample ids per split, each list sorted in item order. */
export type SplitIds = Record<SplitName, string[]>;

/**
 * Splits samples into train/valid/test: grouped by `group` (no subject in two splits),
 * stratified by label (each split's class counts within one sample of fraction × n_class
 * when groups hold one sample), seeded. User-assigned samples keep their split, and pull the
 * rest of their group with them.
 * @param links with `groupBy: 'nearDuplicates'`, pairs of item indices that are near-duplicates
 * @throws DataError when a split with a non-zero fraction ends empty or without some class,
 *   or when one group is assigned to two splits by the user
 * @example
 * const ids = splitItems(items, { valid: 0.2, test: 0.2, seed: 1 });
 * const grouped = splitItems(items, { groupBy: 'nearDuplicates' }, pairs); // pairs from nearDuplicatePairs
 */
export function splitItems(items: readonly SplitItem[], options: SplitOptions = {}, links?: ReadonlyArray<{ i: number; j: number }>): SplitIds {
  rejectUnknownOptions('SplitOptions', options, DEFAULT_SPLIT);
  const opts = { ...DEFAULT_SPLIT, ...options };
  checkFraction('valid', opts.valid);
  checkFraction('test', opts.test);
  if (opts.valid + opts.test >= 1) throw new OptionError('SplitOptions.valid + test', `must be < 1, got ${opts.valid + opts.test}`);
  if (opts.groupBy !== 'subject' && opts.groupBy !== 'nearDuplicates') throw new OptionError('SplitOptions.groupBy', `expected 'subject' or 'nearDuplicates', got ${JSON.stringify(opts.groupBy)}`);
  if (opts.groupBy === 'nearDuplicates') {
    if (links === undefined) throw new OptionError('SplitOptions.groupBy', "'nearDuplicates' needs the near-duplicate links (DataBunch computes them; or pass nearDuplicatePairs(...).pairs)");
    const groups = pseudoSubjects(items, links);
    items = items.map((it, k) => ({ ...it, group: groups[k] }));
  } else if (links !== undefined) {
    throw new OptionError('SplitOptions.groupBy', "links are only used with groupBy: 'nearDuplicates'");
  }

  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.id)) throw new DataError(`duplicate sample id "${it.id}"`, { file: it.where });
    seen.add(it.id);
  }
  const pinned = pinnedGroups(items);
  const strata = strataOf(items);
  const free = items.filter((it) => !pinned.has(it.group));
  const groups = buildGroups(free, strata);
  const weights = [1 - opts.valid - opts.test, opts.valid, opts.test];
  const placed = assignGroups(groups, weights, strata.size, (xs) => new Rng(opts.seed).fork('split').shuffle(xs));

  const out: SplitIds = { train: [], valid: [], test: [] };
  for (const it of items) {
    const split = pinned.get(it.group) ?? SPLIT_NAMES[placed.get(it.group) as number];
    out[split].push(it.id);
  }
  checkSplits(items, out, { train: weights[0], valid: weights[1], test: weights[2] }, free.length > 0);
  return out;
}

/**
 * Pseudo-subject of each item: the connected components of the graph whose edges join items of
 * one `group` and the near-duplicate `links` between items without a user-given split. Each
 * component is named by the group of its first item. Links touching a user-assigned item are
 * ignored (a given test folder must stay the test set, not pull training images along).
 */
export function pseudoSubjects(items: readonly SplitItem[], links: ReadonlyArray<{ i: number; j: number }>): string[] {
  const parent = Int32Array.from(items, (_, k) => k);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const union = (a: number, b: number): void => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const firstOfGroup = new Map<string, number>();
  items.forEach((it, k) => {
    const first = firstOfGroup.get(it.group);
    if (first === undefined) firstOfGroup.set(it.group, k);
    else union(first, k);
  });
  for (const { i, j } of links) {
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < items.length && j < items.length)) {
      throw new OptionError('splitItems links', `expected item indices in 0..${items.length - 1}, got (${i}, ${j})`);
    }
    if (items[i].split === undefined && items[j].split === undefined) union(i, j);
  }
  return items.map((_, k) => items[find(k)].group);
}

/** Groups with a user-given split; a group given two different splits is an error. */
function pinnedGroups(items: readonly SplitItem[]): Map<string, SplitName> {
  const pinned = new Map<string, SplitName>();
  const firstWhere = new Map<string, string | undefined>();
  for (const it of items) {
    if (it.split === undefined) continue;
    if (!SPLIT_NAMES.includes(it.split)) throw new DataError(`unknown split "${it.split}" (expected train, valid, test)`, { file: it.where, column: 'split' });
    const prev = pinned.get(it.group);
    if (prev !== undefined && prev !== it.split) {
      throw new DataError(
        `subject "${it.group}" is given split "${it.split}" here and "${prev}" at ${firstWhere.get(it.group) ?? 'another row'}: one subject in two splits leaks`,
        { file: it.where, column: 'split' },
      );
    }
    pinned.set(it.group, it.split);
    firstWhere.set(it.group, it.where);
  }
  return pinned;
}

/** Stratum index per label, in sorted label order (null last). */
export function strataOf(items: readonly { label: string | null }[]): Map<string | null, number> {
  const labels = [...new Set(items.map((it) => it.label))];
  labels.sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
  return new Map(labels.map((l, i) => [l, i]));
}

/** Groups in sorted key order with their per-stratum counts. */
export function buildGroups(items: readonly { label: string | null; group: string }[], strata: Map<string | null, number>): AssignGroup[] {
  const byKey = new Map<string, Map<number, number>>();
  for (const it of items) {
    let counts = byKey.get(it.group);
    if (!counts) byKey.set(it.group, (counts = new Map()));
    const c = strata.get(it.label) as number;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return [...byKey.keys()].sort().map((key) => ({ key, counts: byKey.get(key) as Map<number, number> }));
}

function checkFraction(name: string, v: number): void {
  if (!(typeof v === 'number' && v >= 0 && v < 1)) throw new OptionError(`SplitOptions.${name}`, `must be a number in [0, 1), got ${v}`);
}

/** Label counts of a list of items, labels sorted. */
export function labelCounts(items: readonly { label: string | null }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) {
    const key = it.label ?? '(none)';
    out[key] = (out[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function formatCounts(c: Record<string, number>): string {
  return `{${Object.entries(c).map(([k, v]) => `${k}: ${v}`).join(', ')}}`;
}

/** Every split with a non-zero share must be non-empty and hold every class. */
function checkSplits(items: readonly SplitItem[], out: SplitIds, weights: Record<SplitName, number>, anyFree: boolean): void {
  const byId = new Map(items.map((it) => [it.id, it]));
  const all = labelCounts(items.filter((it) => it.label !== null));
  const summary = SPLIT_NAMES.map((s) => `${s} ${formatCounts(labelCounts(out[s].map((id) => byId.get(id) as SplitItem)))}`).join('; ');
  for (const s of SPLIT_NAMES) {
    const wanted = (anyFree && weights[s] > 0) || items.some((it) => it.split === s);
    if (!wanted) continue;
    const counts = labelCounts(out[s].map((id) => byId.get(id) as SplitItem));
    if (out[s].length === 0) throw new DataError(`split ${s} is empty (fraction ${weights[s]} of ${items.length} samples); counts: ${summary}`);
    const missing = Object.keys(all).filter((label) => !(counts[label] > 0));
    if (missing.length > 0) {
      throw new DataError(
        `split ${s} has no sample of class ${missing.join(', ')} (class totals ${formatCounts(all)}, fraction ${weights[s]}); counts: ${summary}`,
      );
    }
  }
}
