import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { png, slice } from '../helpers/synthetic-slices.js';

/** 12 training subjects × 5 neighbouring slices (2 classes), 2 test subjects + one slice of training subject 1. */
let dir: string;
let root: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-cli-leak-'));
  root = path.join(dir, 'slices');
  const write = async (rel: string, px: Uint8Array): Promise<void> => {
    const file = path.join(root, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, await png(px, 64));
  };
  for (let s = 1; s <= 12; s++) for (const l of [0, 0.5, 1, 1.5, 2]) await write(`train/${s <= 6 ? 'a' : 'b'}/s${s}-l${l}.png`, slice(s, l, 64));
  for (const [s, cls] of [[13, 'a'], [14, 'b']] as const) for (const l of [0, 0.5, 1, 1.5, 2]) await write(`test/${cls}/s${s}-l${l}.png`, slice(s, l, 64));
  await write('test/a/leak-s1.png', slice(1, 0.25, 64));
  await fs.mkdir(path.join(dir, 'empty'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
  try {
    const code = await main(['node', 'transmri', 'leakage', ...args], (t) => (err += t));
    return { code, out, err };
  } finally {
    so.mockRestore();
  }
}

describe('transmri leakage', () => {
  it('--json: flagged per split name; random valid slices have neighbours in train, grouped ones none; the planted test slice is flagged either way', async () => {
    const plain = await run([root, '--json', '--valid', '0.3']);
    expect(plain.code).toBe(0);
    const a = JSON.parse(plain.out) as { flagged: { valid: number; test: number }; splits: Record<string, number>; images: number; testFolder: boolean };
    expect(a.images).toBe(71);
    expect(a.testFolder).toBe(true);
    expect(a.splits).toEqual({ train: 42, valid: 18, test: 11 });
    expect(a.flagged.test).toBe(1);
    expect(a.flagged.valid).toBeGreaterThan(10);

    const grouped = await run([root, '--json', '--valid', '0.3', '--groupBy', 'nearDuplicates']);
    const b = JSON.parse(grouped.out) as { flagged: { valid: number; test: number }; splits: Record<string, number>; pseudoSubjects: { groups: number; largest: number } };
    expect(b.flagged).toEqual({ valid: 0, test: 1 });
    expect(b.splits).toEqual({ train: 40, valid: 20, test: 11 });
    expect(b.pseudoSubjects).toMatchObject({ groups: 12, largest: 5 });
  });

  it('text output names the shares and warns when valid is more contaminated than test', async () => {
    const r = await run([root, '--valid', '0.3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/images with a near-duplicate in train: valid \d+\/18 .*test 1\/11 \(9\.1 %\)/);
    expect(r.out).toMatch(/WARNING: validation is more contaminated than test/);
  });

  it('says that no images were found when the root is empty or one level too high; a bad threshold names the option (exit 2)', async () => {
    const empty = await run([path.join(dir, 'empty'), '--json']);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/no images found: the folder is empty/);
    const high = await run([dir, '--json']);
    expect(high.code).toBe(2);
    expect(high.err).toMatch(/no images found: .*slices holds test\/, train\/; is the root one level too high\?/);
    // an unreadable image: the DataError names the file
    await fs.mkdir(path.join(dir, 'broken', 'a'), { recursive: true });
    await fs.mkdir(path.join(dir, 'broken', 'b'), { recursive: true });
    await fs.writeFile(path.join(dir, 'broken', 'a', 'ok.png'), await png(slice(1, 0, 64), 64));
    await fs.writeFile(path.join(dir, 'broken', 'b', 'bad.jpg'), 'not a jpeg');
    const broken = await run([path.join(dir, 'broken')]);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/broken\/b\/bad\.jpg: neither PNG .* nor JPEG/);
    const bad = await run([root, '--threshold', '2']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/option FolderLeakageOptions\.threshold: expected a Pearson r .*got 2/);
  });
});
