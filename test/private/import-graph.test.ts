import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/**
 * The module structure of src/, read with the TypeScript compiler's own import scanner
 * (`ts.preProcessFile`: `import`, `import type`, `export ... from`, `require`, dynamic `import()`).
 */
const SRC = path.join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/');

/** The src/ file a relative specifier names (`x` → `x.ts` or `x/index.ts`), or undefined for packages. */
function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${rel(from)}: import "${specifier}" resolves to no file`);
}

/** src-relative file → the src-relative files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.map((f) => resolve(file, f.fileName)).filter((f): f is string => f !== undefined).map(rel);
    graph.set(rel(file), [...new Set(targets)].sort());
  }
  return graph;
}

/**
 * The import cycles of `graph` among the files `keep` selects: per strongly connected component, its
 * files and a shortest cycle through its first file (a readable witness).
 */
function cycles(graph: Map<string, string[]>, keep: (file: string) => boolean): { files: string[]; witness: string[] }[] {
  const nodes = [...graph.keys()].filter(keep).sort();
  const edges = (n: string) => (graph.get(n) ?? []).filter(keep);
  // Tarjan's strongly connected components
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of edges(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1 || edges(v).includes(v)) components.push(c.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  // a readable witness per component: the shortest path from its first file back to itself
  return components.map((c) => ({ files: c, witness: witness(c) }));

  function witness(c: string[]): string[] {
    const inC = new Set(c);
    const start = c[0];
    const prev = new Map<string, string>();
    const queue = [start];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of edges(v).filter((x) => inC.has(x))) {
        if (w === start) {
          const cyclePath = [start];
          for (let u: string | undefined = v; u !== undefined && u !== start; u = prev.get(u)) cyclePath.splice(1, 0, u);
          return [...cyclePath, start];
        }
        if (!seen.has(w)) { seen.add(w); prev.set(w, v); queue.push(w); }
      }
    }
    return c;
  }
}

describe('import graph of src/', () => {
  const graph = importGraph();

  test('the scanner sees the imports (the graph is not empty, known edges are present)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('gitops/change-safety/analyze.ts')).toContain('private/kind-registry.ts');
    expect(graph.get('index.ts')).toContain('app/index.ts');
  });

  test('the cycle finder reports a cycle, with its path', () => {
    const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts', 'd.ts']], ['d.ts', []]]);
    expect(cycles(g, () => true)).toEqual([{ files: ['a.ts', 'b.ts', 'c.ts'], witness: ['a.ts', 'b.ts', 'c.ts', 'a.ts'] }]);
  });

  test('no import cycle anywhere in src/ (constructs and engines included: engines never import their construct)', () => {
    expect(cycles(graph, () => true).map((c) => `${c.witness.join(' → ')} (cycle of ${c.files.join(', ')})`)).toEqual([]);
  });

  test('nothing outside src/cli/ imports src/cli/: the library never depends on its command line', () => {
    const offenders = [...graph].flatMap(([file, targets]) => (file.startsWith('cli/') ? [] : targets.filter((t) => t.startsWith('cli/')).map((t) => `${file} → ${t}`)));
    expect(offenders).toEqual([]);
  });

  // gitops/platform-operator.ts names no API group: its public factories (PlatformOperator.cloudNativePg(), .strimzi()...)
  // name the operators' Helm charts, which install the operators, not kinds the pipeline reads; they stay public API there
  test('no operator API group in the pipeline (gitops, policy, app): engines declare their kinds in their own folders', () => {
    const groups = ['postgresql.cnpg.io', 'barmancloud.cnpg.io', 'rabbitmq.com', 'kafka.strimzi.io', 'k8s.mariadb.com'];
    const offenders = [...graph.keys()]
      .filter((f) => /^(gitops|policy|app)\//.test(f))
      .flatMap((f) => {
        const text = fs.readFileSync(path.join(SRC, f), 'utf8');
        return groups.filter((g) => text.includes(g)).map((g) => `${f}: ${g}`);
      });
    expect(offenders).toEqual([]);
  });
});
