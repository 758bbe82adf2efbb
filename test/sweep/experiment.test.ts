import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OptionError, SWEEP_EXPERIMENTS, loadJobFunction, resolveExperimentModule, runSweep } from '../../src/index.js';
import { main } from '../../src/cli/main.js';
import { tempDirs } from './temp.js';

const tempDir = tempDirs();

describe('sweep experiments', () => {
  it('resolves a registered name to its module in the checkout, and names what is wrong', async () => {
    expect(resolveExperimentModule({ name: 'transfer-seeds', export: 'sweepJob' })).toMatch(/scripts[/\\]jobs[/\\]transfer-seeds\.ts$/);
    expect(() => resolveExperimentModule({ name: 'nope', export: 'sweepJob' })).toThrow(/unknown experiment "nope" \(registered: transfer-seeds/);
    expect(() => resolveExperimentModule({ module: '/no/such/job.ts', export: 'default' })).toThrow(OptionError);
    const fixture = new URL('./fixtures/arith-job.ts', import.meta.url).pathname;
    await expect(loadJobFunction({ module: fixture, export: 'other' })).rejects.toThrow(/has no function export "other" \(function exports: default\)/);
    expect(Object.keys(SWEEP_EXPERIMENTS)).toContain('transfer-seeds');
  });

  it('runs the registered transfer-seeds job (a tiny fit on the synthetic cohort) in a local worker', async () => {
    const out = tempDir('sweep-fit-');
    const r = await runSweep({ experiment: 'transfer-seeds', settings: { list: [{ variant: 'scratch' }], base: { subjects: 24, size: 16, aeEpochs: 1, clfEpochs: 2, batchSize: 4, bootstrap: 20 } }, seeds: [0], out, codeVersion: 'test' }, { workers: 1, report: false });
    expect(r.summary.jobs).toEqual({ total: 1, done: 1, failed: 0, missing: 0 });
    const m = r.records[0].metrics;
    expect(Object.keys(m).sort()).toEqual(['accuracy', 'auc', 'balancedAccuracy', 'validBalancedAccuracy']);
    for (const v of Object.values(m)) expect(v >= 0 && v <= 1).toBe(true);
    // a bad setting is the job's OptionError, recorded with the key it names
    const bad = await runSweep({ experiment: 'transfer-seeds', settings: { list: [{ variant: 'scratch', epochs: 3 }] }, seeds: [0], out, codeVersion: 'test' }, { workers: 1, report: false });
    expect(bad.records[0]).toMatchObject({ status: 'failed', error: { name: 'OptionError' } });
    expect(bad.records[0].error!.message).toMatch(/settings\.epochs/);
  }, 240_000);

  it('transmri sweep: a schema error is one line naming the key and the file, exit code 2', async () => {
    const dir = tempDir('sweep-cli-');
    writeFileSync(join(dir, 'bad.yaml'), 'experiment: transfer-seeds\nseeds: 2\nsettings: { grid: { variant: scratch } }\n');
    let err = '';
    const code = await main(['node', 'transmri', 'sweep', join(dir, 'bad.yaml'), '--quiet'], (t) => (err += t));
    expect(code).toBe(2);
    expect(err).toMatch(/^transmri: option settings\.grid\.variant: .*\(in bad\.yaml\)\n$/);
  });
});
