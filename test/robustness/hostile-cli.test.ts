/**
 * Hostile input to the CLI: invalid YAML, YAML bombs (alias expansion), non-Kubernetes documents,
 * objects with fields of the wrong type, huge files and endless devices, binary files, symbolic
 * link loops, FIFOs, unreadable files, Kyverno tests whose paths leave their directory. Every
 * case ends with a clear one-line error and exit 2 (or, for well-formed YAML the policies can read,
 * a normal result), within a generous memory bound, and without a stack trace (no wall-clock asserts: the
 * time bounds are the command's own budgets, `--timeout`, tested in their own right).
 */
import * as child from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { stringify } from 'yaml';
import { buildJs, childEnv } from './build-js';
import { params, RUNS } from './harness';
import { main } from '../../src/cli/main';
import { tmpdir } from '../util/tmp';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly rssGrowthMb: number;
}

/** Runs the CLI in-process, measuring elapsed time and RSS growth (generous safety bounds only). */
function cli(args: string[], stdin?: string): Run {
  let stdout = '';
  let stderr = '';
  const rss = process.memoryUsage().rss;
  const started = Date.now();
  const code = main(args, {
    env: {},
    readStdin: stdin === undefined ? undefined : () => stdin,
    stdout: (s) => { stdout += s; return true; },
    stderr: (s) => { stderr += s; return true; },
  });
  return { code, stdout, stderr, ms: Date.now() - started, rssGrowthMb: (process.memoryUsage().rss - rss) / 1e6 };
}

/** Exit 2, one line naming the problem, no stack trace, no "internal error", within the memory bound. */
function expectRefused(r: Run, message: RegExp, bounds: { mb?: number } = {}): void {
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^cdk8s-stateful: /);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(r.rssGrowthMb).toBeLessThan(bounds.mb ?? 512);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let dir: string;

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

const CONFIG_MAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: apps\ndata:\n  k: v\n';

beforeEach(() => {
  dir = tmpdir('cdk8s-stateful-hostile-');
});

describe('invalid YAML', () => {
  test.each([
    ['an unclosed flow sequence', 'apiVersion: v1\nkind: [unclosed\n', /input\.yaml:\d+: invalid YAML/],
    ['a tab for indentation', 'apiVersion: v1\nmetadata:\n\tname: x\n', /input\.yaml:\d+: invalid YAML/],
    ['duplicate keys', 'apiVersion: v1\nkind: Pod\nkind: Pod\n', /invalid YAML/],
    ['an undefined alias', 'apiVersion: v1\nkind: *nowhere\n', /invalid YAML/],
    ['a bad indentation in the second document', `${CONFIG_MAP}---\napiVersion: v1\n  kind: x\n`, /input\.yaml:\d+: invalid YAML/],
    ['nesting 100 000 levels deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, /invalid YAML/],
  ])('%s', (_name, content, message) => {
    expectRefused(cli(['check', file('input.yaml', content)]), message);
  });
});

describe('YAML bombs: refused, never expanded', () => {
  const laughs = (aliasKind: 'sequence' | 'merge') => {
    const lines = aliasKind === 'sequence'
      ? ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
      : ['a: &a {k0: lol, k1: lol, k2: lol, k3: lol, k4: lol, k5: lol, k6: lol, k7: lol, k8: lol}'];
    const names = 'abcdefghij';
    for (let i = 1; i < names.length; i++) {
      const p = names[i - 1];
      const c = names[i];
      lines.push(aliasKind === 'sequence'
        ? `${c}: &${c} [${Array(9).fill(`*${p}`).join(',')}]`
        : `${c}: &${c} {<<: *${p}, ${Array.from({ length: 8 }, (_, j) => `k${j + 1}: *${p}`).join(', ')}}`);
    }
    return lines;
  };

  test.each([
    ['billion laughs (nested sequences, 10^9 strings)', laughs('sequence').join('\n')],
    ['billion laughs inside a Kubernetes object', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  ${laughs('sequence').join('\n  ')}`],
    ['billion laughs through merge keys', laughs('merge').join('\n')],
  ])('%s', (_name, content) => {
    expectRefused(cli(['check', file('bomb.yaml', `${content}\n`)]), /bomb\.yaml: invalid YAML: Excessive alias count/, { mb: 256 });
  });

  test('the same bomb on standard input', () => {
    expectRefused(cli(['check', '-'], `${laughs('sequence').join('\n')}\n`), /<stdin>: invalid YAML: Excessive alias count/, { mb: 256 });
  });

  test('a large anchored string aliased many times (quadratic blow-up) stays within bounds', () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const content = `${CONFIG_MAP}  a0: &s "${big}"\n${Array.from({ length: 90 }, (_, i) => `  a${i + 1}: *s\n`).join('')}`;
    const r = cli(['check', file('quadratic.yaml', content), '--pack', 'gitops-hygiene', '--quiet']);
    // aliases share one string: checked (not refused), but without 90 copies of 2 MiB
    expect(r.stderr).toBe('');
    expect([0, 1]).toContain(r.code);
    expect(r.rssGrowthMb).toBeLessThan(1024);
  });
});

describe('documents that are not Kubernetes objects', () => {
  test.each([
    ['a scalar', '42\n'],
    ['a list', '- apiVersion: v1\n  kind: ConfigMap\n'],
    ['a Helm values file', 'replicaCount: 3\nimage:\n  repository: nginx\n'],
    ['kind without apiVersion', 'kind: Pod\nmetadata:\n  name: x\n'],
    ['JSON', '{"apiVersion": 1, "kind": ["Pod"]}\n'],
    ['only comments and empty documents', '# nothing\n---\n---\n'],
  ])('a file of only %s: nothing checked is an error', (_name, content) => {
    expectRefused(cli(['check', file('values.yaml', content)]), /check: no Kubernetes object in .*values\.yaml \(1 file read, \d+ documents? skipped/);
  });

  test('an object with a numeric name or none is refused, naming the file and the document (kubectl refuses it too)', () => {
    expectRefused(cli(['check', file('values.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: 7\n')]), /values\.yaml:1: document 1: Pod metadata\.name 7 is not a string/);
    expectRefused(cli(['check', file('values.yaml', 'apiVersion: v1\nkind: Pod\n')]), /values\.yaml:1: document 1: Pod without metadata\.name or metadata\.generateName/);
  });

  test('mixed with Kubernetes objects: skipped and counted, the objects checked', () => {
    const r = cli(['check', file('mixed.yaml', `replicaCount: 3\n---\n${CONFIG_MAP}---\n- a\n- b\n`), '--format', 'json', '--pack', 'gitops-hygiene']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ objectsChecked: 1, skippedDocuments: 2 });
  });

  test('property: objects of workload kinds with fields of any type never crash a policy: a result (exit 0 or 1) or the object refused (exit 2)', () => {
    const kinds = fc.constantFrom(
      ['v1', 'Pod'], ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['batch/v1', 'Job'], ['batch/v1', 'CronJob'],
      ['v1', 'Secret'], ['v1', 'Service'], ['networking.k8s.io/v1', 'NetworkPolicy'], ['policy/v1', 'PodDisruptionBudget'], ['v1', 'Namespace'],
    );
    // JSON values only (what YAML can carry), sprinkled over the places the rules look at
    const anything = fc.jsonValue({ maxDepth: 3 });
    const container = fc.oneof(anything, fc.record({
      name: anything,
      image: anything,
      securityContext: anything,
      ports: anything,
      resources: anything,
      env: anything,
      livenessProbe: anything,
      readinessProbe: anything,
      volumeMounts: anything,
    }, { requiredKeys: [] }));
    const podSpec = fc.oneof(anything, fc.record({
      containers: fc.oneof(anything, fc.array(container, { maxLength: 2 })),
      initContainers: anything,
      securityContext: anything,
      volumes: anything,
      hostNetwork: anything,
      affinity: anything,
      topologySpreadConstraints: anything,
    }, { requiredKeys: [] }));
    const object = fc.tuple(kinds, anything, anything, podSpec, anything).map(([[apiVersion, kind], labels, annotations, pod, other]) => ({
      apiVersion,
      kind,
      metadata: { name: 'x', namespace: 'apps', labels, annotations },
      spec: kind === 'Pod' ? pod : { replicas: other, selector: other, template: { metadata: { labels }, spec: pod }, jobTemplate: { spec: { template: { spec: pod } } } },
      data: other,
      stringData: other,
    }));
    const codes = [0, 0, 0];
    fc.assert(fc.property(fc.array(object, { minLength: 1, maxLength: 3 }), (objects) => {
      const yaml = objects.map((o) => stringify(o)).join('---\n');
      const r = cli(['check', '-', '--format', 'json', '--tier', 'production'], yaml);
      codes[r.code] = (codes[r.code] ?? 0) + 1;
      // a field a rule cannot read: bad input naming the object, the line and the rule
      if (r.code === 2) {expectRefused(r, /<stdin>:\d+: invalid \w+ "x" \(rule [A-Z]+-\w+\) .*: a well-formed Kubernetes object/);} else {
        expect(r.stderr).toBe('');
        expect([0, 1]).toContain(r.code);
        JSON.parse(r.stdout);
      }
    }), params({ numRuns: Math.max(300, Math.round(RUNS * 0.3)) }));
    // the rules read most of these objects (findings or not); refusing one must stay the exception
    expect(codes[0] + codes[1]).toBeGreaterThan(codes[2] ?? 0);
  });
});

describe('files that are not YAML text', () => {
  test.each([
    ['an ELF binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00])],
    ['a PNG image', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d])],
    ['UTF-16 text', Buffer.from('\ufeffapiVersion: v1\n', 'utf16le')],
  ])('%s', (_name, content) => {
    expectRefused(cli(['check', file('input.yaml', content)]), /input\.yaml: binary file, not YAML/);
  });

  test('invalid UTF-8 without NUL bytes is read with replacement characters, never crashes', () => {
    const r = cli(['check', file('latin1.yaml', Buffer.concat([Buffer.from(CONFIG_MAP), Buffer.from('  x: caf\xe9\xff\n', 'latin1')])), '--pack', 'gitops-hygiene']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('huge inputs', () => {
  test('a file over the 64 MiB limit is refused before it is read', () => {
    const p = path.join(dir, 'huge.yaml');
    const fd = fs.openSync(p, 'w');
    fs.ftruncateSync(fd, 65 * 1024 * 1024); // sparse: no 65 MiB written to disk
    fs.closeSync(fd);
    expectRefused(cli(['check', p]), /huge\.yaml: too large \(68157440 bytes, at most 67108864\)/, { mb: 64 });
  });

  test('an endless device is cut at the limit, memory bounded', () => {
    if (!fs.existsSync('/dev/zero')) return;
    expectRefused(cli(['check', '/dev/zero']), /\/dev\/zero: too large \(more than 67108864 bytes\)/, { mb: 512 });
  });

  test('an allowed but large file (4 MiB, 2 000 objects) is checked within bounds', () => {
    const doc = (i: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: apps\ndata:\n  blob: "${'y'.repeat(2000)}"\n`;
    const r = cli(['check', file('big.yaml', Array.from({ length: 2000 }, (_, i) => doc(i)).join('---\n')), '--pack', 'gitops-hygiene', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/2000 objects checked/);
    expect(r.rssGrowthMb).toBeLessThan(1024);
  });
});

describe('file-system traps', () => {
  test('a symbolic link loop between two files, in a directory walk and named directly', () => {
    fs.symlinkSync('b.yaml', path.join(dir, 'a.yaml'));
    fs.symlinkSync('a.yaml', path.join(dir, 'b.yaml'));
    expectRefused(cli(['check', dir]), /a\.yaml: symbolic link loop/);
    expectRefused(cli(['check', path.join(dir, 'a.yaml')]), /a\.yaml: cannot read: ELOOP/);
  });

  test('a directory that links to itself or an ancestor is walked once', () => {
    file('apps/cm.yaml', CONFIG_MAP);
    fs.symlinkSync('.', path.join(dir, 'apps/self'));
    fs.symlinkSync('..', path.join(dir, 'apps/parent'));
    const r = cli(['check', dir, '--pack', 'gitops-hygiene', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).summary.objectsChecked).toBe(1);
  });

  test('a dangling symbolic link', () => {
    fs.symlinkSync('nowhere.yaml', path.join(dir, 'dangling.yaml'));
    expectRefused(cli(['check', dir]), /dangling\.yaml: broken symbolic link/);
  });

  test('a FIFO in a directory is refused, never read (it would block forever)', () => {
    const fifo = path.join(dir, 'pipe.yaml');
    if (child.spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo: nothing to test
    file('cm.yaml', CONFIG_MAP);
    expectRefused(cli(['check', dir]), /pipe\.yaml: not a regular file/);
  });

  test('an unreadable file (chmod 000)', () => {
    const p = file('secret.yaml', CONFIG_MAP);
    fs.chmodSync(p, 0o000);
    if (isRoot) {
      // root reads files whatever their mode (CI runs as root), so chmod cannot make an unreadable
      // file there: the next test makes one that even root cannot read
      expect(cli(['check', p, '--pack', 'gitops-hygiene']).code).toBe(0);
      return;
    }
    expectRefused(cli(['check', p]), /secret\.yaml: cannot read: EACCES/);
    expectRefused(cli(['check', dir]), /secret\.yaml: cannot read: EACCES/);
  });

  test('a file that even root cannot read (/proc/self/mem: EIO)', () => {
    if (!fs.existsSync('/proc/self/mem')) return;
    expectRefused(cli(['check', '/proc/self/mem']), /\/proc\/self\/mem: cannot read: EIO/);
  });

  test('an unreadable directory (chmod 000, or a file where a directory is expected)', () => {
    if (!isRoot) {
      const locked = path.join(dir, 'locked');
      fs.mkdirSync(locked);
      file('locked/cm.yaml', CONFIG_MAP);
      fs.chmodSync(locked, 0o000);
      try {
        expectRefused(cli(['check', dir]), /locked: cannot read: EACCES/);
      } finally {
        fs.chmodSync(locked, 0o755);
      }
    }
    expectRefused(cli(['verify', file('not-a-dir', 'x')]), /not a directory/);
  });
});

describe('standard input and FIFOs, end to end in a process (a blocked read cannot hang the test run)', () => {
  let mainJs: string;
  beforeAll(() => {
    mainJs = path.join(buildJs([]), 'src/cli/main.js');
  }, 60_000);

  const run = (args: string[], input: Buffer | string) => {
    const started = Date.now();
    // the child reports its peak RSS: memory stays bounded although the input never ends
    const r = child.spawnSync(process.execPath, ['-e', `
      process.on('exit', () => process.stderr.write('\\n#maxrss ' + process.resourceUsage().maxRSS + '\\n'));
      process.exitCode = require(${JSON.stringify(mainJs)}).main(process.argv.slice(1));
    `, ...args], { input, env: childEnv(), encoding: 'utf8', maxBuffer: 1024 * 1024, timeout: 60_000, killSignal: 'SIGKILL' });
    const [stderr, rss] = r.stderr.split('\n#maxrss ');
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr, maxRssMb: Number(rss) / 1024, ms: Date.now() - started };
  };

  test.each([
    ['a policy path naming a FIFO', 'policies: [pipe.yaml]\nresources: [pod.yaml]', /pipe\.yaml: not a regular file/],
    ['a FIFO inside a policy directory', 'policies: [policies]\nresources: [pod.yaml]', /policies\/pipe\.yaml: not a regular file/],
    ['a resource path naming a FIFO', 'policies: [policies/policy.yaml]\nresources: [pipe.yaml]', /pipe\.yaml: not a regular file/],
    ['a variables file that is a FIFO', 'policies: [policies/policy.yaml]\nresources: [pod.yaml]\nvariables: pipe.yaml', /pipe\.yaml: not a regular file/],
  ])('kyverno-test with %s: refused at once, never opened (it used to block forever)', (_name, fields, message) => {
    const tests = path.join(dir, 'tests');
    fs.mkdirSync(path.join(tests, 'policies'), { recursive: true });
    if (child.spawnSync('mkfifo', [path.join(tests, 'pipe.yaml')]).status !== 0) return; // no mkfifo: nothing to test
    child.spawnSync('mkfifo', [path.join(tests, 'policies/pipe.yaml')]);
    fs.writeFileSync(path.join(tests, 'policies/policy.yaml'), 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules:\n'
      + '  - name: r\n    match: {any: [{resources: {kinds: [Pod]}}]}\n    validate: {message: m, pattern: {metadata: {name: "?*"}}}\n');
    fs.writeFileSync(path.join(tests, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec: {containers: [{name: c, image: "x:1"}]}\n');
    fs.writeFileSync(path.join(tests, 'kyverno-test.yaml'), `apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\n${fields}\n`
      + 'results:\n- {policy: p, rule: r, kind: Pod, resources: [good], result: pass}\n');
    const r = run(['kyverno-test', tests], '');
    expect(r.signal).toBeNull(); // not killed by the timeout: it did not block
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.code).toBe(2);
  });

  test('70 MiB on standard input: refused at the limit, no stack trace', () => {
    const r = run(['check', '-'], Buffer.alloc(70 * 1024 * 1024, 'a'));
    expect(r.stderr.trimEnd()).toMatch(/^cdk8s-stateful: <stdin>: too large \(more than 67108864 bytes\)$/);
    expect(r.code).toBe(2);
    expect(r.maxRssMb).toBeLessThan(1024);
  });

  test('a YAML bomb on standard input', () => {
    const bomb = ['a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)];
    const r = run(['check', '-'], `${bomb.join('\n')}\n`);
    expect(r.stderr.trimEnd()).toMatch(/^cdk8s-stateful: <stdin>: invalid YAML: Excessive alias count[^\n]*$/);
    expect(r.code).toBe(2);
    expect(r.maxRssMb).toBeLessThan(512);
  });
});

describe('kyverno-test: paths that leave the test directory', () => {

  const POLICY = 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: require-team}\nspec:\n  rules:\n  - name: check-team\n'
    + '    match: {any: [{resources: {kinds: [Pod]}}]}\n    validate:\n      message: "team label required"\n      pattern: {metadata: {labels: {team: "?*"}}}\n';
  const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: good, labels: {team: db}}\nspec: {containers: [{name: c, image: "x:1"}]}\n';
  const kyvernoTest = (fields: string) => 'apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\n'
    + `${fields}\nresults:\n- {policy: require-team, rule: check-team, kind: Pod, resources: [good], result: pass}\n`;

  /** <root>/tests/ is the directory given to kyverno-test; <root>/outside/ holds what must never be read. */
  function layout(fields: string): { root: string; tests: string } {
    file('outside/policy.yaml', POLICY);
    file('outside/pod.yaml', POD);
    file('outside/values.yaml', 'apiVersion: cli.kyverno.io/v1alpha1\nkind: Values\nglobalValues: {}\n');
    file('tests/policy.yaml', POLICY);
    file('tests/pod.yaml', POD);
    file('tests/kyverno-test.yaml', kyvernoTest(fields));
    return { root: dir, tests: path.join(dir, 'tests') };
  }

  test('a sane test passes (the cases below differ only in the path)', () => {
    const { tests } = layout('policies: [policy.yaml]\nresources: [pod.yaml]');
    const r = cli(['kyverno-test', tests]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test.each([
    ['a relative policy path with ..', () => 'policies: [../outside/policy.yaml]\nresources: [pod.yaml]', /policy "\.\.\/outside\/policy\.yaml" is outside the test directory/],
    ['a resource path that goes down, then up and out', () => 'policies: [policy.yaml]\nresources: [sub/../../outside/pod.yaml]', /resource "sub\/\.\.\/\.\.\/outside\/pod\.yaml" is outside/],
    ['an absolute path', () => 'policies: [policy.yaml]\nresources: [/etc/passwd]', /resource "\/etc\/passwd" is outside the test directory/],
    ['a variables file outside', () => 'policies: [policy.yaml]\nresources: [pod.yaml]\nvariables: ../outside/values.yaml', /"\.\.\/outside\/values\.yaml" is outside the test directory/],
    ['a symbolic link inside pointing to a file outside', () => {
      fs.symlinkSync(path.join(dir, 'outside/policy.yaml'), path.join(dir, 'tests/linked.yaml'));
      return 'policies: [linked.yaml]\nresources: [pod.yaml]';
    }, /linked\.yaml.*outside the test directory/],
    ['a symbolic link to a directory outside', () => {
      fs.symlinkSync(path.join(dir, 'outside'), path.join(dir, 'tests/elsewhere'));
      return 'policies: [elsewhere/policy.yaml]\nresources: [pod.yaml]';
    }, /elsewhere\/policy\.yaml.*outside the test directory/],
    ['a NUL byte in a path', () => 'policies: ["policy.yaml\\0../../outside/policy.yaml"]\nresources: [pod.yaml]', /policy/],
  ])('%s: exit 2, one line', (_name, fields, message) => {
    const { tests } = layout(''); // the layout first, then the links the case adds

    file('tests/kyverno-test.yaml', kyvernoTest((fields as () => string)()));
    expectRefused(cli(['kyverno-test', tests]), message as RegExp);
  });

  test('a YAML bomb in a kyverno-test file', () => {
    const { tests } = layout('policies: [policy.yaml]\nresources: [pod.yaml]');
    const bomb = ['x-a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]', ...'bcdefghi'.split('').map((c, i) => `x-${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)];
    fs.appendFileSync(path.join(tests, 'kyverno-test.yaml'), `${bomb.join('\n')}\n`);
    expectRefused(cli(['kyverno-test', tests]), /kyverno-test\.yaml: invalid YAML: Excessive alias count/, { mb: 256 });
  });

});
