import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { OptionError, SWEEP_EXPERIMENTS, loadJobFunction, resolveExperimentModule, runSweep } from '../../src/index.js';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/sweep/experiments.js';
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

  it('resolves a registered name in a compiled package to dist/scripts/<script>.js, and says what is missing', () => {
    const root = tempDir('sweep-pkg-');
    writeFileSync(join(root, 'package.json'), '{ "name": "transmri", "type": "module" }\n');
    mkdirSync(join(root, 'dist', 'src', 'sweep'), { recursive: true });
    expect(packageRoot(join(root, 'dist', 'src', 'sweep'))).toBe(root);
    const ref = { name: 'transfer-seeds', export: 'sweepJob' };
    expect(() => resolveExperimentModule(ref, { root, compiled: true })).toThrow(/transfer-seeds: .*dist[/\\]scripts[/\\]jobs[/\\]transfer-seeds\.js is missing \(this transmri runs compiled: its build must include scripts\/ \(npm run build emits dist\/scripts\/\)\)/);
    mkdirSync(join(root, 'dist', 'scripts', 'jobs'), { recursive: true });
    writeFileSync(join(root, 'dist', 'scripts', 'jobs', 'transfer-seeds.js'), 'export function sweepJob() { return { metrics: { x: 1 } }; }\n');
    expect(resolveExperimentModule(ref, { root, compiled: true })).toBe(join(root, 'dist', 'scripts', 'jobs', 'transfer-seeds.js'));
    expect(() => resolveExperimentModule(ref, { root, compiled: false })).toThrow(/scripts[/\\]jobs[/\\]transfer-seeds\.ts is missing \(the source checkout has no such script\)/);
    expect(() => packageRoot(tempDir('sweep-nopkg-'))).toThrow(/no transmri package\.json above/);
  });

  it('under plain node (compiled transmri, no TypeScript loader): registered names load from dist/scripts, .mjs modules load, .ts modules need tsx', async () => {
    // the experiments module compiled into a package layout outside the checkout, run by node without tsx
    const root = tempDir('sweep-installed-');
    writeFileSync(join(root, 'package.json'), '{ "name": "transmri", "type": "module" }\n');
    const compiled = join(root, 'dist', 'src', 'sweep', 'experiments.js');
    await build({ entryPoints: [fileURLToPath(new URL('../../src/sweep/experiments.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: compiled, logLevel: 'silent' });
    mkdirSync(join(root, 'dist', 'scripts', 'jobs'), { recursive: true });
    writeFileSync(join(root, 'dist', 'scripts', 'jobs', 'transfer-seeds.js'), 'export function sweepJob(settings) { return { metrics: { x: settings.a + 1 } }; }\n');
    const user = tempDir('sweep-user-');
    writeFileSync(join(user, 'job.mjs'), 'export default (settings) => ({ metrics: { y: settings.a * 2 } });\n');
    writeFileSync(join(user, 'job.ts'), 'export default (settings: { a: number }) => ({ metrics: { z: settings.a } });\n');
    const inRepo = fileURLToPath(new URL('./fixtures/arith-job.ts', import.meta.url));
    const script = `
      const { loadJobFunction, resolveExperimentModule } = await import(${JSON.stringify(compiled)});
      const out = {};
      out.registeredFile = resolveExperimentModule({ name: 'transfer-seeds', export: 'sweepJob' });
      out.registered = (await loadJobFunction({ name: 'transfer-seeds', export: 'sweepJob' }))({ a: 2 }).metrics;
      out.mjs = (await loadJobFunction({ module: ${JSON.stringify(join(user, 'job.mjs'))}, export: 'default' }))({ a: 2 }).metrics;
      try { await loadJobFunction({ module: ${JSON.stringify(join(user, 'job.ts'))}, export: 'default' }); out.ts = 'loaded'; } catch (e) { out.ts = e.name + ': ' + e.message; }
      // a .ts module where tsx can be found (this checkout's node_modules): tsx is registered, the module loads
      out.tsInRepo = typeof (await loadJobFunction({ module: ${JSON.stringify(inRepo)}, export: 'default' }));
      console.log(JSON.stringify(out));
    `;
    const env = { ...process.env, NODE_OPTIONS: '' };
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env, encoding: 'utf8' }).trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(out.registeredFile).toBe(join(root, 'dist', 'scripts', 'jobs', 'transfer-seeds.js'));
    expect(out.registered).toEqual({ x: 3 });
    expect(out.mjs).toEqual({ y: 4 });
    expect(out.ts).toBe(`OptionError: option experiment.module: ${join(user, 'job.ts')} is TypeScript and this process has no TypeScript loader: install tsx where the worker runs (npm install tsx), start node with --import tsx, or compile the module to .js/.mjs`);
    expect(out.tsInRepo).toBe('function');
  }, 60_000);

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
