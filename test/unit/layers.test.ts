/**
 * The house by layers, checked on the sources: every relative import goes down or sideways, never up, and no
 * module imports itself through others. A layer may import any layer below it.
 *
 *   4 cli/                                  the `salesflow` command: parses, prints, calls below
 *   3 tools/                                the local stack, Superset provisioning, the bench
 *   2 app/                                  operations over Temporal (ops), the dashboard
 *   1 workflows/ activities/ workers/       the Temporal code
 *   0 src/                                  config, contract, errors, core (pure), io (drivers)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config';

const LAYERS: Record<string, number> = {
  src: 0,
  workflows: 1,
  activities: 1,
  workers: 1,
  app: 2,
  tools: 3,
  cli: 4,
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    // The dashboard's page is a browser bundle with a tsconfig of its own; it imports only the API types.
    if (e.isDirectory()) out.push(...sources(rel));
    else if (/\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** Relative imports of a file (static, dynamic and type-only), resolved to repository paths. */
function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from|import\(|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const base = path.normalize(path.join(path.dirname(file), m[1]));
    const target = [`${base}.ts`, path.join(base, 'index.ts'), base].find((c) =>
      fs.existsSync(path.join(REPO_ROOT, c)),
    );
    if (target) found.push(target);
  }
  return found;
}

const layerOf = (file: string) => LAYERS[file.split(path.sep)[0]];
const files = Object.keys(LAYERS).flatMap(sources);
const graph = new Map(files.map((f) => [f, importsOf(f, fs.readFileSync(path.join(REPO_ROOT, f), 'utf8'))]));

describe('layers', () => {
  it('finds the sources of every layer', () => {
    for (const top of Object.keys(LAYERS)) expect(files.some((f) => f.startsWith(`${top}/`))).toBe(true);
  });

  it('no import runs upward', () => {
    const upward = [...graph].flatMap(([from, targets]) =>
      targets.filter((t) => layerOf(t) > layerOf(from)).map((t) => `${from} -> ${t}`),
    );
    expect(upward).toEqual([]);
  });

  it('no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('sees an upward import and a cycle when there is one', () => {
    // The checks above would pass on an empty graph: make sure the parser finds real imports.
    expect(graph.get(path.join('cli', 'main.ts'))?.length).toBeGreaterThan(3);
    expect(importsOf('src/x.ts', "import { a } from '../app/ops/stream';")).toEqual([
      path.join('app', 'ops', 'stream.ts'),
    ]);
  });
});
