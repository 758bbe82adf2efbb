/**
 * Renders Vega-Lite specs to SVG in Node (no browser): compile with
 * `vega-lite`, parse and render headlessly with `vega` (`renderer: 'none'`).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Options shared by all figures. */
export interface FigureOptions {
  /** Title shown above the figure; default none. */
  title?: string;
  /** Width of one plot panel in pixels; default 320. */
  width?: number;
  /** Height of one plot panel in pixels; default 240. */
  height?: number;
}

/** Defaults of {@link FigureOptions}. */
export const DEFAULT_FIGURE: Required<Omit<FigureOptions, 'title'>> & { title: string | undefined } = {
  title: undefined,
  width: 320,
  height: 240,
};

/**
 * Compiles a Vega-Lite spec and renders it to an SVG string. Every mark with a
 * tooltip (or description) gets an SVG `<title>` child, so hovering over a
 * point in any browser shows it, without scripts.
 */
export async function renderVegaLite(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return addTitles(svg);
  } finally {
    view.finalize();
  }
}

/** Adds `<title>` children to self-closed graphics symbols that carry an aria-label. */
function addTitles(svg: string): string {
  return svg.replace(/<(path|rect|line|image|text) aria-label="([^"]*)" role="graphics-symbol"([^>]*?)\/>/g, (_m, tag: string, label: string, rest: string) => `<${tag} aria-label="${label}" role="graphics-symbol"${rest}><title>${label}</title></${tag}>`);
}

/** Base Vega-Lite config: readable fonts, white background, no chart border. */
export const BASE_CONFIG = {
  background: 'white',
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { fontSize: 14, anchor: 'start' as const },
};

/** The Vega-Lite schema every figure names (the installed vega-lite is 6.x). */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The top of every figure's spec: the schema, the title when there is one, and {@link BASE_CONFIG}. */
export function specHeader(title: string | undefined): { $schema: string; title?: string; config: typeof BASE_CONFIG } {
  return { $schema: VEGA_LITE_SCHEMA, ...(title ? { title } : {}), config: BASE_CONFIG };
}
