import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The layering rule of the brief: no import cycle in src/, neither between files nor between
// folders, and type-only imports count (they tie modules together for a reader just the same).
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** file (relative to src/) -> the src/ files it imports, `import type` and `export ... from` included. */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName).replace(/\.js$/, '.ts');
      targets.add(relative(SRC, target));
    }
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** The folder of a file under src/; files directly in src/ (cli.ts, index.ts) are the top. */
function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 1 ? parts[0]! : '(top)';
}

function folderGraph(files: Map<string, Set<string>>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [file, targets] of files) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    for (const target of targets) if (folderOf(target) !== from) edges.add(folderOf(target));
    graph.set(from, edges);
  }
  return graph;
}

/** Every cycle reachable by depth-first search, each reported once as "a -> b -> a". */
function findCycles(graph: Map<string, Set<string>>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('import layering of src/', () => {
  const files = importGraph();

  it('reads the imports it judges (a relative import of a missing file is a test bug)', () => {
    expect(files.size).toBeGreaterThan(100);
    const missing = [...files.values()].flatMap((t) => [...t]).filter((t) => !files.has(t));
    expect(missing).toEqual([]);
    // Type-only imports are in the graph: errors/ is imported with `import type` somewhere.
    expect(files.get('cli.ts')?.size ?? 0).toBeGreaterThan(0);
  });

  it('has no cycle between files', () => {
    expect(findCycles(files)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    expect(findCycles(folderGraph(files))).toEqual([]);
  });

  it('has no command importing another command (only the shared wiring: context.ts, globus-session.ts)', () => {
    const wiring = new Set(['commands/context.ts', 'commands/globus-session.ts']);
    const commandToCommand = [...files].flatMap(([file, targets]) =>
      file.startsWith('commands/') ? [...targets].filter((t) => t.startsWith('commands/') && !wiring.has(t)).map((t) => `${file} -> ${t}`) : [],
    );
    expect(commandToCommand).toEqual([]);
  });

  it('finds a cycle when there is one (the checker itself works)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycles(graph)).toEqual(['a -> b -> c -> a']);
  });
});
