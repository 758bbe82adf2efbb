/**
 * Transfer vs scratch on the demo's synthetic two-site cohort, over several seeds: for each seed a
 * new cohort, the CAE pretrained on site A, and four classifiers on site B's few labelled subjects
 * (transfer: frozen encoder; unfrozen: then fine-tuned; multitask: encoder pretrained with site A's
 * labels; scratch), trained for the same number of epochs; site-B test balanced accuracy as
 * mean ± sd over the seeds, with paired differences to scratch, in results.json and table.md.
 * Results: docs/experiments/transfer-seeds.md.
 *
 *   npx tsx scripts/transfer-seeds.ts --help
 *   TRANSMRI_THREADS=1 npm run transfer-seeds -- --seeds 0,1,2,3,4
 */
import path from 'node:path';
import { initBackend } from '../src/index.js';
import { parseCli, parseList, parseSeeds } from './lib/cli.js';
import { classScores, classScoresTable, confusionText, recallText, type ClassScores } from '../src/index.js';
import { isEntryPoint, markdownTable, writeResultsAndTable } from './lib/experiment.js';
import { backendForReport } from '../src/index.js';
import { formatMeanSd, pairedDifference, seedSummary, winTieLoss, type SeedSummary } from '../src/index.js';
import { classifierEpochs, pretrainCae, pretrainMultitask, trainScratch, trainTransfer, trainUnfrozen, type SiteClassifierConfig, type TrainedClassifier } from '../src/index.js';
import { syntheticSites } from './lib/synthetic-sites.js';

const spec = {
  name: 'scripts/transfer-seeds.ts',
  description: 'transfer (frozen, unfrozen, multitask) vs scratch on the synthetic two-site cohort, mean ± sd over seeds',
  defaults: { seed: -1, seeds: '0,1,2,3,4', out: 'out/transfer-seeds', subjects: 64, size: 32, aeEpochs: 20, clfEpochs: 40, batchSize: 8, flip: 0.5, bootstrap: 200, variants: 'transfer,unfrozen,multitask,scratch' },
  options: {
    seed: { type: 'number', help: 'run this one seed only (overrides --seeds); -1 = use --seeds' },
    seeds: { type: 'string', help: 'comma-separated seeds (cohort, splits, initialisation, training)' },
    out: { type: 'string', help: 'output folder (per-seed cohorts and caches, results.json, table.md)' },
    subjects: { type: 'number', help: 'subjects per cohort (two sessions each, half on each site)' },
    size: { type: 'number', help: 'volume edge in voxels' },
    aeEpochs: { type: 'number', help: 'epochs of pretraining on site A (CAE and multitask)' },
    clfEpochs: { type: 'number', help: 'base epochs of each site-B classifier (each trains clfEpochs + ceil(clfEpochs/3), as the demo)' },
    batchSize: { type: 'number', help: 'samples per batch' },
    flip: { type: 'number', help: 'probability of the left-right flip augmentation (the demo: 0.5)' },
    bootstrap: { type: 'number', help: 'bootstrap resamples of the per-seed test intervals' },
    variants: { type: 'string', help: 'comma-separated subset of transfer, unfrozen, multitask, scratch' },
  },
} as const;

/** The script's configuration (see --help). */
export type TransferSeedsConfig = { -readonly [K in keyof typeof spec.defaults]: (typeof spec.defaults)[K] extends number ? number : string };

const VARIANTS = ['transfer', 'unfrozen', 'multitask', 'scratch'] as const;
type Variant = (typeof VARIANTS)[number];

/** One seed's numbers. */
export interface TransferSeedRow {
  seed: number;
  /** Site-A validation reconstruction MSE, first and last pretraining epoch. */
  pretrainMse: [number, number];
  /** Multitask pretraining: site-A validation balanced accuracy of its own head. */
  multitaskSiteABa?: number;
  /** Per variant: site-B test balanced accuracy, AUC, accuracy, per-class recall and confusion matrix, and validation balanced accuracy. */
  variants: Partial<Record<Variant, { balancedAccuracy: number; auc: number; accuracy: number; validBalancedAccuracy: number; seconds: number } & ClassScores>>;
  seconds: number;
}

/** What results.json holds. */
export interface TransferSeedsResults {
  config: TransferSeedsConfig;
  /** Class names, in the order of every recall and confusion row and column. */
  classes: string[];
  seeds: number[];
  perSeed: TransferSeedRow[];
  /** Test balanced accuracy per variant over the seeds. */
  summary: Partial<Record<Variant, SeedSummary>>;
  /** Variant minus scratch, per seed, with mean ± sd and win/tie/loss counts. */
  vsScratch: Partial<Record<Variant, SeedSummary & { wins: number; ties: number; losses: number }>>;
  backend: Record<string, unknown>;
  seconds: number;
}

function row(t: TrainedClassifier, seconds: number) {
  const m = t.test.metrics!;
  return { balancedAccuracy: m.balancedAccuracy, auc: m.auc, accuracy: m.accuracy, validBalancedAccuracy: t.validBa, seconds, ...classScores(m) };
}

function release(t: TrainedClassifier): void {
  t.learner.dispose();
  t.model.dispose();
}

/** Runs every seed; returns what it wrote to results.json (table.md beside it). */
export async function runTransferSeeds(cfg: TransferSeedsConfig, log: (line: string) => void = console.log): Promise<TransferSeedsResults> {
  const t0 = Date.now();
  const seeds = cfg.seed >= 0 ? parseSeeds(cfg.seed) : parseSeeds(cfg.seeds);
  const variants = parseList('--variants', cfg.variants, VARIANTS);
  const backend = await initBackend({ log });
  const out = path.resolve(cfg.out);
  const perSeed: TransferSeedRow[] = [];
  let classes: string[] = [];
  for (const seed of seeds) {
    const ts = Date.now();
    const { siteA, siteB, inputShape } = await syntheticSites(path.join(out, `seed-${seed}`), { seed, subjects: cfg.subjects, size: cfg.size, flip: cfg.flip });
    classes = [...siteB.classes];
    const mc: SiteClassifierConfig = { seed, inputShape, aeEpochs: cfg.aeEpochs, clfEpochs: cfg.clfEpochs, batchSize: cfg.batchSize, bootstrap: cfg.bootstrap };
    const r: TransferSeedRow = { seed, pretrainMse: [NaN, NaN], variants: {}, seconds: 0 };
    const run = async (name: Variant, train: () => Promise<TrainedClassifier>): Promise<void> => {
      const tv = Date.now();
      const t = await train();
      r.variants[name] = row(t, (Date.now() - tv) / 1000);
      release(t);
      const v = r.variants[name]!;
      log(`   seed ${seed} ${name.padEnd(9)} test BA ${v.balancedAccuracy.toFixed(3)} (valid ${t.validBa.toFixed(3)}, ${v.seconds.toFixed(0)} s); recall ${recallText(siteB.classes, v)}, confusion ${confusionText(v.confusion)}`);
    };
    if (variants.includes('transfer') || variants.includes('unfrozen')) {
      const ae = await pretrainCae(siteA, mc);
      r.pretrainMse = [ae.validMse[0], ae.validMse[ae.validMse.length - 1]];
      log(`   seed ${seed} CAE on site A: valid MSE ${r.pretrainMse[0].toFixed(4)} → ${r.pretrainMse[1].toFixed(4)}`);
      if (variants.includes('transfer')) await run('transfer', () => trainTransfer(ae.encoder, siteB, mc));
      if (variants.includes('unfrozen')) await run('unfrozen', () => trainUnfrozen(ae.encoder, siteB, mc));
      ae.dispose();
    }
    if (variants.includes('multitask')) {
      const mt = await pretrainMultitask(siteA, mc);
      r.multitaskSiteABa = mt.siteAValidBa;
      await run('multitask', () => trainTransfer(mt.encoder, siteB, mc));
      mt.dispose();
    }
    if (variants.includes('scratch')) await run('scratch', () => trainScratch(siteB, mc));
    r.seconds = (Date.now() - ts) / 1000;
    perSeed.push(r);
  }
  const ba = (v: Variant): number[] => perSeed.map((r) => r.variants[v]!.balancedAccuracy);
  const summary: TransferSeedsResults['summary'] = {};
  const vsScratch: TransferSeedsResults['vsScratch'] = {};
  for (const v of variants) {
    summary[v] = seedSummary(ba(v));
    if (v !== 'scratch' && variants.includes('scratch')) vsScratch[v] = { ...seedSummary(pairedDifference(ba(v), ba('scratch'))), ...winTieLoss(ba(v), ba('scratch')) };
  }
  const results: TransferSeedsResults = { config: cfg, classes, seeds, perSeed, summary, vsScratch, backend: backendForReport(backend), seconds: (Date.now() - t0) / 1000 };
  await writeResultsAndTable(out, results, tableMarkdown(results, variants), log);
  log(`Results: ${path.join(out, 'results.json')} (${results.seconds.toFixed(0)} s)`);
  return results;
}

/** The Markdown table: mean ± sd per variant, difference to scratch, per-seed values. */
export function tableMarkdown(results: TransferSeedsResults, variants: readonly Variant[]): string {
  const c = results.config;
  const head = ['variant', `test balanced accuracy, mean ± sd (${results.seeds.length} seeds)`, 'minus scratch, mean ± sd', 'better / tie / worse than scratch', ...results.seeds.map((s) => `seed ${s}`)];
  const perClass = classScoresTable(
    results.classes ?? [],
    variants.map((v) => ({ name: v, runs: results.perSeed.map((r) => r.variants[v]) })),
  );
  const rows = variants.map((v) => {
    const d = results.vsScratch[v];
    return [v, formatMeanSd(results.summary[v]!), d ? formatMeanSd(d) : '', d ? `${d.wins} / ${d.ties} / ${d.losses}` : '', ...results.summary[v]!.values.map((x) => x.toFixed(3))];
  });
  return [
    `Site-B test balanced accuracy on the synthetic two-site cohort (${c.subjects} subjects × 2 sessions, ${c.size}³, flip p=${c.flip}); ` +
      `pretraining ${c.aeEpochs} epochs on site A, every classifier ${classifierEpochs(c.clfEpochs)} epochs on site B, batch ${c.batchSize}; ` +
      `seeds ${results.seeds.join(', ')}; ${results.seconds.toFixed(0)} s.`,
    '',
    markdownTable(head, rows),
    '',
    ...(perClass ? [`Per-class test recall (mean ± sd over ${results.seeds.length} seeds) and confusion matrices (summed over the seeds):`, '', perClass, ''] : []),
  ].join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const cfg = parseCli({ ...spec, defaults: { ...spec.defaults }, options: { ...spec.options } });
  runTransferSeeds(cfg).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
}
