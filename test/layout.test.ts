// The shape of src/ (../shared/design.md), kept true by a test: every import in the library points
// down the dependency rule, no module imports itself back through others, the library never
// reaches the CLI, and files stay small (or say in their header why not).
import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {PROJECT} from './helpers/cli.js';

const SRC = join(PROJECT, 'src');
const LIB = join(SRC, 'lib');

/**
 * The dependency rule, lowest first: a module may import from its own folder or from a lower
 * rank. Folders of one rank (the consumers of the store) may use each other, but never in a cycle.
 * A new folder must be placed here before it can hold code.
 */
const RANKS: ReadonlyArray<readonly [rank: number, places: readonly string[]]> = [
  [0, ['errors.ts', 'error-codes.ts', 'warn.ts', 'time.ts']],
  [1, ['yaml/', 'io/']],
  [2, ['storage/', 'config/']],
  [3, ['archive/']],
  [4, ['image/']],
  [5, ['store/']],
  [6, ['remotes/', 'simplestreams/', 'http/', 'smartos/', 'instance/', 'sign/']],
  [7, ['serve/']],
  [8, ['index.ts']],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports, statically or with import(), that is part of src/ (as absolute .ts paths). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g)].map(
    (m) => m[1] ?? m[2] ?? m[3]!,
  );
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

function placeOf(file: string): {rank: number; place: string} {
  const rel = relative(LIB, file);
  for (const [rank, places] of RANKS) {
    const place = places.find((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p));
    if (place) return {rank, place};
  }
  throw new Error(`${rel} is in no rank of the dependency rule: place its folder in RANKS (test/layout.test.ts) and in the README's Layout`);
}

const lib = files(LIB);

describe('layout of src/', () => {
  test('every library file has a place in the dependency rule', () => {
    for (const f of lib) placeOf(f);
  });

  test('no import in src/lib climbs against the dependency rule', () => {
    const wrong: string[] = [];
    for (const f of lib) {
      const from = placeOf(f);
      for (const target of imports(f)) {
        const rel = `${relative(SRC, f)} → ${relative(SRC, target)}`;
        if (!target.startsWith(LIB + '/')) {
          wrong.push(`${rel}: the library never imports the CLI, render or commands`);
          continue;
        }
        const to = placeOf(target);
        if (to.place === from.place) continue;
        if (to.rank > from.rank) wrong.push(`${rel}: ${from.place} (rank ${from.rank}) may not import ${to.place} (rank ${to.rank})`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('no import cycle between modules (a cycle is a misplaced file)', () => {
    const graph = new Map(files(SRC).map((f) => [f, imports(f).filter((t) => t.startsWith(SRC + '/'))]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  test('render and cli never import commands; nothing imports a command', () => {
    const wrong: string[] = [];
    for (const f of files(SRC)) {
      for (const t of imports(f)) {
        if (t.startsWith(join(SRC, 'commands') + '/')) wrong.push(`${relative(SRC, f)} → ${relative(SRC, t)}`);
        const below = f.startsWith(join(SRC, 'render') + '/') || f.startsWith(join(SRC, 'cli') + '/');
        if (below && relative(SRC, t) === 'base-command.ts') wrong.push(`${relative(SRC, f)} → base-command.ts`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('library files stay under ~250 lines unless their header says why; commands under ~60', () => {
    const long: string[] = [];
    for (const f of lib) {
      const text = readFileSync(f, 'utf8');
      const lines = text.split('\n').length;
      const header = text.slice(0, 1500);
      if (lines > 260 && !/over 250 lines/i.test(header)) long.push(`${relative(SRC, f)}: ${lines} lines and no reason in its header`);
    }
    for (const f of files(join(SRC, 'commands'))) {
      const lines = readFileSync(f, 'utf8').split('\n').length;
      if (lines > 62) long.push(`${relative(SRC, f)}: ${lines} lines (a command parses, calls the library and prints)`);
    }
    assert.deepEqual(long, []);
  });
});
