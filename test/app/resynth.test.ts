/**
 * Re-synthesis of an unchanged app writes nothing and reads the previous output without parsing
 * it; a one-object change writes that one file and the manifest. Counted through the file-system
 * and YAML-reader seams (no clocks).
 */
import * as fs from 'fs';
import fsDefault from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { fleet } from '../../bench/fleet';
import { AspectPriority, Aspects, Environment, EnvironmentChart, GitOpsApp, PolicyPacks, Tier } from '../../src';
import * as manifestModule from '../../src/gitops/writer/manifest';
import { PodSecurityRule } from '../../src/policy/packs/pod-security-rule';
import * as yamlRead from '../../src/private/yaml-read';
import { git } from '../gitops/publish/helpers';
import { tmpdir } from '../util/tmp';

/** Inode and mtime of every file under `dir`, by posix path. */
function stamps(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        walk(child);
      } else {
        const st = fs.statSync(path.join(dir, child), { bigint: true });
        out.set(child, `${st.ino}:${st.mtimeNs}`);
      }
    }
  };
  walk('');
  return out;
}

function fleetApp(outdir: string, services = 3, synthesisCache = false): GitOpsApp {
  // without the cross-run cache unless asked: these tests count the reads of a cold re-synthesis
  const app = new GitOpsApp({ outdir, synthesisCache });
  fleet(app, services, { kind: 'data' });
  return app;
}

/** Runs `fn` and counts previous-output YAML parses and lstat calls on paths below `below`. */
function counting<T>(below: string, fn: () => T): { result: T; parses: number; lstats: number } {
  const parse = jest.spyOn(yamlRead, 'parseYaml');
  const lstat = jest.spyOn(fsDefault, 'lstatSync');
  try {
    const result = fn();
    const lstats = lstat.mock.calls.filter(([p]) => String(p).startsWith(below + path.sep)).length;
    return { result, parses: parse.mock.calls.length, lstats };
  } finally {
    parse.mockRestore();
    lstat.mockRestore();
  }
}

describe('re-synthesis', () => {
  test('no change: no file written or touched, no previous object parsed, no per-file lstat', () => {
    const outdir = tmpdir();
    const first = counting(outdir, () => fleetApp(outdir).synthesize());
    expect(first.result.written.length).toBeGreaterThan(50);
    const before = stamps(outdir);

    const again = counting(path.join(outdir, 'rendered'), () => fleetApp(outdir).synthesize());

    expect(again.result.written).toEqual([]);
    expect(again.result.deleted).toEqual([]);
    expect(again.result.unchanged.length).toBe(first.result.written.length);
    expect(stamps(outdir)).toEqual(before); // the manifest included
    // synthesis itself parses as much YAML as the first time (none of it the previous output)
    expect(again.parses).toBe(first.parses);
    // the writer lists each folder once instead of an lstat per output file
    expect(again.lstats).toBe(0);
  });

  test('no change: change safety and the writer share one read of each output file and one parse of the manifest', () => {
    const outdir = tmpdir();
    fleetApp(outdir).synthesize();
    const read = jest.spyOn(fsDefault, 'readFileSync');
    const parseManifest = jest.spyOn(manifestModule, 'parseManifest');
    const reads = new Map<string, number>();
    let result;
    let manifestParses: number;
    try {
      result = fleetApp(outdir).synthesize();
      for (const [p] of read.mock.calls) {
        const rel = path.relative(outdir, String(p)).split(path.sep).join('/');
        if (!rel.startsWith('..') && !path.isAbsolute(rel)) reads.set(rel, (reads.get(rel) ?? 0) + 1);
      }
      manifestParses = parseManifest.mock.calls.length;
    } finally {
      read.mockRestore();
      parseManifest.mockRestore();
    }
    expect(result.written).toEqual([]);
    expect(result.unchanged.length).toBeGreaterThan(50);
    // every output file was read (compared), none twice; the manifest once
    for (const f of result.unchanged) expect([f, reads.get(f)]).toEqual([f, 1]);
    expect(reads.get('.cdk8s-stateful/manifest.json')).toBe(1);
    expect(manifestParses).toBe(1);
  });

  test('no change, warm cross-run cache: no output file opened or read, each lstat once, no built-in manifest rule run, nothing written', () => {
    const outdir = tmpdir();
    const withPacks = () => {
      const app = fleetApp(outdir, 3, true);
      for (const p of PolicyPacks.all()) Aspects.of(app).add(p, { priority: AspectPriority.READONLY });
      return app;
    };
    const first = withPacks().synthesize();
    expect(first.written.length).toBeGreaterThan(50);
    // files written in the clock granule of the save are not trusted (racy): the next run reads and records them
    expect(withPacks().synthesize().written).toEqual([]);
    const before = stamps(outdir);
    const rules = [PodSecurityRule, ...new Set(PolicyPacks.all().flatMap((p) => p.manifestRules.map((r) => r.constructor)))]
      .map((c) => jest.spyOn((c as any).prototype, 'evaluate'));
    const read = jest.spyOn(fsDefault, 'readFileSync');
    const open = jest.spyOn(fsDefault, 'openSync');
    const lstat = jest.spyOn(fsDefault, 'lstatSync');
    const below = (calls: unknown[][]) => calls.map(([p]) => path.relative(outdir, String(p)).split(path.sep).join('/'))
      .filter((rel) => !rel.startsWith('..') && !path.isAbsolute(rel));
    let again;
    let opened: string[];
    let lstats: string[];
    try {
      again = withPacks().synthesize();
      opened = [...below(read.mock.calls), ...below(open.mock.calls)];
      lstats = below(lstat.mock.calls).filter((rel) => first.written.includes(rel));
      expect(rules.map((r) => r.mock.calls.length)).toEqual(rules.map(() => 0));
    } finally {
      for (const r of rules) r.mockRestore();
      read.mockRestore();
      open.mockRestore();
      lstat.mockRestore();
    }
    expect(again.written).toEqual([]);
    expect(again.unchanged).toEqual(first.written);
    expect(again.findings).toEqual(first.findings);
    expect(stamps(outdir)).toEqual(before);
    // the manifest (and the lock) only: no output file is opened
    expect(opened.filter((rel) => !rel.startsWith('.cdk8s-stateful/'))).toEqual([]);
    expect(new Set(lstats).size).toBe(lstats.length);
    expect(lstats.length).toBe(first.written.length);
  });

  test('one object changed: exactly its file and the manifest are written', () => {
    const outdir = tmpdir();
    const app = (value: string) => {
      const a = fleetApp(outdir, 2);
      const env = new Environment({ name: 'extra', tier: Tier.DEVELOPMENT, namespace: 'extra', cluster: 'dev-cluster' });
      const chart = new EnvironmentChart(a, 'extra', { environment: env });
      new ApiObject(chart, 'Settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: value } });
      return a;
    };
    app('blue').synthesize();
    const before = stamps(outdir);

    const result = counting(outdir, () => app('green').synthesize());

    const file = 'rendered/extra/extra/ConfigMap.settings.yaml';
    expect(result.result.written).toEqual([file]);
    const after = stamps(outdir);
    const touched = [...after].filter(([p, s]) => before.get(p) !== s).map(([p]) => p).sort();
    expect(touched).toEqual(['.cdk8s-stateful/manifest.json', file]);
    expect(fs.readFileSync(path.join(outdir, file), 'utf8')).toContain('mode: green');
    // only the changed file was parsed from the previous output
    expect(result.parses - counting(outdir, () => app('green').render()).parses).toBe(1); // nothing changed since: nothing parsed
  });

  test('previous output from the committed tree: unchanged blobs are neither read nor parsed', () => {
    const repo = tmpdir('cdk8s-stateful-resynth-git-');
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.name', 'Test');
    git(repo, 'config', 'user.email', 'test@example.com');
    git(repo, 'config', 'commit.gpgsign', 'false');
    const outdir = path.join(repo, 'gitops');
    const baseline = counting(outdir, () => fleetApp(outdir).render()).parses;
    fleetApp(outdir).synthesize();
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'output');
    fs.rmSync(outdir, { recursive: true }); // what `cdk8s synth` does

    const again = counting(outdir, () => fleetApp(outdir).render());

    expect(again.result.findings.filter((f) => f.packId === 'change-safety')).toEqual([]);
    expect(again.parses).toBe(baseline);
  });
});
