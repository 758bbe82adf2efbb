/** The report's sections, each a function from part of an Experiment to HTML. */
import { pca } from '../pca.js';
import { tsne, type TsneOptions } from '../tsne.js';
import { umap, type UmapOptions } from '../umap.js';
import { trustworthiness } from '../trustworthiness.js';
import { embeddingFigure } from '../figures/embedding.js';
import type { Experiment, ExperimentEmbedding } from './experiment.js';
import { escapeHtml, figure, fmt, table } from './html.js';

/** Settings the report passes to the embeddings it computes. */
export interface EmbeddingSettings {
  tsne: TsneOptions;
  umap: UmapOptions;
  trustworthinessK: number;
  seed: number;
}

/** Configuration, seed, versions and backend. */
export function setupSection(e: Experiment): string {
  const parts: string[] = [];
  const facts: Array<[string, unknown]> = [];
  if (e.seed !== undefined) facts.push(['seed', e.seed]);
  if (e.backend !== undefined) facts.push(['backend', typeof e.backend === 'string' ? e.backend : JSON.stringify(e.backend)]);
  for (const [k, v] of Object.entries(e.versions ?? {})) facts.push([k, v]);
  if (facts.length > 0) parts.push(`<h3>Run</h3>${table(['item', 'value'], facts)}`);
  if (e.config) {
    const rows = flatten(e.config).map(([k, v]) => [k, fmt(v)]);
    parts.push(`<h3>Configuration</h3>${table(['option', 'value'], rows)}`);
  }
  return parts.join('\n');
}

function flatten(obj: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v as Record<string, unknown>, key));
    else out.push([key, Array.isArray(v) ? JSON.stringify(v) : v]);
  }
  return out;
}

/** Split statistics and the leakage report. */
export function dataSection(e: Experiment): string {
  const parts: string[] = [];
  if (e.dataStats && e.dataStats.length > 0) {
    const classes = [...new Set(e.dataStats.flatMap((s) => Object.keys(s.labels ?? {})))];
    const near = e.dataStats.some((s) => s.nearDuplicateInTrain);
    const header = ['split', 'samples', 'subjects', ...classes, 'age mean ± sd', ...(near ? ['near-duplicate in train'] : [])];
    const rows = e.dataStats.map((s) => [
      s.split, s.samples, s.subjects ?? '', ...classes.map((c) => s.labels?.[c] ?? 0),
      s.age ? `${s.age.mean.toFixed(1)} ± ${s.age.sd.toFixed(1)} (n = ${s.age.n})` : '',
      ...(near ? [s.nearDuplicateInTrain ? `${s.nearDuplicateInTrain.flagged} / ${s.nearDuplicateInTrain.n} (${(100 * s.nearDuplicateInTrain.share).toFixed(1)} %)` : ''] : []),
    ]);
    parts.push(`<h3>Splits</h3>${table(header, rows, 'stats')}`);
    const c = Object.fromEntries(e.dataStats.filter((s) => s.nearDuplicateInTrain).map((s) => [s.split, s.nearDuplicateInTrain as { n: number; flagged: number; share: number }]));
    if (c.valid && c.test && c.valid.flagged > 0 && c.test.n > 0 && c.valid.share > 2 * c.test.share) {
      parts.push(`<p class="warn">Validation is more contaminated than test (${(100 * c.valid.share).toFixed(1)} % vs ${(100 * c.test.share).toFixed(1)} % of images with a near-duplicate in train): epochs and models chosen on validation look better than they are.</p>`);
    }
  }
  if (e.leakage) {
    const rows = Object.entries(e.leakage).map(([check, items]) => {
      const shown = items.slice(0, 8).map((it) => (typeof it === 'string' ? it : JSON.stringify(it))).join('; ');
      return [check, items.length, items.length > 8 ? `${shown}; … (${items.length - 8} more)` : shown];
    });
    const total = Object.values(e.leakage).reduce((s, v) => s + v.length, 0);
    const verdict = total === 0 ? '<p class="ok">No leakage found across splits.</p>' : `<p class="warn">${total} leakage finding(s) across splits.</p>`;
    parts.push(`<h3>Leakage</h3>${verdict}${table(['check', 'count', 'items'], rows, 'leakage')}`);
  }
  return parts.join('\n');
}

/** Metrics with 95% confidence intervals. */
export function metricsSection(e: Experiment): string {
  if (!e.metrics || e.metrics.length === 0) return '';
  const rows = e.metrics.map((m) => [m.split ?? '', m.name, fmt(m.value), m.ci ? `[${fmt(m.ci[0])}, ${fmt(m.ci[1])}]` : '']);
  return table(['split', 'metric', 'value', '95% CI'], rows, 'metrics');
}

/** Timings in seconds, with a total. */
export function timingsSection(e: Experiment): string {
  if (!e.timings || e.timings.length === 0) return '';
  const total = e.timings.reduce((s, t) => s + t.seconds, 0);
  const rows = [...e.timings.map((t) => [t.name, t.seconds.toFixed(2)]), ['total', total.toFixed(2)]];
  return table(['step', 'seconds'], rows, 'timings');
}

/** Free-text notes. */
export function notesSection(e: Experiment): string {
  if (!e.notes || e.notes.length === 0) return '';
  return `<ul>${e.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
}

/** Maps of each embedding: precomputed coords, or PCA / t-SNE / UMAP computed from vectors, scored by trustworthiness. */
export async function embeddingSection(list: readonly ExperimentEmbedding[], s: EmbeddingSettings): Promise<string> {
  const blocks: string[] = [];
  for (const [index, emb] of list.entries()) {
    const maps: Array<{ method: string; coords: ReadonlyArray<ArrayLike<number>>; score?: number }> = [];
    if (emb.coords) maps.push({ method: emb.method ?? 'map', coords: emb.coords });
    if (emb.vectors) {
      const n = emb.ids.length;
      const k = Math.min(s.trustworthinessK, Math.ceil(n / 2) - 1);
      for (const method of emb.methods ?? ['pca', 'tsne']) {
        let coords: number[][];
        if (method === 'pca') coords = pca(emb.vectors, { components: 2 }).coords;
        else if (method === 'tsne') coords = tsne(emb.vectors, { seed: s.seed, ...s.tsne, perplexity: Math.min(s.tsne.perplexity ?? 30, (n - 1) / 3) }).coords;
        else coords = umap(emb.vectors, { seed: s.seed, ...s.umap, nNeighbors: Math.min(s.umap.nNeighbors ?? 15, n - 1) }).coords;
        const name = { pca: 'PCA', tsne: 't-SNE', umap: 'UMAP' }[method];
        maps.push({ method: name, coords, score: k >= 1 ? trustworthiness(emb.vectors, coords, k) : undefined });
      }
    }
    const figs: string[] = [];
    for (const m of maps) {
      const svg = await embeddingFigure(
        { coords: m.coords, ids: emb.ids, groups: emb.groups },
        { title: `${emb.name}: ${m.method}`, groupTitle: emb.groupTitle ?? 'label', axisTitles: [`${m.method} 1`, `${m.method} 2`], width: 300, height: 260 },
      );
      const score = m.score === undefined ? '' : ` Trustworthiness T(${s.trustworthinessK}) = ${m.score.toFixed(3)}.`;
      figs.push(figure(`embedding${index}-${m.method}`, svg, `${emb.ids.length} samples coloured by ${emb.groupTitle ?? 'label'}; hover a point for its id.${score}`));
    }
    blocks.push(`<h3>${escapeHtml(emb.name)}</h3><div class="figs">${figs.join('\n')}</div>`);
  }
  return blocks.join('\n');
}
