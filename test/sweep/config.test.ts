import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, OptionError, expandJobs, jobKey, loadSweepConfig, parseSweepConfig } from '../../src/index.js';
import { tempDirs } from './temp.js';

const module = { module: '/x/job.ts' };
const tempDir = tempDirs();

describe('sweep config', () => {
  it('expands a grid (first key slowest) with base settings, seeds as a count, labels by the varying keys', () => {
    const c = parseSweepConfig({ experiment: module, settings: { grid: { lr: [1, 2], alpha: ['a', 'b'] }, base: { epochs: 3 } }, seeds: 2 }, 'test', '/base');
    expect(c.settings.map((s) => s.label)).toEqual(['lr=1, alpha=a', 'lr=1, alpha=b', 'lr=2, alpha=a', 'lr=2, alpha=b']);
    expect(c.settings[1].values).toEqual({ epochs: 3, lr: 1, alpha: 'b' });
    expect(c.seeds).toEqual([0, 1]);
    expect(c.baseline).toBe('lr=1, alpha=a');
    expect(c.out).toBe('/base/sweeps/job');
    expect(c.artefacts).toBe('/base/sweeps/job/artefacts');
    expect(c.experiment).toEqual({ module: '/x/job.ts', export: 'default' });
    // 4 settings x 2 seeds x 3 folds
    const jobs = expandJobs({ ...c, folds: 3 }, 'v1');
    expect(jobs).toHaveLength(24);
    expect(new Set(jobs.map((j) => j.key)).size).toBe(24);
    expect(jobs[0]).toMatchObject({ setting: 'lr=1, alpha=a', seed: 0, fold: 0, folds: 3, codeVersion: 'v1' });
  });

  it('names the key path of a schema problem, and the file', () => {
    expect(() => parseSweepConfig({ experiment: module, seeds: 2, setings: {} }, 'a.yaml')).toThrow(OptionError);
    expect(() => parseSweepConfig({ experiment: module, seeds: 2, setings: {} }, 'a.yaml')).toThrow(/option setings: unknown key in a\.yaml/);
    expect(() => parseSweepConfig({ experiment: module, seeds: 2, settings: { grid: { lr: 0.1 } } }, 'a.yaml')).toThrow(/option settings\.grid\.lr: .*array.*\(in a\.yaml\)/);
    expect(() => parseSweepConfig({ experiment: module, seeds: [1, 1] }, 'a.yaml')).toThrow(/option seeds: seeds must be distinct/);
    expect(() => parseSweepConfig({ experiment: module, seeds: 2, settings: { grid: { a: [1] }, list: [{}] } }, 'a.yaml')).toThrow(/either grid or list/);
    expect(() => parseSweepConfig({ experiment: module, seeds: 2, settings: { list: [{ a: 1 }, { a: 2 }] }, baseline: 'a=3' }, 'a.yaml')).toThrow(/option baseline: "a=3" is not a setting/);
    expect(() => parseSweepConfig({ experiment: module, seeds: 2, folds: 1 }, 'a.yaml')).toThrow(/option folds:/);
  });

  it('reads YAML, takes its name from the file and its paths from the file folder', () => {
    const dir = tempDir('sweep-config-');
    writeFileSync(join(dir, 'lr-search.yaml'), 'experiment: { module: ./job.ts }\nsettings: { list: [{ lr: 0.1 }, { lr: 0.3 }] }\nseeds: [3, 4]\nfolds: 2\n');
    const c = loadSweepConfig(join(dir, 'lr-search.yaml'));
    expect(c.name).toBe('lr-search');
    expect(c.experiment.module).toBe(join(dir, 'job.ts'));
    expect(c.out).toBe(join(dir, 'sweeps', 'lr-search'));
    expect(c.settings.map((s) => s.label)).toEqual(['lr=0.1', 'lr=0.3']);
    writeFileSync(join(dir, 'bad.yaml'), 'experiment: [\n');
    expect(() => loadSweepConfig(join(dir, 'bad.yaml'))).toThrow(DataError);
    expect(() => loadSweepConfig(join(dir, 'bad.txt'))).toThrow(/\.json, \.yaml or \.yml/);
  });

  it('keys a job by experiment, settings (any key order), seed, fold and code version', () => {
    const k = jobKey({ module: '/x/job.ts', export: 'default' }, { a: 1, b: { c: 2, d: 3 } }, 0, null, 'v1');
    expect(jobKey({ module: '/x/job.ts', export: 'default' }, { b: { d: 3, c: 2 }, a: 1 }, 0, null, 'v1')).toBe(k);
    expect(k).toMatch(/^[0-9a-f]{24}$/);
    for (const other of [
      jobKey({ module: '/x/job.ts', export: 'default' }, { a: 1, b: { c: 2, d: 3 } }, 0, null, 'v2'),
      jobKey({ module: '/x/job.ts', export: 'default' }, { a: 1, b: { c: 2, d: 3 } }, 1, null, 'v1'),
      jobKey({ module: '/x/job.ts', export: 'default' }, { a: 1, b: { c: 2, d: 3 } }, 0, 0, 'v1'),
      jobKey({ module: '/x/job.ts', export: 'default' }, { a: 2, b: { c: 2, d: 3 } }, 0, null, 'v1'),
      jobKey({ name: 'transfer-seeds', export: 'sweepJob' }, { a: 1, b: { c: 2, d: 3 } }, 0, null, 'v1'),
    ]) expect(other).not.toBe(k);
  });
});
