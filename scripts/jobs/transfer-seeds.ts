/**
 * One sweep job of the transfer-seeds experiment (registered as `transfer-seeds` in
 * src/sweep/experiments.ts): for the job's seed, the synthetic two-site cohort, then one site-B
 * classifier variant (transfer, unfrozen, multitask or scratch) trained as in scripts/transfer-seeds.ts.
 * Returns its site-B test balanced accuracy, AUC and accuracy.
 *
 *   experiment: transfer-seeds
 *   settings: { grid: { variant: [transfer, scratch] }, base: { subjects: 32, size: 16, aeEpochs: 4, clfEpochs: 6 } }
 *   seeds: 5
 */
import path from 'node:path';
import { z } from 'zod';
import { OptionError, initBackend } from '../../src/index.js';
import type { SweepJobContext, SweepJobResults } from '../../src/index.js';
import { pretrainCae, pretrainMultitask, trainScratch, trainTransfer, trainUnfrozen, type SiteClassifierConfig, type TrainedClassifier } from '../../src/index.js';
import { syntheticSites } from '../lib/synthetic-sites.js';

/** The job's settings and their defaults (those of scripts/transfer-seeds.ts). */
export const TransferSeedSettings = z.strictObject({
  variant: z.enum(['transfer', 'unfrozen', 'multitask', 'scratch']),
  subjects: z.number().int().min(8).default(64),
  size: z.number().int().min(8).default(32),
  aeEpochs: z.number().int().positive().default(20),
  clfEpochs: z.number().int().positive().default(40),
  batchSize: z.number().int().positive().default(8),
  flip: z.number().min(0).max(1).default(0.5),
  bootstrap: z.number().int().positive().default(200),
});

/** The sweep job. */
export async function sweepJob(settings: Record<string, unknown>, context: SweepJobContext): Promise<SweepJobResults> {
  const parsed = TransferSeedSettings.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path.map(String).join('.');
    throw new OptionError(`settings.${key}`, issue.message);
  }
  const s = parsed.data;
  await initBackend({ log: () => {} });
  const { siteA, siteB, inputShape } = await syntheticSites(path.join(context.artefactDir, 'data'), { seed: context.seed, subjects: s.subjects, size: s.size, flip: s.flip });
  const mc: SiteClassifierConfig = { seed: context.seed, inputShape, aeEpochs: s.aeEpochs, clfEpochs: s.clfEpochs, batchSize: s.batchSize, bootstrap: s.bootstrap };
  let trained: TrainedClassifier;
  let pretrainMse: number[] | undefined;
  if (s.variant === 'scratch') {
    trained = await trainScratch(siteB, mc);
  } else {
    const pre = s.variant === 'multitask' ? await pretrainMultitask(siteA, mc) : await pretrainCae(siteA, mc);
    pretrainMse = pre.validMse;
    trained = s.variant === 'unfrozen' ? await trainUnfrozen(pre.encoder, siteB, mc) : await trainTransfer(pre.encoder, siteB, mc);
    pre.dispose();
  }
  const m = trained.test.metrics!;
  context.log(`${s.variant}: test balanced accuracy ${m.balancedAccuracy.toFixed(3)}`);
  const results: SweepJobResults = { metrics: { balancedAccuracy: m.balancedAccuracy, auc: m.auc, accuracy: m.accuracy, validBalancedAccuracy: trained.validBa }, ...(pretrainMse ? { pretrainMse } : {}) };
  trained.learner.dispose();
  trained.model.dispose();
  return results;
}
