/**
 * Fault test: a child process fitting with a checkpoint after every epoch is killed with SIGKILL
 * at seeded random moments (a random epoch, a random time into it: training, validation or any
 * point of the checkpoint write) and resumed each time; the final weights equal an uninterrupted
 * run's, bit for bit, and no leftover of an interrupted write survives.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/backend/rng.js';
import { Learner } from '../../src/learner/learner.js';
import { FAULT_FIT, tinyClassifier, toySource, weightValues } from './helpers.js';

await tf.setBackend('cpu');

const EPOCHS = 12;
const KILLS = 3;

/**
 * Runs the child to the end, or, with `kill`, kills it at a random moment of a random epoch among
 * those it has left (never the last): anywhere in the epoch, or (`inSave`) within the time a
 * checkpoint write takes after that epoch's write starts. Resolves with whether it was killed (a
 * child much faster than the timing run may finish first).
 */
function runChild(dir: string, out: string, kill?: { rng: Rng; epochMs: number; saveMs: number; inSave: boolean; log: string[] }): Promise<boolean> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fit-child.ts'), dir, out, String(EPOCHS)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRANSMRI_THREADS: '1' } });
  let stdout = '';
  let stderr = '';
  let armed: { epoch: number; delay: number } | undefined;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    const done = stdout.split('\n').length - 1;
    stdout += d.toString();
    for (const line of stdout.split('\n').slice(done, -1)) {
      const [what, n] = line.split(' ');
      if (kill && what === 'fitting') {
        const start = Number(n);
        armed = { epoch: start + kill.rng.int(EPOCHS - 1 - start), delay: kill.rng.uniform(0, kill.inSave ? kill.saveMs : kill.epochMs) };
        kill.log.push(`epoch ${armed.epoch}${kill.inSave ? ' save' : ''} + ${armed.delay.toFixed(1)} ms`);
      }
      if (armed && what === (kill?.inSave ? 'saving' : 'epoch') && Number(n) === armed.epoch) setTimeout(() => child.kill('SIGKILL'), armed.delay);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (kill && signal === 'SIGKILL') resolve(true);
      else if (code === 0) resolve(false);
      else reject(new Error(`child ended with code ${code}, signal ${signal}: ${stderr}`));
    });
  });
}

describe('kill and resume (fault test)', () => {
  it(`${KILLS} SIGKILLs at seeded random moments, each followed by a resume: final weights equal an uninterrupted run's`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'transmri-fault-'));
    try {
      // the uninterrupted run (in this process, same code and data), which also times an epoch with its checkpoint
      const reference = new Learner(toySource(), tinyClassifier(1, 0.25), { seed: 4 });
      const t0 = performance.now();
      await reference.fit(EPOCHS, { ...FAULT_FIT, checkpoint: join(root, 'ref') });
      const epochMs = (performance.now() - t0) / EPOCHS;
      const expected = weightValues(reference.model).map((w) => Array.from(w));
      const t1 = performance.now();
      for (let i = 0; i < 3; i++) await reference.save(join(root, 'ref'));
      const saveMs = (performance.now() - t1) / 3;
      reference.dispose();
      reference.model.dispose();

      const dir = join(root, 'ck');
      const out = join(root, 'weights.json');
      const rng = new Rng(21);
      const log: string[] = [];
      let killed = 0;
      // every other kill aims at a checkpoint write (temp folder half written, or between the two renames)
      for (let k = 0; k < KILLS && !existsSync(out); k++) if (await runChild(dir, out, { rng, epochMs, saveMs, inSave: k % 2 === 1, log })) killed += 1;
      expect(killed, log.join('; ')).toBeGreaterThanOrEqual(KILLS - 1);
      if (!existsSync(out)) expect(await runChild(dir, out)).toBe(false);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(expected);
      expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).epochsDone).toBe(EPOCHS);
      expect(readdirSync(root).sort()).toEqual(['ck', 'ref', 'weights.json']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
