import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { Learner } from '../../src/learner/learner.js';
import { tinyClassifier, toySource } from '../learner/helpers.js';

describe('transmri export / transmri app', () => {
  it('exports a checkpoint for stock tfjs and writes the offline app; bad folders exit 2 with one line naming them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'transmri-cli-export-'));
    const model = tinyClassifier(2, 0);
    const learner = new Learner(toySource(), model, { seed: 1 });
    try {
      await learner.save(join(dir, 'ckpt'));
      let out = '';
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((t: string) => ((out += t), true)) as typeof process.stdout.write;
      let code: number;
      let code2: number;
      try {
        code = await main(['node', 'transmri', 'export', join(dir, 'ckpt'), join(dir, 'export')]);
        code2 = await main(['node', 'transmri', 'app', join(dir, 'export'), join(dir, 'app')]);
      } finally {
        process.stdout.write = write;
      }
      expect(code).toBe(0);
      expect(out).toMatch(/classification, \d+ parameters.*input \[4, 4, 1\], classes CN, AD/);
      const meta = JSON.parse(readFileSync(join(dir, 'export', 'transmri.json'), 'utf8'));
      expect(meta.classes).toEqual(['CN', 'AD']);
      expect(code2).toBe(0);
      for (const f of ['index.html', 'model.js', 'transmri-app.js']) expect(existsSync(join(dir, 'app', f)), f).toBe(true);
      expect(readFileSync(join(dir, 'app', 'index.html'), 'utf8')).toMatch(/<script src="model.js"><\/script>\s*<script src="transmri-app.js"><\/script>/);
      let err = '';
      expect(await main(['node', 'transmri', 'app', join(dir, 'nope'), join(dir, 'app2')], (t) => (err += t))).toBe(2);
      expect(err).toMatch(/nope.*model\.json.*not an export folder/);
      err = '';
      expect(await main(['node', 'transmri', 'export', join(dir, 'nope'), join(dir, 'x')], (t) => (err += t))).toBe(2);
      expect(err).toMatch(/no checkpoint here/);
    } finally {
      learner.dispose();
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
