import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli, copyDist, expectUsageError } from './helpers';
import { EnvironmentRecord, OutputFile, readOwnedManifest, writeOutput } from '../../src/gitops/writer';
import { SUPPRESSIONS_ANNOTATION } from '../../src/policy/suppressions';
import { tmpdir } from '../util/tmp';

const json = (args: string[]) => {
  const r = cli(['verify', ...args, '--format', 'json']);
  return { ...r, report: r.stdout ? JSON.parse(r.stdout) : undefined };
};
const stateOf = (report: any, p: string) => report.files.find((f: any) => f.path === p)?.state;
const read = (dir: string, p: string) => fs.readFileSync(path.join(dir, p), 'utf8');
const write = (dir: string, p: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
  fs.writeFileSync(path.join(dir, p), content);
};

/** A Deployment file of the reference output, in the production environment. */
function prodDeployment(dir: string): string {
  const manifest = readOwnedManifest(dir)!;
  const prod = manifest.environments.find((e) => e.tier === 'production')!;
  const file = manifest.files.map((f) => f.path).find((p) => p.startsWith(`rendered/${prod.name}/`) && /\/Deployment\.[^/]+\.yaml$/.test(p));
  expect(file).toBeDefined();
  return file!;
}

describe('cdk8s-stateful verify: drift', () => {
  test('the reference output verifies clean (exit 0): every owned file intact, every recorded pack passes per environment', () => {
    const dir = copyDist();
    const { code, report, stderr } = json([dir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.files).toEqual([]);
    const manifest = readOwnedManifest(dir)!;
    // one scope per recorded environment with its tier, one per cluster (platform files, no tier)
    for (const env of manifest.environments) {
      expect(report.scopes).toContainEqual(expect.objectContaining({ folder: `rendered/${env.name}`, environment: env.name, tier: env.tier }));
    }
    for (const cluster of new Set(manifest.environments.map((e) => e.cluster))) {
      const scope = report.scopes.find((s: any) => s.folder === `platform/${cluster}`);
      expect(scope).toBeDefined();
      expect(scope.tier).toBeUndefined();
    }
    expect(report.summary.objectsChecked).toBeGreaterThan(10);
    // model rules cannot run on YAML: listed as not evaluable, never as passed
    expect(report.notEvaluable.map((n: any) => n.ruleId)).toContain('DATA-EncryptedStorage');
  });

  test('a hand-edited file is "modified"; its content is still checked (exit 1)', () => {
    const dir = copyDist();
    const file = prodDeployment(dir);
    write(dir, file, read(dir, file).replace(/replicas: \d+/, 'replicas: 1'));
    const { code, report } = json([dir]);
    expect(code).toBe(1);
    expect(report.files).toEqual([expect.objectContaining({ path: file, state: 'modified' })]);
    // the edited content breaks a production rule, found in the committed YAML with its line
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: 'PROD-ProductionReplicas', file, suppressed: false }));
    expect(report.findings.find((f: any) => f.ruleId === 'PROD-ProductionReplicas').line).toBeGreaterThan(1);
  });

  test('a deleted owned file is "missing" (exit 1)', () => {
    const dir = copyDist();
    const file = prodDeployment(dir);
    fs.rmSync(path.join(dir, file));
    const { code, report } = json([dir]);
    expect(code).toBe(1);
    expect(report.files).toEqual([expect.objectContaining({ path: file, state: 'missing' })]);
    expect(report.summary).toMatchObject({ missing: 1, modified: 0 });
  });

  test('a file the library did not write in its folders is "unknown" (exit 1, or listed only with --allow-unknown); elsewhere it is ignored', () => {
    const dir = copyDist();
    const extra = 'rendered/prod/extra/ConfigMap.extra.yaml';
    write(dir, extra, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: extra\ndata:\n  mode: fast\n');
    write(dir, 'docs/NOTES.md', 'my notes\n');
    const { code, report } = json([dir]);
    expect(code).toBe(1);
    expect(report.files).toEqual([expect.objectContaining({ path: extra, state: 'unknown' })]);
    expect(report.ignoredFiles).toEqual(['docs/NOTES.md']);
    const allowed = json([dir, '--allow-unknown']);
    expect(allowed.code).toBe(0);
    expect(stateOf(allowed.report, extra)).toBe('unknown');
  });

  test('an unknown file is policy-checked too: Flux would apply it', () => {
    const dir = copyDist();
    const manifest = readOwnedManifest(dir)!;
    const env = manifest.environments[0];
    const extra = `rendered/${env.name}/${env.namespace}/ConfigMap.leak.yaml`;
    write(dir, extra, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\n  namespace: ${env.namespace}\ndata:\n  db-password: hunter2\n`);
    const { code, report } = json([dir, '--allow-unknown']);
    expect(code).toBe(1);
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: 'GITOPS-NoLiteralCredentials', file: extra, line: 7 }));
  });

  test('the items of a List in an unknown file are checked, at their own lines (kubectl kustomize inlines them)', () => {
    const dir = copyDist();
    const env = readOwnedManifest(dir)!.environments[0];
    const extra = `rendered/${env.name}/${env.namespace}/List.leaks.yaml`;
    write(dir, extra, `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: leak, namespace: ${env.namespace}}\n`
      + '  data:\n    db-password: hunter2\n');
    const { code, report } = json([dir, '--allow-unknown']);
    expect(code).toBe(1);
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: 'GITOPS-NoLiteralCredentials', file: extra, line: 8 }));
  });

  test('owned files of an environment the manifest no longer records are "stale" (exit 1)', () => {
    const dir = copyDist();
    const manifestPath = path.join(dir, '.cdk8s-stateful/manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    const dropped = manifest.environments.pop();
    fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    const { code, report } = json([dir]);
    expect(code).toBe(1);
    const owned = manifest.files.map((f: any) => f.path)
      .filter((p: string) => p.startsWith(`rendered/${dropped.name}/`) || p.startsWith(`overlays/${dropped.name}/`));
    expect(owned.length).toBeGreaterThan(0);
    expect(report.files.filter((f: any) => f.state === 'stale').map((f: any) => f.path)).toEqual(owned);
    expect(report.files.find((f: any) => f.state === 'stale').detail).toMatch(`environment "${dropped.name}"`);
    expect(report.scopes.map((s: any) => s.folder)).not.toContain(`rendered/${dropped.name}`);
  });

  test('YAML that no longer parses is "unreadable" (exit 1) rather than a crash', () => {
    const dir = copyDist();
    const file = prodDeployment(dir);
    write(dir, file, 'apiVersion: apps/v1\nkind: [unclosed\n');
    write(dir, 'platform/broken.yaml', 'a: [\n');
    const { code, report } = json([dir]);
    expect(code).toBe(1);
    expect(report.files).toContainEqual(expect.objectContaining({ path: file, state: 'modified', detail: expect.stringMatching(/invalid YAML/) }));
    // a stray file directly under platform/ belongs to no cluster: unknown
    expect(stateOf(report, 'platform/broken.yaml')).toBe('unknown');
  });

  test('text output lists each drifted file with its state, the policies per environment and a one-line summary', () => {
    const dir = copyDist();
    const file = prodDeployment(dir);
    write(dir, file, read(dir, file) + '# edited\n');
    const r = cli(['verify', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`modified +${file.replace(/\./g, '\\.')} +edited by hand`));
    expect(r.stdout).toMatch(/Policies \(recorded packs re-run on the committed YAML\):/);
    expect(r.stdout).toMatch(/rendered\/prod +production/);
    const last = r.stdout.trimEnd().split('\n').pop();
    expect(last).toMatch(/^verify .*: FAILED: 1 file drifted \(1 modified\), 0 unsuppressed errors in \d+ objects/);
    expect(r.stdout).not.toMatch(/\x1b\[/); // not a terminal: no colour
  });
});

describe('cdk8s-stateful verify: interrupted writes', () => {
  /** Writes the same output set with one change, crashing at `step`. */
  function interruptedWrite(dir: string, step: string): { file: string; content: string } {
    const manifest = readOwnedManifest(dir)!;
    const file = prodDeployment(dir);
    const files: OutputFile[] = manifest.files.map((f) => ({ path: f.path, content: read(dir, f.path) }));
    const content = read(dir, file).replace(/replicas: (\d+)/, (_m, n) => `replicas: ${Number(n) + 1}`);
    expect(content).not.toBe(read(dir, file));
    const changed = files.map((f) => (f.path === file ? { path: f.path, content } : f));
    expect(() => writeOutput({
      outdir: dir,
      files: changed,
      libraryVersion: manifest.libraryVersion,
      environments: manifest.environments as EnvironmentRecord[],
      faultHook: (s) => {
        if (s === step) throw new Error(`crash at ${s}`);
      },
    })).toThrow(`crash at ${step}`);
    return { file, content };
  }

  test('a committed journal is rolled forward first and reported; the result verifies clean', () => {
    const dir = copyDist();
    const { file, content } = interruptedWrite(dir, 'renamed-file');
    expect(fs.existsSync(path.join(dir, '.cdk8s-stateful/journal'))).toBe(true);
    const { code, report } = json([dir]);
    expect(report.recovery).toMatchObject({ action: 'rolled-forward' });
    expect(code).toBe(0);
    expect(report.files).toEqual([]);
    expect(read(dir, file)).toBe(content);
    expect(fs.existsSync(path.join(dir, '.cdk8s-stateful/journal'))).toBe(false);
    // and a second run has nothing left to recover
    expect(json([dir]).report.recovery).toBeNull();
  });

  test('an uncommitted write is discarded: the previous output stays', () => {
    const dir = copyDist();
    const file = prodDeployment(dir);
    const before = read(dir, file);
    interruptedWrite(dir, 'staged-all');
    const r = cli(['verify', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Recovered an interrupted write: discarded 1 staged write/);
    expect(read(dir, file)).toBe(before);
  });

  test('--no-recover reports the pending write (exit 1) and changes nothing', () => {
    const dir = copyDist();
    interruptedWrite(dir, 'journal-committed');
    const r = json([dir, '--no-recover']);
    expect(r.code).toBe(1);
    expect(r.report.interrupted).toBe(true);
    expect(r.report.recovery).toBeNull();
    expect(fs.existsSync(path.join(dir, '.cdk8s-stateful/journal'))).toBe(true);
  });
});

describe('cdk8s-stateful verify: policies as recorded', () => {
  const POD = (extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
${extra}spec:
  securityContext:
    runAsNonRoot: true
  containers:
    - name: web
      image: ghcr.io/acme/web:1.0.0
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]
      resources:
        requests: { cpu: 100m, memory: 64Mi }
        limits: { memory: 128Mi }
`;

  function output(files: Record<string, string>, packs: string[], tier = 'production'): string {
    const dir = path.join(tmpdir(), 'out');
    const environments: EnvironmentRecord[] = [{ name: 'prod', tier, cluster: 'eu', namespace: 'shop', packs }];
    writeOutput({ outdir: dir, files: Object.entries(files).map(([p, content]) => ({ path: p, content })), libraryVersion: '9.9.9', environments });
    return dir;
  }

  test('the Pod Security version comes from the recorded @version, else the Namespace enforce-version label, else latest', () => {
    // no seccomp profile: a violation from Pod Security 1.19 on
    const files = { 'rendered/prod/shop/Pod.web.yaml': POD() };
    const seccomp = (dir: string) => json([dir]).report.findings.filter((f: any) => f.ruleId === 'PSS-SeccompProfileRestricted').length;
    expect(seccomp(output(files, ['pod-security-restricted']))).toBe(1);
    expect(seccomp(output(files, ['pod-security-restricted@1.18']))).toBe(0);
    const labelled = output({
      ...files,
      'platform/eu/Namespace.shop.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n'
      + '    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.18\n',
    }, ['pod-security-restricted']);
    const r = json([labelled]);
    expect(r.report.scopes[0]).toMatchObject({ podSecurityVersion: '1.18', packs: ['pod-security-restricted@1.18'] });
    expect(seccomp(labelled)).toBe(0);
  });

  test('the recorded tier sets severities; a suppression recorded in the annotation is honoured, except for unsuppressible rules', () => {
    const prodFiles = {
      'rendered/prod/shop/Pod.web.yaml': POD(`  annotations:\n    ${SUPPRESSIONS_ANNOTATION}: '[{"rule":"PSS-SeccompProfileRestricted","reason":"legacy runtime without seccomp"}]'\n`),
      'rendered/prod/shop/ConfigMap.cfg.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop\n  annotations:\n'
        + `    ${SUPPRESSIONS_ANNOTATION}: '[{"rule":"GITOPS-NoLiteralCredentials","reason":"not a real password at all"}]'\ndata:\n  password: x\n`,
    };
    const r = json([output(prodFiles, ['gitops-hygiene', 'pod-security-restricted'])]);
    expect(r.code).toBe(1);
    expect(r.report.findings).toContainEqual(expect.objectContaining({
      ruleId: 'PSS-SeccompProfileRestricted', suppressed: true, suppressionReason: 'legacy runtime without seccomp',
    }));
    // GITOPS-NoLiteralCredentials is unsuppressible: still an error
    expect(r.report.findings).toContainEqual(expect.objectContaining({ ruleId: 'GITOPS-NoLiteralCredentials', suppressed: false, severity: 'error' }));

    // production-readiness warns in development: a Pod without a memory limit fails in production only
    const noLimit = { 'rendered/prod/shop/Pod.web.yaml': POD().replace(/^ *limits:.*\n/m, '') };
    expect(json([output(noLimit, ['production-readiness'], 'development')]).code).toBe(0);
    expect(json([output(noLimit, ['production-readiness'], 'production')]).code).toBe(1);
  });

  test('packs that are not built in are listed as not re-run, not failed', () => {
    const r = json([output({ 'rendered/prod/shop/Pod.web.yaml': POD() }, ['acme-custom', 'gitops-hygiene'])]);
    expect(r.code).toBe(0);
    expect(r.report.unknownPacks).toEqual(['acme-custom']);
    expect(cli(['verify', output({ 'rendered/prod/shop/Pod.web.yaml': POD() }, ['acme-custom'])]).stdout).toMatch(/Not re-run \(not built-in packs\): acme-custom/);
  });
});

describe('cdk8s-stateful verify: bad usage exits 2 with one line', () => {
  test('no manifest: not a cdk8s-stateful output directory', () => {
    const dir = tmpdir();
    write(dir, 'app.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n');
    expectUsageError(cli(['verify', dir]), /has no \.cdk8s-stateful\/manifest\.json: not a cdk8s-stateful output directory\?/);
  });

  test('a corrupt manifest', () => {
    const dir = copyDist();
    fs.writeFileSync(path.join(dir, '.cdk8s-stateful/manifest.json'), '{ "formatVersion": 1, "files": [');
    expectUsageError(cli(['verify', dir]), /manifest\.json is not a valid cdk8s-stateful manifest: invalid JSON/);
  });

  test('an unknown tier in the manifest', () => {
    const dir = copyDist();
    const p = path.join(dir, '.cdk8s-stateful/manifest.json');
    const m = JSON.parse(fs.readFileSync(p, 'utf8'));
    m.environments[0].tier = 'qa';
    fs.writeFileSync(p, JSON.stringify(m));
    expectUsageError(cli(['verify', dir]), /records tier "qa" for environment/);
  });

  test('another synthesis is writing (lock held, staging present); a lock alone does not stop a read-only verify', () => {
    const dir = copyDist();
    fs.writeFileSync(path.join(dir, '.cdk8s-stateful/lock'),
      JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString(), token: 'abcdef0123456789' }) + '\n');
    expect(cli(['verify', dir]).code).toBe(0);
    fs.mkdirSync(path.join(dir, '.cdk8s-stateful/staging/tx1'), { recursive: true });
    expectUsageError(cli(['verify', dir]), /another synthesis is writing there/);
  });

  test.each([
    [['verify'], /missing required argument 'dir'/],
    [['verify', '/no/such/dir'], /\/no\/such\/dir: no such directory/],
    [['verify', __filename], /not a directory/],
    [['verify', '.', '--format', 'sarif'], /unknown --format "sarif": one of text, json/],
    [['verify', '.', '--bogus'], /unknown option '--bogus'/],
  ])('%j', (args, message) => {
    expectUsageError(cli(args as string[]), message);
  });
});
