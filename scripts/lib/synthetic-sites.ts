/**
 * The demo's two-site setting, shared by the multi-seed experiment scripts: a synthetic cohort
 * written under `dir`, a DataBunch for site A (pretraining, labels only used by the multitask
 * variant) and one for site B (few labelled subjects), with the demo's pipeline
 * (z-score over the brain, left-right flip with p = 0.5) and splits (grouped by subject).
 */
import path from 'node:path';
import { DataBunch, writeCohort } from '../../src/index.js';

/** What {@link syntheticSites} needs. */
export interface SyntheticSitesConfig {
  /** Seed of the cohort, the splits and the augmentation. */
  seed: number;
  /** Subjects in the cohort (two sessions each, half on each site). */
  subjects: number;
  /** Volume edge in voxels. */
  size: number;
  /** Probability of the left-right flip augmentation (the demo: 0.5). */
  flip: number;
  /** Range [lo, hi] of the disease severity, uniform (the cohort's `severity`); default the cohort's, [0.5, 1]. */
  severity?: [number, number];
}

/** The two sites' DataBunches. */
export interface SyntheticSites {
  siteA: DataBunch;
  siteB: DataBunch;
  /** [size, size, size, 1]. */
  inputShape: [number, number, number, number];
}

/** Site A: 20 % valid, 20 % test; site B: 25 % valid, 40 % test (the demo's splits). */
export const SITE_SPLITS = { A: { valid: 0.2, test: 0.2 }, B: { valid: 0.25, test: 0.4 } } as const;

/**
 * Writes the cohort of `cfg.seed` into `dir/cohort` (cache in `dir/cache`) and opens both sites.
 * @example const { siteA, siteB } = await syntheticSites('out/x/seed-0', { seed: 0, subjects: 64, size: 32, flip: 0.5 });
 */
export async function syntheticSites(dir: string, cfg: SyntheticSitesConfig): Promise<SyntheticSites> {
  const severity = cfg.severity === undefined ? {} : { severity: cfg.severity };
  const { csvPath } = await writeCohort(path.join(dir, 'cohort'), { seed: cfg.seed, subjects: cfg.subjects, shape: [cfg.size, cfg.size, cfg.size], ...severity });
  const common = { pipeline: pipeline(cfg.flip), seed: cfg.seed, cacheDir: path.join(dir, 'cache') };
  const siteA = await DataBunch.fromCsv(csvPath, { ...common, filter: (r) => r.site === 'A', split: { ...SITE_SPLITS.A, seed: cfg.seed } });
  const siteB = await DataBunch.fromCsv(csvPath, { ...common, filter: (r) => r.site === 'B', split: { ...SITE_SPLITS.B, seed: cfg.seed } });
  return { siteA, siteB, inputShape: [cfg.size, cfg.size, cfg.size, 1] };
}

function pipeline(flip: number) {
  const steps = flip > 0 ? [{ op: 'zScore' as const, nonzero: true }, { op: 'flip' as const, axes: [0], p: flip }] : [{ op: 'zScore' as const, nonzero: true }];
  return { input: { kind: 'nifti' as const }, steps };
}

/** Offset of the seed of the transfer pool's cohort, so its subjects are new ones, never those of `syntheticSites`. */
export const POOL_SEED_OFFSET = 1_000_003;

/**
 * A pool of further site-B subjects (two sessions each) from the same population, for use without
 * their labels (a distillation's transfer set): a second cohort, seeded `cfg.seed + POOL_SEED_OFFSET`,
 * of 2·`subjects` subjects written into `dir/pool`, of which site B's scans are returned, all in the
 * 'train' split, with the sites' pipeline. Sites alternate within each class, so site B holds
 * `subjects` of them when `subjects` is even. Returns undefined for 0 subjects.
 */
export async function syntheticPool(dir: string, cfg: SyntheticSitesConfig & { subjects: number }): Promise<DataBunch | undefined> {
  if (cfg.subjects === 0) return undefined;
  const severity = cfg.severity === undefined ? {} : { severity: cfg.severity };
  const seed = cfg.seed + POOL_SEED_OFFSET;
  const { csvPath } = await writeCohort(path.join(dir, 'pool', 'cohort'), { seed, subjects: 2 * cfg.subjects, shape: [cfg.size, cfg.size, cfg.size], ...severity });
  return DataBunch.fromCsv(csvPath, { pipeline: pipeline(cfg.flip), seed, cacheDir: path.join(dir, 'pool', 'cache'), filter: (r) => r.site === 'B', split: { valid: 0, test: 0, seed } });
}
