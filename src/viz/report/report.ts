/**
 * One self-contained HTML report per experiment: every figure is inline SVG
 * (raster images as data: URLs), the style sheet is inline, there are no
 * scripts and no external references, so the file opens offline (e.g. from an
 * e-mail attachment) and prints cleanly.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { TsneOptions } from '../tsne.js';
import type { UmapOptions } from '../umap.js';
import { trainingCurvesFigure, lrFinderFigure } from '../figures/curves.js';
import { agreementFigure, confusionFigure, rocFigure } from '../figures/classification.js';
import { activationHistogramFigure } from '../figures/histogram.js';
import { reconstructionFigure } from '../figures/reconstruction.js';
import { seedValuesFigure } from '../figures/seeds.js';
import type { Experiment } from './experiment.js';
import { STYLE, escapeHtml, figure } from './html.js';
import { dataSection, embeddingSection, metricsSection, notesSection, setupSection, timingsSection } from './sections.js';

/** Options of {@link report} and {@link renderReport}. */
export interface ReportOptions {
  /** Path of the HTML file to write (parent folders are created); required by `report`. */
  out?: string;
  /** t-SNE options for embeddings given as vectors; default {} (TsneOptions defaults, perplexity capped at (n − 1)/3, seed = experiment seed). */
  tsne?: TsneOptions;
  /** UMAP options for embeddings given as vectors; default {} (seed = experiment seed). */
  umap?: UmapOptions;
  /** Neighbourhood size of the trustworthiness score; default 5 (as scikit-learn). */
  trustworthinessK?: number;
}

/** Defaults of {@link ReportOptions}. */
export const DEFAULT_REPORT: Required<Omit<ReportOptions, 'out'>> & { out: string | undefined } = { out: undefined, tsne: {}, umap: {}, trustworthinessK: 5 };

/** What {@link report} wrote. */
export interface ReportResult {
  path: string;
  bytes: number;
  /** Section ids in page order. */
  sections: string[];
}

/**
 * Renders an Experiment to one self-contained HTML string.
 * @example
 * const html = await renderReport({ title: 'CAE pretraining', seed: 1, histories: [{ name: 'fit', epochs }] });
 */
export async function renderReport(e: Experiment, options: ReportOptions = {}): Promise<{ html: string; sections: string[] }> {
  rejectUnknownOptions('ReportOptions', options, DEFAULT_REPORT);
  const o = { ...DEFAULT_REPORT, ...options };
  if (typeof e?.title !== 'string' || e.title.length === 0) throw new OptionError('Experiment.title', 'a non-empty title is required');
  const sections: Array<[string, string, string]> = []; // id, heading, body
  const add = (id: string, heading: string, body: string): void => { if (body) sections.push([id, heading, body]); };

  add('setup', 'Setup', setupSection(e));
  add('data', 'Data', dataSection(e));
  const training: string[] = [];
  for (const h of e.histories ?? []) {
    if (h.epochs.length > 0) training.push(figure(`curves-${h.name}`, await trainingCurvesFigure(h.epochs, { title: h.name }), `Loss and metrics per epoch (${h.epochs.length} epochs).`));
  }
  if (e.lrFind) {
    const s = e.lrFind.suggestion;
    training.push(figure('lr-finder', await lrFinderFigure(e.lrFind, { title: 'learning-rate finder' }), s === undefined ? 'Loss against learning rate.' : `Loss against learning rate; suggested ${s.toExponential(2)}.`));
  }
  add('training', 'Training', training.length ? `<div class="figs">${training.join('\n')}</div>` : '');
  const results: string[] = [metricsSection(e)];
  const resultFigs: string[] = [];
  if (e.confusion) resultFigs.push(figure('confusion', await confusionFigure(e.confusion.matrix, e.confusion.classes, { title: e.confusion.title ?? 'confusion matrix' }), 'Counts and row percentages (rows: true class).'));
  if (e.roc && e.roc.length > 0) resultFigs.push(figure('roc', await rocFigure(e.roc, { title: 'ROC' }), 'ROC curves; AUC in the legend; dashed: chance.'));
  for (const [i, sv] of (e.seedValues ?? []).entries()) {
    const svg = await seedValuesFigure(sv.groups, { title: sv.title, yTitle: sv.yTitle ?? 'value', ...(sv.rule === undefined ? {} : { rule: sv.rule }) });
    resultFigs.push(figure(`seeds-${i}`, svg, `${sv.title}: one dot per seed, tick at the mean, bar mean ± sd.`));
  }
  if (resultFigs.length) results.push(`<div class="figs">${resultFigs.join('\n')}</div>`);
  add('results', 'Results', results.filter(Boolean).join('\n'));
  if (e.distillation) {
    add('distillation', 'Distillation', figure('agreement', await agreementFigure(e.distillation), 'Teacher (rows) against student (columns) predictions on the same samples.'));
  }
  const latent: string[] = [];
  if (e.embeddings && e.embeddings.length > 0) {
    latent.push(await embeddingSection(e.embeddings, { tsne: o.tsne, umap: o.umap, trustworthinessK: o.trustworthinessK, seed: e.seed ?? 0 }));
  }
  if (e.bottleneck) {
    const svg = await activationHistogramFigure(e.bottleneck.activations, e.bottleneck.labels, { bins: e.bottleneck.bins ?? 50, title: 'bottleneck activations', xTitle: 'activation' });
    latent.push(figure('bottleneck', svg, 'Distribution of all bottleneck activations, per class (fraction of that class’s values per bin).'));
  }
  add('latent', 'Latent space', latent.join('\n'));
  if (e.reconstructions && e.reconstructions.length > 0) {
    add('reconstructions', 'Reconstructions', figure('reconstructions', await reconstructionFigure(e.reconstructions), 'Centre slices in three planes: original, reconstruction (same grey scale) and difference (reconstruction − original; blue negative, red positive).'));
  }
  add('timings', 'Timings', timingsSection(e));
  add('notes', 'Notes', notesSection(e));

  const date = e.date ?? new Date().toISOString();
  const nav = `<nav><ul>${sections.map(([id, h]) => `<li><a href="#${id}">${escapeHtml(h)}</a></li>`).join('')}</ul></nav>`;
  const body = sections.map(([id, h, b]) => `<section id="${id}"><h2>${escapeHtml(h)}</h2>\n${b}\n</section>`).join('\n');
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${escapeHtml(e.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(e.title)}</h1>
<p class="meta">${escapeHtml(date)}${e.seed !== undefined ? ` · seed ${escapeHtml(e.seed)}` : ''}</p>
${e.description ? `<p>${escapeHtml(e.description)}</p>` : ''}
${linksHtml(e.links)}${nav}</header>
<main>
${body}
</main>
</body>
</html>
`;
  return { html, sections: sections.map(([id]) => id) };
}

/** The header's links (Experiment.links): a relative path or an http(s) URL, nothing else (no javascript: or data: hrefs). */
function linksHtml(links: Experiment['links']): string {
  if (!links || links.length === 0) return '';
  const items = links.map((l, i) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(l.href) && !/^https?:\/\//i.test(l.href)) {
      throw new OptionError(`Experiment.links[${i}].href`, `must be a relative path or an http(s) URL, got "${l.href}"`);
    }
    return `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></li>`;
  });
  return `<ul class="links">${items.join('')}</ul>\n`;
}

/**
 * Writes the report of an experiment to `options.out` as one self-contained HTML file.
 * @example
 * await report(experiment, { out: 'runs/cae-1/report.html' });
 */
export async function report(e: Experiment, options: ReportOptions): Promise<ReportResult> {
  if (!options || typeof options.out !== 'string' || options.out.length === 0) throw new OptionError('ReportOptions.out', 'the output path is required');
  const { html, sections } = await renderReport(e, options);
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, html, 'utf8');
  return { path: options.out, bytes: Buffer.byteLength(html), sections };
}
