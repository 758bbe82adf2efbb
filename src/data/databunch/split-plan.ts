/**
 * The split plan of a DataBunch: which sample goes to train, valid and test. Subject-grouped
 * splits (by near-duplicate pseudo-subjects with `split.groupBy: 'nearDuplicates'`), test files
 * byte-identical to train/valid dropped on request, training undersampled on request, and the
 * warnings a user needs (no subject ids, validation more contaminated than test).
 */
import { OptionError } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import type { SplitName } from '../batch.js';
import { undersample } from './balance.js';
import { commonDir, defaultCacheDir } from './cache-location.js';
import { crossSplitPairs, fileHashes, idsPairedWith } from './leakage.js';
import { contaminationWarning } from './near-duplicates.js';
import { resolveNearOptions, scanContamination, scanNearDuplicates, type NearState } from './near-scan.js';
import type { DataBunchRow, DataBunchSample, ResolvedOptions } from './rows.js';
import { pseudoSubjects, SPLIT_NAMES, splitItems, type SplitIds } from './splits.js';

/**
 * Splits resolved samples as the options say; warnings go to `opts.onWarning`.
 * @param rows the rows as given (only their `subject` is read: none given means a warning)
 * @returns the split ids and the near-duplicate scan with its pseudo-subjects (when it ran)
 * @throws OptionError for `groupBy: 'nearDuplicates'` with `nearDuplicates.scan: false`
 */
export async function planSplits(rows: readonly DataBunchRow[], samples: readonly DataBunchSample[], classes: readonly string[], opts: ResolvedOptions): Promise<{ splits: SplitIds; near: NearState }> {
  if (samples.every((s, i) => rows[i].subject === undefined)) {
    opts.onWarning(
      opts.split.groupBy === 'nearDuplicates'
        ? `DataBunch: the ${samples.length} samples have no subject ids; near-duplicate images are split together as pseudo-subjects, ` +
            'but dissimilar images of one subject (distant slices, other sessions) can still fall on both sides of a split'
        : `DataBunch: the ${samples.length} samples have no subject ids, so each is split on its own; if several come from one subject ` +
            '(slices, sessions, augmented copies), that subject can fall on both sides of a split and the scores will be optimistic; ' +
            "split: { groupBy: 'nearDuplicates' } groups near-duplicate images into pseudo-subjects",
    );
  }
  const near = resolveNearOptions(opts.nearDuplicates);
  const grouped = opts.split.groupBy === 'nearDuplicates';
  if (grouped && near.scan === false) throw new OptionError('DataBunchOptions.nearDuplicates.scan', "is false, but split.groupBy 'nearDuplicates' needs the scan");
  const inputKind = (opts.pipeline as { input?: { kind?: string } }).input?.kind;
  const files = samples.map((s) => s.file);
  // thumbnails are cached in the sample cache's folder (fitPipeline warns about its location when it picks the default)
  const cacheDir = async (): Promise<string> => opts.cacheDir ?? (await defaultCacheDir(commonDir(files), () => {}));
  const scan = near.scan === true || (near.scan === 'auto' && (grouped || inputKind === 'image2d')) ? await scanNearDuplicates(files, near.threshold, { cacheDir: await cacheDir(), onMessage: opts.onWarning }) : undefined;
  const items = samples.map((s) => ({ id: s.id, label: s.label, group: s.subject, split: s.split, where: s.where }));
  const splits = splitItems(items, opts.split, grouped ? scan?.pairs : undefined);
  const groupOf = grouped && scan ? pseudoSubjects(items, scan.pairs) : undefined;
  if (opts.dropTestDuplicates) {
    const hashes = await fileHashes(samples.map((s) => s.file));
    const split = new Map(SPLIT_NAMES.flatMap((n) => splits[n].map((id) => [id, n] as const)));
    const dups = new Set(idsPairedWith(crossSplitPairs(samples.map((s) => ({ id: s.id, file: s.file, split: split.get(s.id) as SplitName })), hashes), 'test', ['train', 'valid']));
    if (dups.size > 0) opts.onWarning(`DataBunch: dropped ${dups.size} of ${splits.test.length} test samples that are byte-identical to a train or valid sample`);
    splits.test = splits.test.filter((id) => !dups.has(id));
  }
  if (opts.balance === 'undersample') {
    const train = splits.train.map((id) => samples.find((s) => s.id === id) as DataBunchSample);
    const kept = undersample(train.map((s) => classes.indexOf(s.label as string)), new Rng(opts.seeds.balance ?? opts.seed).fork('undersample'));
    splits.train = kept.map((i) => train[i].id);
  }
  const warning = scan ? contaminationWarning(scanContamination(scan, samples.map((s) => s.id), splits)) : undefined;
  if (warning) opts.onWarning(`DataBunch: ${warning}`);
  return { splits, near: { scan, groupOf } };
}
