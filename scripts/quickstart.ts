/**
 * The README's quick start, kept compiling by the typecheck (run: npx tsx scripts/quickstart.ts).
 * test/readme-quickstart.test.ts runs the README's own block as written and checks its output.
 */
import { initBackend, writeCohort, DataBunch, autoencoderLearner, classifierLearnerFromEncoder, type PipelineSpec } from '../src/index.js';

await initBackend(); // logs the backend and why
const { csvPath } = await writeCohort('out/quickstart/cohort', { seed: 0, subjects: 64 }); // a synthetic two-site cohort, or your own CSV
const pipeline: PipelineSpec = { steps: [{ op: 'zScore', nonzero: true }, { op: 'flip', axes: [0], p: 0.5 }] };
const bunch = await DataBunch.fromCsv(csvPath, { pipeline, seed: 0, split: { valid: 0.2, test: 0.2 } }); // one seed for the whole run
bunch.printStats(); // per split: samples, subjects, labels
const ae = autoencoderLearner(bunch, { l1Weight: 1e-4 }); // the paper's CAE, seeded by the bunch
await ae.fit(10, { lr: 3e-3, schedule: 'oneCycle' }); // pretrain it without labels
const clf = classifierLearnerFromEncoder(ae, bunch); // encoder copied, frozen first
await clf.fit(5); // the new head alone
clf.unfreeze();
await clf.fit(40, { lr: 1e-3, schedule: 'oneCycle' }); // then the whole network
const { metrics } = await clf.predict('test'); // balanced accuracy, AUC, CIs, confusion, ...
console.log(`test balanced accuracy ${metrics!.balancedAccuracy.toFixed(3)}, AUC ${metrics!.auc.toFixed(3)}`);
