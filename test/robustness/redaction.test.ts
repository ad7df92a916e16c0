/**
 * Secrets are never printed (issue 20, point 4): every path that shows people text that may hold a
 * credential goes through one redaction (`redactSecrets`): ValidationError messages, findings and
 * the reports rendered from them, the app's standard error in `diff` and `publish`, git URLs.
 */
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { chartIn, plainEnvironment } from './builders';
import {
  AspectPriority, Aspects, DatabaseEngine, GitOpsApp, ManifestRule, ManifestRuleContext, PolicyPack, ReplicatedDatabase, RuleViolation, SecretSource,
  Severity,
} from '../../src';
import { showChange, showValue } from '../../src/cli/diff';
import { ValidationError } from '../../src/errors/validation-error';
import { runApp } from '../../src/gitops/publish/app';
import { PublishError } from '../../src/gitops/publish/errors';
import { GitCommandError, redactCredentials } from '../../src/gitops/publish/git';
import { renderReport, REPORT_FORMATS } from '../../src/policy/reports';
import { cli, copyDist } from '../cli/helpers';
import { tmpdir } from '../util/tmp';

const SECRET = 'S3ntin3l-pa55w0rd-9f2c';
const KEY_ID = 'AKIAABCDEFGHIJKLMNOP';

describe('ValidationError messages', () => {
  test('a backup destination s3://KEY:SECRET@bucket is refused without repeating either', () => {
    const app = new GitOpsApp({ outdir: path.join(tmpdir('cdk8s-stateful-redact-'), 'gitops') });
    let error: unknown;
    try {
      new ReplicatedDatabase(chartIn(app, plainEnvironment('development')), 'Db', {
        engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }),
        backup: { schedule: '0 2 * * *', destination: { destinationPath: `s3://${KEY_ID}:${SECRET}@acme-backups/orders`, credentials: SecretSource.existing('s3') } },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as ValidationError;
    expect(e.message).toMatch(/invalid backup\.destination\.destinationPath "s3:\/\/\*\*\*@acme-backups\/orders"/);
    for (const text of [e.message, e.value ?? '']) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(KEY_ID);
    }
  });

  test('any ValidationError: a password in the value or the text is masked', () => {
    const e = new ValidationError({ code: 'X', path: 'a/b', property: 'url', value: `"postgres://u:p@ss/${SECRET}@db/x"`, allowed: `not --password ${SECRET}` });
    expect(e.message).toBe('[X] a/b: invalid url "postgres://***@db/x": not --password ***');
    expect(e.value).not.toContain(SECRET);
  });
});

/** A careless custom rule that echoes what it checks (a URL from an annotation) into its message. */
class EchoingRule extends ManifestRule {
  public constructor() {
    super({ id: 'ACME-EchoUrl', severity: Severity.ERROR, description: 'echoes', explanation: 'echoes', fix: 'none' });
  }
  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const url = ctx.manifest.metadata?.annotations?.['acme.io/upstream'];
    return typeof url === 'string' ? [{ message: `upstream ${url} is not allowed`, jsonPointer: '/metadata/annotations' }] : [];
  }
}

describe('findings and reports', () => {
  test('a finding whose message holds a credential is redacted in the error and in every report format', () => {
    const app = new GitOpsApp({ outdir: path.join(tmpdir('cdk8s-stateful-redact-'), 'gitops') });
    Aspects.of(app).add(new PolicyPack({ id: 'acme', manifestRules: [new EchoingRule()] }), { priority: AspectPriority.READONLY });
    const chart = chartIn(app, plainEnvironment('development'));
    new ApiObject(chart, 'cm', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', annotations: { 'acme.io/upstream': `https://svc:${SECRET}@upstream.example/x` } },
      data: { a: 'b' },
    });
    const output = app.render();
    const input = (app as any).reportInput(output);
    const finding = input.findings.find((f: any) => f.ruleId === 'ACME-EchoUrl');
    expect(finding.message).toBe('upstream https://***@upstream.example/x is not allowed');
    for (const format of REPORT_FORMATS) expect(renderReport(format, input)).not.toContain(SECRET);
  });
});

describe('the app\'s standard error in diff and publish', () => {
  const failing = `node -e "console.error('Error: cannot connect to postgres://orders:${SECRET}@db:5432/orders'); process.exit(1)"`;

  test('diff', () => {
    const r = cli(['diff', '--app', failing, copyDist()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the app command failed \(exit code 1\): Error: cannot connect to postgres:\/\/\*\*\*@db:5432\/orders$/m);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
  });

  test('publish', () => {
    const dir = tmpdir('cdk8s-stateful-redact-');
    let error: unknown;
    try {
      runApp(`node -e "console.error('PGPASSWORD=${SECRET} psql failed'); console.error('Error: bad --password ${SECRET}'); process.exit(3)"`,
        path.join(dir, 'out'), path.join(dir, 'reports'), { cwd: dir, env: process.env, timeoutSeconds: 60 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PublishError);
    expect((error as Error).message).toBe('the app failed (exit code 3): Error: bad --password ***');
  });

  test('a PublishError never carries a credential, in its message or its details', () => {
    const e = new PublishError('PUSH_FAILED' as any, `git push to https://u:${SECRET}@h/x failed`, [`remote: postgres://a:${SECRET}@db`]);
    expect(e.message + e.details.join('\n')).not.toContain(SECRET);
  });
});

describe('diff: changed values', () => {
  test('a changed value holding a URL password is masked before it is cut', () => {
    const url = `postgres://orders:${SECRET}${'x'.repeat(120)}@db:5432/orders`;
    expect(showValue(url)).not.toContain('S3ntin3l');
    expect(showValue(url)).toBe('"postgres://***@db:5432/orders"');
  });

  test('the value of a credential-like key is never shown; a reference is', () => {
    expect(showChange({ pointer: '/data/db.password', op: 'replace', old: 'old-secret-1', new: SECRET })).toBe('/data/db.password: "***" -> "***"');
    expect(showChange({ pointer: '/data/db.password', op: 'replace', old: '${DB_PASSWORD}', new: SECRET })).toBe('/data/db.password: "${DB_PASSWORD}" -> "***"');
    expect(showChange({ pointer: '/data/mode', op: 'replace', old: 'fast', new: 'safe' })).toBe('/data/mode: "fast" -> "safe"');
  });
});

describe('git URLs', () => {
  test.each([
    [`https://deploy:${SECRET}@git.example/acme/gitops.git`, 'https://***@git.example/acme/gitops.git'],
    [`https://deploy:p@ss${SECRET}@git.example/acme/gitops.git`, 'https://***@git.example/acme/gitops.git'],
    [`https://deploy:a/${SECRET}@git.example/acme/gitops.git`, 'https://***@git.example/acme/gitops.git'],
    [`https://deploy:a/b@c${SECRET}@git.example:8443/acme/gitops.git`, 'https://***@git.example:8443/acme/gitops.git'],
    [`deploy:${SECRET}@git.example:acme/gitops.git`, '***@git.example:acme/gitops.git'],
    ['git@github.com:acme/gitops.git', 'git@github.com:acme/gitops.git'],
  ])('%s', (url, shown) => {
    expect(redactCredentials(`fatal: unable to access '${url}': The requested URL returned error: 403`))
      .toBe(`fatal: unable to access '${shown}': The requested URL returned error: 403`);
  });

  test('a failing git command names no credential', () => {
    const e = new GitCommandError(['push', `deploy:${SECRET}@git.example:acme/x.git`], 128, `fatal: could not read from remote repository deploy:p@${SECRET}@git.example:acme/x.git`);
    expect(e.message).not.toContain(SECRET);
  });
});
