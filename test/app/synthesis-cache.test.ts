/**
 * The cross-run cache (src/gitops/writer/stat-cache.ts, cache-store.ts) saves work and never
 * changes a result: a tampered, foreign or stale cache is ignored, an edit of an output file that
 * keeps its size and mtime is still seen, and random edits between runs give exactly what a run
 * without the cache gives.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import fsDefault from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { AspectPriority, Aspects, Environment, EnvironmentChart, GitOpsApp, PolicyPacks, Severity, Suppressions, SynthesisResult, Tier } from '../../src';
import { cacheFileName } from '../../src/gitops/writer/cache-store';
import { stateDir } from '../../src/gitops/writer/origin';
import * as findingsMemo from '../../src/policy/findings-memo';
import { PodSecurityRule } from '../../src/policy/packs/pod-security-rule';
import * as version from '../../src/private/version';
import { readTree, tmpdir } from '../util/tmp';

interface Model {
  readonly configMaps: Record<string, string>;
}

function app(outdir: string, model: Model, synthesisCache: boolean): GitOpsApp {
  const a = new GitOpsApp({ outdir, synthesisCache });
  const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'team', cluster: 'dev-cluster' });
  const chart = new EnvironmentChart(a, 'dev', { environment: env });
  for (const [name, value] of Object.entries(model.configMaps)) {
    new ApiObject(chart, name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } });
  }
  return a;
}

const MODEL: Model = { configMaps: { alpha: 'one', beta: 'two', gamma: 'three', delta: 'four' } };

function cachePath(outdir: string): string {
  return path.join(stateDir()!, 'cache', cacheFileName('files', outdir));
}

/** Output files (below rendered/) read during `fn`. */
function readsDuring<T>(outdir: string, fn: () => T): { result: T; reads: string[] } {
  const read = jest.spyOn(fsDefault, 'readFileSync');
  try {
    const result = fn();
    const reads = read.mock.calls.map(([p]) => path.relative(outdir, String(p)).split(path.sep).join('/'))
      .filter((rel) => rel.startsWith('rendered/'));
    return { result, reads };
  } finally {
    read.mockRestore();
  }
}

/** Two runs with the cache (the second records the files the first wrote in its last clock granule). */
function warm(outdir: string, model = MODEL): void {
  app(outdir, model, true).synthesize();
  app(outdir, model, true).synthesize();
  expect(fs.existsSync(cachePath(outdir))).toBe(true);
  expect(readsDuring(outdir, () => app(outdir, model, true).synthesize()).reads).toEqual([]);
}

/** The four ConfigMaps and the default-deny NetworkPolicy. */
const RENDERED = Object.keys(MODEL.configMaps).length + 1;

describe('file verification cache', () => {
  test('a warm cache spares reading the files; without it (option or env) every file is read', () => {
    const outdir = tmpdir();
    warm(outdir);
    expect(readsDuring(outdir, () => app(outdir, MODEL, false).synthesize()).reads).toHaveLength(RENDERED);
    const saved = process.env.CDK8S_STATEFUL_CACHE;
    process.env.CDK8S_STATEFUL_CACHE = 'off';
    try {
      expect(readsDuring(outdir, () => app(outdir, MODEL, true).synthesize()).reads).toHaveLength(RENDERED);
    } finally {
      if (saved === undefined) delete process.env.CDK8S_STATEFUL_CACHE;
      else process.env.CDK8S_STATEFUL_CACHE = saved;
    }
  });

  test('an edit that keeps the size and restores the mtime is seen (ctime): a hand-edit conflict, as without the cache', () => {
    const outdir = tmpdir();
    warm(outdir);
    const file = path.join(outdir, 'rendered/dev/team/ConfigMap.alpha.yaml');
    const st = fs.statSync(file);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('value: one', 'value: two').replace('two', 'one').replace('value: one', 'value: ONE'));
    expect(fs.statSync(file).size).toBe(st.size);
    fs.utimesSync(file, st.atime, st.mtime);
    expect(() => app(outdir, MODEL, true).synthesize()).toThrow(/ConfigMap\.alpha\.yaml: was edited by hand/);
  });

  test('a touched file (new mtime, same bytes) is read once and found unchanged', () => {
    const outdir = tmpdir();
    warm(outdir);
    const file = path.join(outdir, 'rendered/dev/team/ConfigMap.beta.yaml');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later);
    const { result, reads } = readsDuring(outdir, () => app(outdir, MODEL, true).synthesize());
    expect(result.written).toEqual([]);
    expect(reads).toEqual(['rendered/dev/team/ConfigMap.beta.yaml']);
  });

  test('racy entries are not recorded: a file whose mtime is not older than the clock of the run is read every time', () => {
    const outdir = tmpdir();
    warm(outdir);
    const file = path.join(outdir, 'rendered/dev/team/ConfigMap.gamma.yaml');
    const future = new Date(Date.now() + 3_600_000); // as a change in the clock granule of the run would be
    fs.utimesSync(file, future, future);
    for (let i = 0; i < 2; i++) {
      const { result, reads } = readsDuring(outdir, () => app(outdir, MODEL, true).synthesize());
      expect(result.written).toEqual([]);
      expect(reads).toEqual(['rendered/dev/team/ConfigMap.gamma.yaml']);
    }
  });

  test('a warm re-synthesis that changes nothing lists no folder of output files, reads no output file and lstats each file', () => {
    const outdir = tmpdir();
    warm(outdir);
    const files = (seen: unknown[][]) => seen.map(([p]) => path.relative(outdir, String(p)).split(path.sep).join('/'))
      .filter((rel) => rel !== '' && !rel.startsWith('..') && !rel.startsWith('.cdk8s-stateful'));
    const outputFiles = Object.keys(readTree(outdir)).filter((rel) => !rel.startsWith('.cdk8s-stateful/'));
    const readdir = jest.spyOn(fsDefault, 'readdirSync');
    const lstat = jest.spyOn(fsDefault, 'lstatSync');
    try {
      const { result, reads } = readsDuring(outdir, () => app(outdir, MODEL, true).synthesize());
      expect(result.written).toEqual([]);
      expect(reads).toEqual([]);
      // every output file: recorded by the cache, so only its lstat, no readdir of its folder (the folders
      // above are still inspected, once each: a symbolic link or a file in their place is a conflict)
      const fileFolders = new Set(outputFiles.filter((rel) => rel.includes('/')).map((rel) => rel.slice(0, rel.lastIndexOf('/'))));
      expect(fileFolders.size).toBeGreaterThan(0);
      const listed = files(readdir.mock.calls);
      expect(listed.filter((rel) => fileFolders.has(rel))).toEqual([]);
      expect(new Set(listed).size).toBe(listed.length);
      const lstats = files(lstat.mock.calls);
      expect(lstats.filter((rel) => outputFiles.includes(rel)).sort()).toEqual([...outputFiles].sort());
    } finally {
      readdir.mockRestore();
      lstat.mockRestore();
    }
  });

  // what can be where a recorded file was: each must give what a run without the cache gives
  const replaced: Array<[string, (outdir: string, rel: string) => void]> = [
    ['a directory', (outdir, rel) => {
      fs.rmSync(path.join(outdir, rel));
      fs.mkdirSync(path.join(outdir, rel));
    }],
    ['a symbolic link to a copy of it', (outdir, rel) => {
      const copy = path.join(tmpdir(), 'copy.yaml');
      fs.copyFileSync(path.join(outdir, rel), copy);
      fs.rmSync(path.join(outdir, rel));
      fs.symlinkSync(copy, path.join(outdir, rel));
    }],
    ['a dangling symbolic link', (outdir, rel) => {
      fs.rmSync(path.join(outdir, rel));
      fs.symlinkSync(path.join(tmpdir(), 'missing.yaml'), path.join(outdir, rel));
    }],
    ['its folder, a symbolic link to a copy of the folder', (outdir, rel) => {
      const folder = path.dirname(path.join(outdir, rel));
      const copy = path.join(tmpdir(), 'copy');
      fs.cpSync(folder, copy, { recursive: true });
      fs.rmSync(folder, { recursive: true });
      fs.symlinkSync(copy, folder);
    }],
    ['its folder, a file', (outdir, rel) => {
      const folder = path.dirname(path.join(outdir, rel));
      fs.rmSync(folder, { recursive: true });
      fs.writeFileSync(folder, 'not a folder\n');
    }],
    ['nothing (folder removed)', (outdir, rel) => fs.rmSync(path.dirname(path.join(outdir, rel)), { recursive: true })],
    ['a file of other bytes, same size, mtime restored', (outdir, rel) => {
      const file = path.join(outdir, rel);
      const st = fs.statSync(file);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('value: one', 'value: 0ne'));
      fs.utimesSync(file, st.atime, st.mtime);
    }],
  ];
  test.each(replaced)('a recorded file replaced by %s: the same result and files as without the cache', (_what, replace) => {
    const withCache = tmpdir();
    const without = tmpdir();
    warm(withCache);
    app(without, MODEL, false).synthesize();
    const rel = 'rendered/dev/team/ConfigMap.alpha.yaml';
    replace(withCache, rel);
    replace(without, rel);
    const expected = outcome(without, () => app(without, MODEL, false).synthesize());
    expect(outcome(withCache, () => app(withCache, MODEL, true).synthesize())).toEqual(expected);
    expect(shape(withCache)).toEqual(shape(without));
  });

  const tampered: Array<[string, (file: string, outdir: string) => void]> = [
    ['a bad seal (one byte of the body changed)', (file) => {
      const text = fs.readFileSync(file, 'utf8');
      const at = text.indexOf('"files"');
      fs.writeFileSync(file, text.slice(0, at) + '"files" ' + text.slice(at + 7), { mode: 0o600 });
    }],
    ['truncated', (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))],
    ['empty', (file) => fs.truncateSync(file, 0)],
    ['of another output folder (copied over)', (file) => {
      const other = tmpdir();
      warm(other);
      fs.copyFileSync(cachePath(other), file);
    }],
    ['readable by others', (file) => fs.chmodSync(file, 0o644)],
  ];
  test.each(tampered)('a cache that is %s is ignored: every file is read, the result is the same', (_what, tamper) => {
    const outdir = tmpdir();
    warm(outdir);
    tamper(cachePath(outdir), outdir);
    const { result, reads } = readsDuring(outdir, () => app(outdir, MODEL, true).synthesize());
    expect(result.written).toEqual([]);
    expect(reads).toHaveLength(RENDERED);
  });

  test('a cache of another library version is ignored', () => {
    const outdir = tmpdir();
    warm(outdir);
    const spy = jest.spyOn(version, 'libraryVersion').mockReturnValue('99.0.0-other');
    try {
      const { result, reads } = readsDuring(outdir, () => app(outdir, MODEL, true).synthesize());
      expect(result.written).toEqual([]);
      expect(reads).toHaveLength(RENDERED);
    } finally {
      spy.mockRestore();
    }
  });

  test('a cache that cannot be written (state folder unusable) changes nothing', () => {
    const outdir = tmpdir();
    const saved = process.env.CDK8S_STATEFUL_STATE_DIR;
    process.env.CDK8S_STATEFUL_STATE_DIR = '/proc/cdk8s-stateful-no-such-place';
    try {
      expect(app(outdir, MODEL, true).synthesize().written).toHaveLength(RENDERED + 2); // with the Namespace and the README
      expect(readsDuring(outdir, () => app(outdir, MODEL, true).synthesize()).reads).toHaveLength(RENDERED);
    } finally {
      process.env.CDK8S_STATEFUL_STATE_DIR = saved;
    }
  });
});

/* eslint-disable no-bitwise */
/** A small deterministic random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = { ok: Omit<SynthesisResult, 'objectCount'> } | { error: string };

function outcome(outdir: string, fn: () => SynthesisResult): Outcome {
  try {
    const { objectCount: _, ...rest } = fn();
    return { ok: rest };
  } catch (e) {
    return { error: String((e as Error).message).split(outdir).join('<outdir>') };
  }
}

describe('differential: with and without the cache', () => {
  test.each([11, 22, 33])('random edits between runs give the same results and files (seed %i)', (seed) => {
    const next = random(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
    const withCache = tmpdir();
    const without = tmpdir();
    let model: Model = { configMaps: { ...MODEL.configMaps } };
    const both = (edit: (outdir: string) => void) => {
      edit(withCache);
      edit(without);
    };
    for (let step = 0; step < 12; step++) {
      const names = Object.keys(model.configMaps);
      const action = pick(['none', 'change', 'add', 'remove', 'edit-same-size', 'touch', 'delete-file']);
      if (action === 'change' && names.length > 0) {
        model = { configMaps: { ...model.configMaps, [pick(names)]: `v${Math.floor(next() * 1000)}` } };
      } else if (action === 'add') {
        model = { configMaps: { ...model.configMaps, [`extra${Math.floor(next() * 100)}`]: 'added' } };
      } else if (action === 'remove' && names.length > 1) {
        const { [pick(names)]: _, ...rest } = model.configMaps;
        model = { configMaps: rest };
      } else if ((action === 'edit-same-size' || action === 'touch' || action === 'delete-file') && names.length > 0) {
        const rel = `rendered/dev/team/ConfigMap.${pick(names)}.yaml`;
        both((outdir) => {
          const file = path.join(outdir, rel);
          if (!fs.existsSync(file)) return;
          const st = fs.statSync(file);
          if (action === 'delete-file') {
            fs.rmSync(file);
          } else if (action === 'touch') {
            fs.utimesSync(file, st.atime, new Date(st.mtimeMs + 5_000));
          } else {
            const text = fs.readFileSync(file, 'utf8');
            fs.writeFileSync(file, text.replace(/value: (.)/, (_m, c) => `value: ${c === 'x' ? 'y' : 'x'}`));
            fs.utimesSync(file, st.atime, st.mtime);
          }
        });
      }
      const a = outcome(withCache, () => app(withCache, model, true).synthesize());
      const b = outcome(without, () => app(without, model, false).synthesize());
      expect([step, action, a]).toEqual([step, action, b]);
      if ('error' in a) {
        // a hand edit: both give it up the same way
        const fix = (outdir: string, cache: boolean) => {
          const x = new GitOpsApp({ outdir, synthesisCache: cache, overwriteHandEdits: true });
          const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'team', cluster: 'dev-cluster' });
          const chart = new EnvironmentChart(x, 'dev', { environment: env });
          for (const [name, value] of Object.entries(model.configMaps)) {
            new ApiObject(chart, name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } });
          }
          return x.synthesize();
        };
        expect(outcome(withCache, () => fix(withCache, true))).toEqual(outcome(without, () => fix(without, false)));
      }
      expect(readTree(withCache)).toEqual(readTree(without));
    }
  });
});

/** What is in `dir`: each file's text, each symbolic link as such (not followed). */
function shape(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else out[child] = e.isSymbolicLink() ? 'symbolic link' : fs.readFileSync(path.join(dir, child), 'utf8');
    }
  };
  walk('');
  return out;
}


interface Service {
  readonly image: string;
  readonly replicas: number;
  readonly probes: boolean;
  readonly privileged: boolean;
  readonly suppressProbe: boolean;
}

interface PolicyModel {
  readonly tier: Tier;
  readonly allowedRegistries: boolean;
  readonly override: boolean;
  readonly services: Record<string, Service>;
}

function deployment(name: string, s: Service): any {
  const probe = { httpGet: { path: '/healthz', port: 8080 } };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'app',
            image: s.image,
            securityContext: s.privileged
              ? { privileged: true }
              : { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '64Mi' } },
            ...(s.probes ? { readinessProbe: probe, livenessProbe: probe } : {}),
          }],
        },
      },
    },
  };
}

function policyApp(outdir: string, m: PolicyModel, synthesisCache: boolean): GitOpsApp {
  const a = new GitOpsApp({ outdir, synthesisCache });
  const env = new Environment({
    name: 'apps',
    tier: m.tier,
    namespace: 'apps',
    cluster: 'c1',
    ...(m.allowedRegistries ? { allowedRegistries: ['registry.example.com'] } : {}),
  });
  const chart = new EnvironmentChart(a, 'apps', { environment: env });
  for (const [name, s] of Object.entries(m.services)) {
    const o = new ApiObject(chart, name, deployment(name, s));
    if (s.suppressProbe) Suppressions.add(o, { ruleId: 'PROD-ReadinessProbe', reason: 'a batch worker: nothing reads its readiness' });
  }
  for (const p of PolicyPacks.all()) {
    const pack = m.override ? p.withSeverityOverrides([{ ruleId: 'PROD-LivenessProbe', severity: Severity.INFO }]) : p;
    Aspects.of(a).add(pack, { priority: AspectPriority.READONLY });
  }
  return a;
}

const SERVICE: Service = { image: 'registry.example.com/app:1.0.0', replicas: 2, probes: true, privileged: false, suppressProbe: false };
const POLICY_MODEL: PolicyModel = {
  tier: Tier.DEVELOPMENT,
  allowedRegistries: false,
  override: false,
  services: { web: SERVICE, api: { ...SERVICE, probes: false }, worker: { ...SERVICE, image: 'docker.io/library/worker:latest' } },
};

/** Calls of every built-in manifest rule class's `evaluate` during `fn`. */
function ruleCalls<T>(fn: () => T): { result: T; calls: number } {
  const spies = [PodSecurityRule, ...PolicyPacks.all().flatMap((p) => p.manifestRules.map((r) => r.constructor))]
    .filter((c, i, all) => all.indexOf(c) === i)
    .map((c) => jest.spyOn((c as any).prototype, 'evaluate'));
  try {
    const result = fn();
    return { result, calls: spies.reduce((n, s) => n + s.mock.calls.length, 0) };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('policy findings memo', () => {
  test('a warm memo: no built-in manifest rule runs, the findings are the same', () => {
    const outdir = tmpdir();
    const cold = ruleCalls(() => policyApp(outdir, POLICY_MODEL, true).synthesize());
    expect(cold.calls).toBeGreaterThan(10);
    expect(cold.result.findings.length).toBeGreaterThan(3);
    const again = ruleCalls(() => policyApp(outdir, POLICY_MODEL, true).synthesize());
    expect(again.calls).toBe(0);
    expect(again.result.findings).toEqual(cold.result.findings);
    // without the cache every rule runs again
    expect(ruleCalls(() => policyApp(outdir, POLICY_MODEL, false).synthesize()).calls).toBe(cold.calls);
  });

  test('with a warm memo, a new suppression, a severity override and an environment setting take effect', () => {
    const outdir = tmpdir();
    policyApp(outdir, POLICY_MODEL, true).synthesize();
    const variants: PolicyModel[] = [
      { ...POLICY_MODEL, services: { ...POLICY_MODEL.services, api: { ...POLICY_MODEL.services.api, suppressProbe: true } } },
      { ...POLICY_MODEL, override: true },
      { ...POLICY_MODEL, allowedRegistries: true },
      { ...POLICY_MODEL, tier: Tier.STAGING },
    ];
    // the findings (or the gate's error) only: what is written differs from a first synthesis
    const findings = (dir: string, m: PolicyModel, cache: boolean) => {
      const o = outcome(dir, () => policyApp(dir, m, cache).synthesize());
      return 'ok' in o ? { findings: o.ok.findings, unused: o.ok.unusedSuppressions } : o;
    };
    for (const m of variants) {
      expect(findings(outdir, m, true)).toEqual(findings(tmpdir(), m, false));
      expect(findings(outdir, POLICY_MODEL, true)).toEqual(findings(tmpdir(), POLICY_MODEL, false));
    }
  });

  test('a memo from other library code (a rule file changed) is not used', () => {
    const outdir = tmpdir();
    policyApp(outdir, POLICY_MODEL, true).synthesize();
    expect(ruleCalls(() => policyApp(outdir, POLICY_MODEL, true).synthesize()).calls).toBe(0);
    const rule = path.join(__dirname, '../../src/policy/packs/production-readiness/probes.ts');
    const st = fs.statSync(rule);
    fs.utimesSync(rule, st.atime, new Date(st.mtimeMs + 2_000));
    findingsMemo._forgetCodeDigest();
    try {
      expect(ruleCalls(() => policyApp(outdir, POLICY_MODEL, true).synthesize()).calls).toBeGreaterThan(10);
    } finally {
      fs.utimesSync(rule, st.atime, st.mtime);
      findingsMemo._forgetCodeDigest();
    }
  });

  test('the code digest covers every file that runs (a compiled package: .js, .json), not declarations (.d.ts)', () => {
    const root = tmpdir();
    fs.mkdirSync(path.join(root, 'policy'));
    for (const f of ['index.js', 'index.d.ts', 'policy/rule.js', 'policy/rule.d.ts', 'data.json', 'README.md']) fs.writeFileSync(path.join(root, f), 'x');
    const digest = () => {
      const hash = crypto.createHash('sha256');
      findingsMemo.hashFileTree(hash, root);
      return hash.digest('hex');
    };
    const touch = (f: string) => {
      const st = fs.statSync(path.join(root, f));
      fs.utimesSync(path.join(root, f), st.atime, new Date(st.mtimeMs + 2_000));
    };
    const before = digest();
    touch('policy/rule.d.ts');
    touch('README.md');
    expect(digest()).toBe(before);
    touch('policy/rule.js');
    const afterJs = digest();
    expect(afterJs).not.toBe(before);
    touch('data.json');
    expect(digest()).not.toBe(afterJs);
  });

  test.each([5, 6, 7, 8])('random changes between runs give the findings and files of a run without the cache (seed %i)', (seed) => {
    const next = random(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
    const withCache = tmpdir();
    const without = tmpdir();
    let m: PolicyModel = POLICY_MODEL;
    for (let step = 0; step < 30; step++) {
      const names = Object.keys(m.services);
      const name = pick(names);
      const s = m.services[name];
      const action = pick(['none', 'image', 'replicas', 'probes', 'privileged', 'suppress', 'add', 'remove', 'tier', 'registries', 'override', 'edit-file']);
      const set = (changed: Partial<Service>) => ({ ...m, services: { ...m.services, [name]: { ...s, ...changed } } });
      switch (action) {
        case 'image': m = set({ image: pick(['registry.example.com/app:1.0.0', 'docker.io/app:2', 'registry.example.com/app']) }); break;
        case 'replicas': m = set({ replicas: pick([1, 2, 3]) }); break;
        case 'probes': m = set({ probes: !s.probes }); break;
        case 'privileged': m = set({ privileged: !s.privileged }); break;
        case 'suppress': m = set({ suppressProbe: !s.suppressProbe }); break;
        case 'add': m = { ...m, services: { ...m.services, [`svc${Math.floor(next() * 50)}`]: { ...SERVICE, probes: next() < 0.5 } } }; break;
        case 'remove': if (names.length > 1) { const { [name]: _, ...rest } = m.services; m = { ...m, services: rest }; } break;
        case 'tier': m = { ...m, tier: pick([Tier.DEVELOPMENT, Tier.STAGING]) }; break;
        case 'registries': m = { ...m, allowedRegistries: !m.allowedRegistries }; break;
        case 'override': m = { ...m, override: !m.override }; break;
        case 'edit-file':
          for (const outdir of [withCache, without]) {
            const file = path.join(outdir, `rendered/apps/apps/Deployment.${name}.yaml`);
            if (!fs.existsSync(file)) continue;
            const st = fs.statSync(file);
            fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('replicas: ', 'replicas:  ').replace('name: app\n', 'name: ap\n'));
            fs.utimesSync(file, st.atime, st.mtime);
          }
          break;
        default: break;
      }
      const a = outcome(withCache, () => policyApp(withCache, m, true).synthesize());
      const b = outcome(without, () => policyApp(without, m, false).synthesize());
      expect([step, action, a]).toEqual([step, action, b]);
      if (action === 'edit-file') {
        // give the hand edit up in both, the same way
        const fix = (outdir: string, cache: boolean) => {
          const x = policyApp(outdir, m, cache);
          (x as any).overwriteHandEdits = true;
          return x.synthesize();
        };
        expect(outcome(withCache, () => fix(withCache, true))).toEqual(outcome(without, () => fix(without, false)));
      }
      expect(readTree(withCache)).toEqual(readTree(without));
    }
  });
});
