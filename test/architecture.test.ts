/**
 * The rules of ARCHITECTURE.md, checked on the source: imports point one way through the layers,
 * entry points of one rank stand alone, `models` takes only types from `data`, no runtime import
 * cycle, bench/ does not lean on scripts/, no file over 400 lines, no grab-bag file names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Rank of each top-level folder of src/ (index = src/index.ts). A file may import its own folder
 * and folders of a lower rank; folders of one rank are peers that never import each other.
 */
const RANK: Record<string, number> = {
  backend: 0,
  data: 1,
  models: 2,
  learner: 3,
  viz: 4,
  // entry points over the library: the sweep runner, the offline app writer, the browser runtime
  sweep: 5,
  app: 5,
  browser: 5,
  // the command line and the public entry point
  cli: 6,
  index: 6,
};

const MAX_LINES = 400;

interface Import {
  /** The module specifier as written. */
  spec: string;
  /** `import type`/`export type`, or every named specifier marked `type`: erased at run time. */
  typeOnly: boolean;
}

/** The imports and re-exports of a TypeScript source (static and dynamic). */
function parseImports(source: string): Import[] {
  const out: Import[] = [];
  const stat = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*'([^']+)'/g;
  for (const m of source.matchAll(stat)) {
    const names = m[2].trim();
    const allTyped = names.startsWith('{') && names.endsWith('}') && names.slice(1, -1).split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '));
    out.push({ spec: m[3], typeOnly: m[1] !== undefined || allTyped });
  }
  for (const m of source.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g)) out.push({ spec: m[1], typeOnly: false });
  for (const m of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Layer of a file under src/: its top-level folder, or `index` for src/index.ts. */
function layerOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? rel[0].replace(/\.ts$/, '') : rel[0];
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

const files = sourceFiles(SRC);
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const edges: Edge[] = files.flatMap((from) =>
  parseImports(text.get(from) as string)
    .filter((i) => i.spec.startsWith('.'))
    .map((i) => ({ from, to: path.resolve(path.dirname(from), i.spec).replace(/\.js$/, '.ts'), typeOnly: i.typeOnly })),
);
const rel = (f: string): string => path.relative(SRC, f);

describe('architecture (ARCHITECTURE.md rules)', () => {
  it('parses static, type-only and dynamic imports', () => {
    const src = [
      "import type { A } from './a.js';",
      "import { type B, type C } from '../b.js';",
      "import {\n  d,\n  type E,\n} from './d.js';",
      "export { f } from './f.js';",
      "export type { G } from './g.js';",
      "import './side-effect.js';",
      "const m = await import('./m.js');",
    ].join('\n');
    expect(parseImports(src)).toEqual([
      { spec: './a.js', typeOnly: true },
      { spec: '../b.js', typeOnly: true },
      { spec: './d.js', typeOnly: false },
      { spec: './f.js', typeOnly: false },
      { spec: './g.js', typeOnly: true },
      { spec: './side-effect.js', typeOnly: false },
      { spec: './m.js', typeOnly: false },
    ]);
  });

  it('every top-level folder of src/ has a rank (a new one goes into RANK and ARCHITECTURE.md)', () => {
    expect([...new Set(files.map(layerOf))].filter((l) => RANK[l] === undefined)).toEqual([]);
  });

  it('relative imports stay inside src/ and name existing files', () => {
    const bad = edges.filter((e) => !text.has(e.to)).map((e) => `${rel(e.from)} -> ${path.relative(SRC, e.to)}`);
    expect(bad).toEqual([]);
  });

  it('no upward import, and peers of one rank do not import each other', () => {
    const bad = edges
      .filter((e) => {
        const [a, b] = [layerOf(e.from), layerOf(e.to)];
        return a !== b && RANK[b] >= RANK[a];
      })
      .map((e) => `${rel(e.from)} (${layerOf(e.from)}) -> ${rel(e.to)} (${layerOf(e.to)})`);
    expect(bad).toEqual([]);
  });

  it('models take only types from data', () => {
    const bad = edges.filter((e) => layerOf(e.from) === 'models' && layerOf(e.to) === 'data' && !e.typeOnly).map((e) => `${rel(e.from)} -> ${rel(e.to)}`);
    expect(bad).toEqual([]);
  });

  it('no runtime import cycle', () => {
    const next = new Map<string, string[]>(files.map((f) => [f, []]));
    for (const e of edges) if (!e.typeOnly && text.has(e.to)) (next.get(e.from) as string[]).push(e.to);
    // depth-first search; a grey node met again closes a cycle
    const state = new Map<string, 'grey' | 'black'>();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]): void => {
      state.set(f, 'grey');
      const here = [...trail, f];
      for (const g of next.get(f) as string[]) {
        if (state.get(g) === 'grey') cycles.push([...here.slice(here.indexOf(g)), g].map(rel).join(' -> '));
        else if (!state.has(g)) visit(g, here);
      }
      state.set(f, 'black');
    };
    for (const f of files) if (!state.has(f)) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('bench/ imports src/ (not scripts/), and neither bench/ nor scripts/ imports test/', () => {
    const root = path.resolve(SRC, '..');
    const bad: string[] = [];
    for (const dir of ['bench', 'scripts']) {
      for (const file of sourceFiles(path.join(root, dir))) {
        for (const i of parseImports(readFileSync(file, 'utf8')).filter((i) => i.spec.startsWith('.'))) {
          const top = path.relative(root, path.resolve(path.dirname(file), i.spec)).split(path.sep)[0];
          if (top === 'test' || (dir === 'bench' && top === 'scripts')) bad.push(`${path.relative(root, file)} -> ${i.spec}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it(`no file over ${MAX_LINES} lines`, () => {
    const long = files.map((f) => ({ file: rel(f), lines: (text.get(f) as string).split('\n').length - 1 })).filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('no grab-bag file names (common, utils, helpers)', () => {
    expect(files.map(rel).filter((f) => /(^|\/)(common|utils?|helpers?|misc)\.ts$/.test(f))).toEqual([]);
  });
});
