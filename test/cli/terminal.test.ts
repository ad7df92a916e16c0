import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli, copyDist, DIST, expectUsageError, ROOT } from './helpers';
import * as checkModule from '../../src/cli/check';
import { colorEnabled, oneLine, Painter, Progress, PROGRESS_DELAY_MS } from '../../src/cli/terminal';
import { ValidationError } from '../../src/errors';
import { SUPPRESSIONS_ANNOTATION } from '../../src/policy/suppressions';
import { tmpdir } from '../util/tmp';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;

describe('--help for every command', () => {
  test.each([
    ['check', ['--pack', '--tier', '--pss-version', '--format', '--output', '--quiet']],
    ['verify', ['--format', '--no-recover', '--allow-unknown', '--quiet']],
    ['diff', ['--app', '--format', '--timeout', '--quiet', '{outdir}', 'CDK8S_OUTDIR']],
    ['rules', ['--pack', '--format', '--quiet']],
    ['explain', ['--format', '--quiet']],
    ['merge', ['--out', '--reports', '--report-format', '--overwrite-hand-edits', '--format', '--quiet', 'CDK8S_STATEFUL_SHARD']],
  ])('%s --help exits 0 and names its options', (command, options) => {
    const r = cli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: cdk8s-stateful ${command} `));
    for (const option of options) expect(r.stdout).toContain(option);
    expect(r.stdout).toMatch(/Exit codes: 0|-h, --help/);
  });

  test('the program help lists every command and the exit codes; help <command> works too', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['check', 'verify', 'diff', 'rules', 'explain', 'merge']) expect(r.stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'));
    expect(r.stdout).toMatch(/Exit codes: 0 clean, 1 findings or differences, 2 bad usage or unreadable input\./);
    expect(cli(['help', 'verify']).stdout).toMatch(/--no-recover/);
    expect(cli(['--version']).code).toBe(0);
  });

  test('unknown commands and options: one line with a suggestion, exit 2', () => {
    expectUsageError(cli(['verfy', '.']), /unknown command 'verfy' \(Did you mean verify\?\)/);
    expectUsageError(cli(['rules', '--fromat', 'json']), /unknown option '--fromat' \(Did you mean --format\?\)/);
  });
});

describe('colour', () => {
  test('only on a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(colorEnabled({ stdout: () => 0, stderr: () => 0, stdoutIsTTY: true, env: {} })).toBe(true);
    expect(colorEnabled({ stdout: () => 0, stderr: () => 0, stdoutIsTTY: false, env: {} })).toBe(false);
    expect(colorEnabled({ stdout: () => 0, stderr: () => 0, stdoutIsTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    expect(colorEnabled({ stdout: () => 0, stderr: () => 0, stdoutIsTTY: true, env: { NO_COLOR: '' } })).toBe(true);
    expect(colorEnabled({ stdout: () => 0, stderr: () => 0, stdoutIsTTY: true, env: { TERM: 'dumb' } })).toBe(false);
    expect(new Painter({ stdout: () => 0, stderr: () => 0 }).paint('red', 'x')).toBe('x');
  });

  test('every command colours its output on a terminal only', () => {
    const dir = copyDist();
    const runs: Array<[string[], boolean]> = [
      [['verify', dir], false], [['rules'], false], [['explain', 'PSS-Privileged'], false], [['check', DIST], false],
    ];
    for (const [args] of runs) {
      expect(cli(args, { stdoutIsTTY: true, env: {} }).stdout).toMatch(ANSI);
      expect(cli(args, { stdoutIsTTY: true, env: { NO_COLOR: '1' } }).stdout).not.toMatch(ANSI);
      expect(cli(args).stdout).not.toMatch(ANSI);
    }
    // JSON is never coloured
    expect(cli(['verify', dir, '--format', 'json'], { stdoutIsTTY: true, env: {} }).stdout).not.toMatch(ANSI);
  });
});

describe('--quiet and the one-line summary', () => {
  test('each command prints only its summary line with --quiet; the exit code is unchanged', () => {
    const dir = copyDist();
    const oneLiners: Array<[string[], RegExp, number]> = [
      [['verify', dir, '-q'], /^verify .*: OK: no file drift, 0 unsuppressed errors in \d+ objects \(\d+ environments\)/, 0],
      [['check', DIST, '--quiet'], /^check: PASSED: \d+ objects checked, 0 unsuppressed errors, \d+ warnings?, 0 suppressed/, 0],
      [['rules', '--quiet'], /^\d+ rules in 6 packs/, 0],
      [['explain', 'PSS-Privileged', '--quiet'], /^PSS-Privileged \(error, pod-security-baseline, pod-security-restricted\): /, 0],
    ];
    for (const [args, line, code] of oneLiners) {
      const r = cli(args);
      expect(r.code).toBe(code);
      expect(r.stdout.split('\n')).toEqual([expect.stringMatching(line), '']);
    }
    fs.rmSync(path.join(dir, 'README.md'));
    const failed = cli(['verify', dir, '-q']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^verify .*: FAILED: 1 file drifted \(1 missing\),/);
  });

  test('the full outputs end with the summary line', () => {
    const dir = copyDist();
    const last = (args: string[]) => cli(args).stdout.trimEnd().split('\n').pop();
    expect(last(['verify', dir])).toMatch(/^verify .*: OK: /);
    // the report's summary paragraph (wrapped at 120 columns) comes last
    expect(cli(['check', DIST]).stdout.trimEnd().split('\n\n').pop()).toMatch(/^PASSED: /);
    expect(last(['rules'])).toMatch(/^\d+ rules in 6 packs/);
  });
});

describe('progress indicator', () => {
  /** A clock that advances a second per call: every tick is "late enough" to draw. */
  const slowClock = () => {
    let t = 0;
    return () => (t += 1000);
  };

  test('on a terminal, for long runs, on stderr, erased at the end', () => {
    const dir = copyDist();
    const r = cli(['verify', dir], { stderrIsTTY: true, now: slowClock() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\r\x1b\[2K[|/\\-] verifying rendered\/\S+ \(\d+\/\d+\)/);
    expect(r.stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect(r.stdout).not.toMatch(/verifying rendered/);
    const check = cli(['check', DIST], { stderrIsTTY: true, now: slowClock() });
    expect(check.stderr).toMatch(/checking \d+ objects: pod-security-restricted \(1\/\d+\)/);
  });

  test('never when stderr is not a terminal, with --quiet, or for short runs', () => {
    const dir = copyDist();
    expect(cli(['verify', dir], { now: slowClock() }).stderr).toBe('');
    expect(cli(['verify', dir, '-q'], { stderrIsTTY: true, now: slowClock() }).stderr).toBe('');
    expect(cli(['verify', dir], { stderrIsTTY: true, now: () => 0 }).stderr).toBe('');
    let written = '';
    const p = new Progress({ stdout: () => 0, stderr: (s) => (written += s), stderrIsTTY: true, now: () => PROGRESS_DELAY_MS - 1 });
    p.tick('x', 1, 2);
    p.done();
    expect(written).toBe('');
  });
});

describe('check: suppressions recorded in the annotation, --quiet, --output summary', () => {
  const deployment = (annotations = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
${annotations}spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0
          resources: { requests: { cpu: 10m, memory: 10Mi }, limits: { memory: 20Mi } }
          readinessProbe: { tcpSocket: { port: 80 } }
          livenessProbe: { tcpSocket: { port: 80 } }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web, namespace: shop }
spec: { podSelector: { matchLabels: { app: web } } }
`;

  test('a recorded suppression waives its rule on that object only', () => {
    const dir = tmpdir();
    const waived = JSON.stringify([{ rule: 'PROD-ProductionReplicas', reason: 'canary, scaled by the rollout tool' }]);
    fs.writeFileSync(path.join(dir, 'a.yaml'), deployment(`  annotations:\n    ${SUPPRESSIONS_ANNOTATION}: '${waived}'\n`));
    const r = cli(['check', path.join(dir, 'a.yaml'), '--pack', 'production-readiness', '--tier', 'production', '--format', 'json']);
    expect(r.code).toBe(0);
    const f = JSON.parse(r.stdout).findings.find((x: any) => x.ruleId === 'PROD-ProductionReplicas');
    expect(f).toMatchObject({ suppressed: true, suppressionReason: 'canary, scaled by the rollout tool' });
    // a reason under 10 characters waives nothing
    fs.writeFileSync(path.join(dir, 'b.yaml'), deployment(`  annotations:\n    ${SUPPRESSIONS_ANNOTATION}: '[{"rule":"PROD-ProductionReplicas","reason":"short"}]'\n`));
    expect(cli(['check', path.join(dir, 'b.yaml'), '--pack', 'production-readiness', '--tier', 'production']).code).toBe(1);
  });

  test('--output writes the report and prints the summary line (text); --quiet prints only the summary line', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'a.yaml'), deployment());
    const out = path.join(dir, 'report.txt');
    const r = cli(['check', path.join(dir, 'a.yaml'), '--tier', 'production', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^check: FAILED: 2 objects checked, \d+ unsuppressed errors, .*; report in .*report\.txt\.\n$/);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^FAILED: /m);
    const q = cli(['check', path.join(dir, 'a.yaml'), '--tier', 'production', '--format', 'json', '-q']);
    expect(q.code).toBe(1);
    expect(q.stdout.split('\n')).toHaveLength(2);
  });
});

describe('as a process', () => {
  test('no stack trace on bad input to any command; colour off when piped', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', ...args], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: 'test/tsconfig.json' },
    });
    for (const args of [['diff', '--app', 'exit 3', '.']]) {
      const r = run(args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^cdk8s-stateful: /);
    }
    const ok = run(['rules']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).not.toMatch(ANSI);
  });

  test('a ValidationError escaping a command is bad input: one line, exit 2, not an "internal error"', () => {
    // every command wraps the errors it expects; main() is the net for the ones it does not
    const spy = jest.spyOn(checkModule, 'runCheck').mockImplementation(() => {
      throw new ValidationError({ code: 'INVALID_VALUE', path: 'app/orders', property: 'replicas', value: 'x', allowed: 'an integer' });
    });
    try {
      const r = cli(['check', '.']);
      expect(r).toEqual({ code: 2, stdout: '', stderr: 'cdk8s-stateful: [INVALID_VALUE] app/orders: invalid replicas x: an integer\n' });
    } finally {
      spy.mockRestore();
    }
    const other = jest.spyOn(checkModule, 'runCheck').mockImplementation(() => { throw new TypeError('x is undefined'); });
    try {
      expect(cli(['check', '.']).stderr).toBe('cdk8s-stateful: internal error: x is undefined (please report it)\n');
    } finally {
      other.mockRestore();
    }
  });

  test('oneLine() flattens control characters', () => {
    expect(oneLine('a\nb\r\n\tc \x1b[31mred\x1b[39m\u0007')).toBe('a b c red');
  });
});
