import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReport, report } from '../../src/viz/report/report.js';
import { OptionError } from '../../src/backend/errors.js';
import { syntheticExperiment } from './synthetic-experiment.js';

describe('report', () => {
  it('writes one self-contained HTML file with every section', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'transmri-report-'));
    try {
      const out = join(dir, 'sub', 'report.html');
      const r = await report(syntheticExperiment(), { out, tsne: { iterations: 300 } });
      expect(r.sections).toEqual(['setup', 'data', 'training', 'results', 'distillation', 'latent', 'reconstructions', 'timings', 'notes']);
      const html = readFileSync(out, 'utf8');
      expect(r.bytes).toBe(Buffer.byteLength(html));
      // Self-contained: no external URLs in src/href (vega's xmlns declarations aside), no scripts.
      expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
      expect(html).not.toMatch(/<script|<link|@import|url\((?!#)/);
      const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
      expect(ids.length).toBeGreaterThan(9);
      expect(new Set(ids).size).toBe(ids.length); // figure ids made unique across inline SVGs
      expect((html.match(/<figure class="fig"/g) ?? []).length).toBe(10); // 2 curves, lr, confusion, roc, agreement, PCA, t-SNE, histogram, reconstructions
      expect(html).toContain('seed 42');
      expect(html).toContain('<td>fit.lr</td><td>0.001</td>');
      expect(html).toContain('<td>accuracy</td><td>0.733</td><td>[0.5, 0.933]</td>');
      expect(html).toContain('1 leakage finding(s)');
      expect(html).toMatch(/Trustworthiness T\(5\) = (0\.9\d\d|1\.000)/);
      expect(html).toContain('<td>total</td><td>19.75</td>');
      expect(html).toContain('teacher–student agreement 75.0% (n = 8)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders only the sections that have data, and escapes text', async () => {
    const { html, sections } = await renderReport({ title: 'A <b>bold</b> run', notes: ['x < y & z'] });
    expect(sections).toEqual(['notes']);
    expect(html).toContain('<title>A &lt;b&gt;bold&lt;/b&gt; run</title>');
    expect(html).toContain('<li>x &lt; y &amp; z</li>');
  });

  it('shows Experiment.links under the description: relative paths and http(s) URLs, escaped; other schemes refused', async () => {
    const { html } = await renderReport({ title: 't', description: 'd', links: [{ text: 'Run the <student>', href: 'student-app/index.html?a=1&b=2' }, { text: 'docs', href: 'https://example.org/x' }] });
    expect(html).toContain('<ul class="links"><li><a href="student-app/index.html?a=1&amp;b=2">Run the &lt;student&gt;</a></li><li><a href="https://example.org/x">docs</a></li></ul>');
    expect(html.indexOf('class="links"')).toBeLessThan(html.indexOf('<nav>'));
    expect((await renderReport({ title: 't' })).html).not.toContain('class="links"');
    await expect(renderReport({ title: 't', links: [{ text: 'x', href: 'javascript:alert(1)' }] })).rejects.toThrow(/Experiment\.links\[0\]\.href/);
    await expect(renderReport({ title: 't', links: [{ text: 'x', href: 'data:text/html,hi' }] })).rejects.toThrow(OptionError);
  });

  it('requires a title and an output path', async () => {
    await expect(renderReport({ title: '' })).rejects.toThrow(OptionError);
    await expect(report({ title: 't' }, {})).rejects.toThrow(/ReportOptions.out/);
    await expect(renderReport({ title: 't' }, { outt: 'x' } as never)).rejects.toThrow(/ReportOptions.outt/);
  });
});

describe('report data section: contamination', () => {
  it('shows the near-duplicate-in-train column and warns when valid is more than twice as contaminated as test', async () => {
    const { dataSection } = await import('../../src/viz/report/sections.js');
    const stats = [
      { split: 'train', samples: 10, labels: { a: 5, b: 5 } },
      { split: 'valid', samples: 4, labels: { a: 2, b: 2 }, nearDuplicateInTrain: { n: 4, flagged: 2, share: 0.5 } },
      { split: 'test', samples: 5, labels: { a: 3, b: 2 }, nearDuplicateInTrain: { n: 5, flagged: 1, share: 0.2 } },
    ];
    const html = dataSection({ title: 't', dataStats: stats });
    expect(html).toMatch(/near-duplicate in train/);
    expect(html).toMatch(/2 \/ 4 \(50\.0 %\)/);
    // 0.5 > 2 × 0.2: optimistic model selection
    expect(html).toMatch(/class="warn">Validation is more contaminated than test \(50\.0 % vs 20\.0 %/);
    const calm = dataSection({ title: 't', dataStats: [stats[0], stats[1], { ...stats[2], nearDuplicateInTrain: { n: 5, flagged: 2, share: 0.4 } }] });
    expect(calm).not.toMatch(/more contaminated/);
  });
});
