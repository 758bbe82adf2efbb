/**
 * The pipeline subcommands end to end on a tiny synthetic cohort (16 subjects x 2 sessions, 16^3):
 * pretrain on site A → transfer to site B → distill into a 2D slice student → evaluate → report,
 * through main() as the bin runs them, one epoch or two each.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeCohort } from '../../src/data/synthetic/write.js';
import { main } from '../../src/cli/main.js';

let dir = '';
let csv = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'transmri-cli-pipe-'));
  csv = (await writeCohort(join(dir, 'cohort'), { seed: 0, subjects: 16, shape: [16, 16, 16] })).csvPath;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((t) => ((err += String(t)), true));
  try {
    const code = await main(['node', 'transmri', ...args], (t) => (err += t));
    return { code, out, err };
  } finally {
    log.mockRestore();
    so.mockRestore();
    se.mockRestore();
  }
}

describe('transmri pretrain → transfer → distill → evaluate → report', () => {
  it('runs the whole pipeline from checkpoints on disk', async () => {
    const ae = join(dir, 'ae');
    const yaml = join(dir, 'pretrain.yaml');
    writeFileSync(yaml, `data: ${csv}\nsite: A\nepochs: 1\nbatchSize: 4\n`);
    const p = await cli('pretrain', '--config', yaml, '--out', ae, '--epochs', '2');
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/pretrained: validation loss [\d.]+ after 2 epochs/); // the flag (2) wins over the file (1)
    expect(JSON.parse(readFileSync(join(ae, 'results.json'), 'utf8')).options).toMatchObject({ site: 'A', epochs: 2, batchSize: 4, seed: 0 });

    const clf = join(dir, 'clf');
    const t = await cli('transfer', '--pretrained', ae, '--data', csv, '--site', 'B', '--frozen-epochs', '1', '--epochs', '1', '--out', clf);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/test: \d+ samples, classes AD, CN\n {2}balanced accuracy [\d.]+/);

    const st = join(dir, 'student');
    const d = await cli('distill', '--teacher', clf, '--data', csv, '--site', 'B', '--epochs', '1', '--out', st);
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/test \(student\): \d+ samples/);

    const e = await cli('evaluate', clf, '--data', csv, '--site', 'B', '--json');
    expect(e.code, e.err).toBe(0);
    const metrics = JSON.parse(e.out.trim().split('\n').pop()!);
    expect(metrics).toMatchObject({ command: 'evaluate', split: 'test', classes: ['AD', 'CN'] });
    expect(metrics.metrics.balancedAccuracy).toBeGreaterThanOrEqual(0);
    // the student reads 2D slices: evaluate views the 3D data as middle axial slices
    const es = await cli('evaluate', st, '--data', csv, '--site', 'B');
    expect(es.code, es.err).toBe(0);

    const html = join(dir, 'report', 'clf.html');
    const r = await cli('report', clf, '--data', csv, '--site', 'B', '--out', html);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(html)).toBe(true);
    expect(readFileSync(html, 'utf8')).toMatch(/<html[\s\S]*balancedAccuracy/);
  }, 300_000);

  it('user errors are one line and exit 2: an unknown config key, a missing option, missing data', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `data: ${csv}\nepoch: 3\n`);
    const u = await cli('pretrain', '--config', bad, '--out', join(dir, 'x'));
    expect(u.code).toBe(2);
    expect(u.err).toBe(`transmri: option epoch: unknown key in ${bad} (known: batchNorm, batchSize, cacheDir, data, epochs, l1Weight, label, labels, lr, out, pipeline, schedule, seed, site, test, valid)\n`);
    const m = await cli('pretrain', '--data', csv);
    expect(m.code).toBe(2);
    expect(m.err).toBe('transmri: option out: required: give --out or "out" in the config file\n');
    const w = await cli('evaluate', join(dir, 'nope'), '--data', csv);
    expect(w.code).toBe(2);
    expect(w.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(w.err.trim().split('\n').pop()).toMatch(/^transmri: .*nope/);
    const n = await cli('pretrain', '--data', join(dir, 'missing.csv'), '--out', join(dir, 'y'), '--schedule', 'oneCycle', '--epochs', 'two');
    expect(n.code).toBe(2);
    expect(n.err).toMatch(/^error: option '--epochs <n>' argument 'two' is invalid\. expected a number, got "two"/);
  });
});
