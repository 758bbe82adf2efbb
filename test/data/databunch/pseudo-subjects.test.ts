import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OptionError } from '../../../src/backend/errors.js';
import { DataBunch } from '../../../src/data/databunch/databunch.js';
import { pseudoSubjects, splitItems, type SplitItem } from '../../../src/data/databunch/splits.js';
import { png, slice } from '../../helpers/synthetic-slices.js';

/**
 * A slice set without subject ids: 12 training "subjects" (6 per class) of 5 neighbouring slices
 * each (levels 0, 0.5, …, 2: consecutive slices have r ≈ 0.995, other subjects r < 0.97), and a
 * test folder with 2 new subjects plus one slice of training subject 1 (level 0.25).
 */
const LEVELS = [0, 0.5, 1, 1.5, 2];
let root: string;
let cacheDir: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-pseudo-'));
  cacheDir = path.join(root, 'cache');
  const write = async (rel: string, px: Uint8Array): Promise<void> => {
    const file = path.join(root, 'set', rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, await png(px, 64));
  };
  for (let s = 1; s <= 12; s++) for (const l of LEVELS) await write(`Training/${s <= 6 ? 'a' : 'b'}/s${s}-l${l}.png`, slice(s, l, 64));
  for (const [s, cls] of [[13, 'a'], [14, 'b']] as const) for (const l of LEVELS) await write(`Testing/${cls}/s${s}-l${l}.png`, slice(s, l, 64));
  await write('Testing/a/leak-s1.png', slice(1, 0.25, 64));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const subjectOf = (id: string): string => (/s(\d+)-/.exec(id) as RegExpExecArray)[1];

describe("split: { groupBy: 'nearDuplicates' }", () => {
  it('without grouping, valid shares subjects with train: contamination is shown and a warning says valid is more contaminated than test', async () => {
    const warnings: string[] = [];
    const bunch = await DataBunch.fromFolder(path.join(root, 'set'), { cacheDir, split: { valid: 0.3, seed: 1 }, onWarning: (m) => warnings.push(m) });
    const stats = bunch.stats();
    const valid = stats.find((s) => s.split === 'valid')?.nearDuplicateInTrain;
    const test = stats.find((s) => s.split === 'test')?.nearDuplicateInTrain;
    // test: only the planted slice of subject 1 has a near-duplicate in train: 1 of 11
    expect(test).toEqual({ n: 11, flagged: 1, share: 1 / 11 });
    expect(valid?.n).toBe(18);
    expect(valid?.flagged).toBeGreaterThan(10); // 18 random slices of 12 five-slice subjects: nearly all have a neighbour in train
    expect(warnings.join('\n')).toMatch(/validation is more contaminated than test/);
    const text = bunch.printStats(() => {});
    expect(text).toMatch(/near-dup in train/);
    expect(text).toMatch(/contamination \(samples with a near-duplicate in train\): valid \d+\/18 .*, test 1\/11 \(9\.1 %\)/);
    expect(text).toMatch(/WARNING: validation is more contaminated than test/);
  });

  it('joins each subject\'s slices into one pseudo-subject: no component crosses train/valid, the test folder stays the test set', async () => {
    const warnings: string[] = [];
    const bunch = await DataBunch.fromFolder(path.join(root, 'set'), { cacheDir, split: { valid: 0.3, seed: 1, groupBy: 'nearDuplicates' }, onWarning: (m) => warnings.push(m) });
    expect(bunch.splits.test.every((id) => id.startsWith('Testing/'))).toBe(true);
    expect(bunch.size('test')).toBe(11);
    // every training subject (5 slices, a chain of near-duplicates) is on one side
    const sideOf = new Map<string, Set<string>>();
    for (const split of ['train', 'valid'] as const) for (const id of bunch.splits[split]) sideOf.set(subjectOf(id), new Set([...(sideOf.get(subjectOf(id)) ?? []), split]));
    expect([...sideOf.values()].every((s) => s.size === 1)).toBe(true);
    // 12 subjects × 0.3 = 3.6: stratified by class, 2 subjects per class go to valid (20 slices)
    expect(bunch.size('valid')).toBe(20);
    // and no near-duplicate pair links train and valid
    const splitOf = new Map(['train', 'valid', 'test'].flatMap((s) => bunch.splits[s as 'train'].map((id) => [id, s])));
    for (const p of bunch.nearScan?.pairs ?? []) {
      const [a, b] = [splitOf.get(bunch.samples[p.i].id), splitOf.get(bunch.samples[p.j].id)];
      if (a !== 'test' && b !== 'test') expect(a).toBe(b);
    }
    const valid = bunch.stats().find((s) => s.split === 'valid')?.nearDuplicateInTrain;
    expect(valid).toEqual({ n: 20, flagged: 0, share: 0 });
    expect(warnings.join('\n')).not.toMatch(/more contaminated/);
    const text = bunch.printStats(() => {});
    expect(text).toMatch(/pseudo-subjects \(split.groupBy 'nearDuplicates'\): 60 regrouped samples in 12 groups; groups by size 3-5: 12; largest 5/);
    expect(text).toMatch(/valid 0\/20 \(0\.0 %\), test 1\/11/);

    // k-fold over train ∪ valid keeps the pseudo-subjects whole too
    for await (const { bunch: fold } of bunch.kFold(3)) {
      const side = new Map<string, Set<string>>();
      for (const split of ['train', 'valid'] as const) for (const id of fold.splits[split]) side.set(subjectOf(id), new Set([...(side.get(subjectOf(id)) ?? []), split]));
      expect([...side.values()].every((s) => s.size === 1)).toBe(true);
    }
  });

  it('leakage() reports the planted test slice as a near-duplicate with its r, and the contamination per split', async () => {
    const bunch = await DataBunch.fromFolder(path.join(root, 'set'), { cacheDir, split: { valid: 0.3, seed: 1, groupBy: 'nearDuplicates' }, onWarning: () => {} });
    const r = await bunch.leakage({ nearDuplicates: { threshold: 0.98 } });
    expect(r.testNearDuplicates).toEqual(['Testing/a/leak-s1.png']);
    expect(r.near.every((p) => (p.r as number) >= 0.98)).toBe(true);
    expect(r.contamination?.test).toEqual({ n: 11, flagged: 1, share: 1 / 11 });
    expect(r.contamination?.valid.flagged).toBe(0);
  });

  it('thresholds out of range and a grouping without its scan are OptionErrors naming the option', async () => {
    const dir = path.join(root, 'set');
    await expect(DataBunch.fromFolder(dir, { cacheDir, nearDuplicates: { threshold: 2 }, onWarning: () => {} })).rejects.toThrow(/option DataBunchOptions\.nearDuplicates\.threshold: expected a Pearson r .*got 2/);
    await expect(DataBunch.fromFolder(dir, { cacheDir, nearDuplicates: { threshold: 0.2 }, onWarning: () => {} })).rejects.toThrow(OptionError);
    await expect(DataBunch.fromFolder(dir, { cacheDir, split: { groupBy: 'nearDuplicates' }, nearDuplicates: { scan: false }, onWarning: () => {} })).rejects.toThrow(/DataBunchOptions\.nearDuplicates\.scan/);
    const bunch = await DataBunch.fromFolder(dir, { cacheDir, nearDuplicates: { scan: false }, onWarning: () => {} });
    expect(bunch.nearScan).toBeUndefined();
    // the old Hamming threshold is refused, not reinterpreted
    await expect(bunch.leakage({ nearDuplicates: { threshold: 6 } })).rejects.toThrow(/option LeakageOptions\.nearDuplicates\.threshold/);
  });
});

describe('splitItems with near-duplicate links', () => {
  const items: SplitItem[] = Array.from({ length: 8 }, (_, i) => ({ id: `x${i}`, label: i % 2 ? 'b' : 'a', group: `g${i}` }));

  it('pseudoSubjects: a chain 0-2-4 becomes one group named after its first item; a link to a user-assigned item is ignored', () => {
    const withTest = items.map((it, i) => (i === 7 ? { ...it, split: 'test' as const } : it));
    // links 0-2, 2-4 (a chain), 1-7 (7 is pinned to test: ignored)
    expect(pseudoSubjects(withTest, [{ i: 0, j: 2 }, { i: 2, j: 4 }, { i: 1, j: 7 }])).toEqual(['g0', 'g1', 'g0', 'g3', 'g0', 'g5', 'g6', 'g7']);
  });

  it('linked items always share a split, for every seed', () => {
    const many: SplitItem[] = Array.from({ length: 40 }, (_, i) => ({ id: `x${i}`, label: i % 2 ? 'b' : 'a', group: `g${i}` }));
    const links = [{ i: 0, j: 2 }, { i: 2, j: 4 }, { i: 1, j: 3 }];
    for (let seed = 0; seed < 20; seed++) {
      const out = splitItems(many, { valid: 0.25, test: 0.25, seed, groupBy: 'nearDuplicates' }, links);
      const where = (id: string): string => (['train', 'valid', 'test'] as const).find((s) => out[s].includes(id)) as string;
      expect(new Set(['x0', 'x2', 'x4'].map(where)).size).toBe(1);
      expect(where('x1')).toBe(where('x3'));
    }
  });

  it('groupBy without links, links without groupBy, an unknown groupBy and a bad index are OptionErrors', () => {
    expect(() => splitItems(items, { groupBy: 'nearDuplicates' })).toThrow(/option SplitOptions\.groupBy: 'nearDuplicates' needs the near-duplicate links/);
    expect(() => splitItems(items, {}, [])).toThrow(/option SplitOptions\.groupBy/);
    expect(() => splitItems(items, { groupBy: 'site' as 'subject' })).toThrow(/expected 'subject' or 'nearDuplicates', got "site"/);
    expect(() => splitItems(items, { groupBy: 'nearDuplicates' }, [{ i: 0, j: 8 }])).toThrow(/splitItems links.*got \(0, 8\)/);
  });
});
