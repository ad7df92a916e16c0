/**
 * Secret leak checks. Credentials are never rendered literally: every output file, report and
 * error message is scanned for
 *
 * - sentinel credentials handed to the library wherever a careless user might put one (URLs with
 *   a password, configuration settings, command lines) and sitting in the synthesizing process's
 *   environment (CI secrets): a synthesis refuses them or never writes them, and never repeats
 *   them in an error message or a report;
 * - credential-shaped literals (Secret objects, credential env vars with a literal value, private
 *   keys, cloud keys, tokens, passwords in URLs or `password: x` lines), over the whole reference
 *   platform output and over apps generated from the property-test generators (every SecretSource
 *   kind, every engine, the StatefulSet engines' scripts included).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { chartIn, plainEnvironment } from './builders';
import { buildDatabase, databaseCase } from './database-case';
import { params, RUNS } from './harness';
import { buildQueue, queueCase } from './queue-case';
import { buildPlatform } from '../../examples/platform/app';
import {
  AspectPriority, Aspects, DatabaseEngine, GitOpsApp, PlatformOperator, PolicyPacks, QueueEngine, ReplicatedDatabase, MessageQueue, SecretSource,
} from '../../src';
import { main } from '../../src/cli/main';
import { renderReport, REPORT_FORMATS } from '../../src/policy/reports';
import { crdsAvailable } from '../util/crds';
import { readTree, tmpdir } from '../util/tmp';

const SENTINEL = 'S3ntin3l-pa55w0rd-9f2c';
const SENTINEL_TOKEN = 'ghp_S3ntin3lT0kenS3ntin3lT0kenS3ntin3lT0k';

/** Credential-shaped literals: what must never be in a GitOps repository. */
const CREDENTIAL_SHAPES: Array<[string, RegExp]> = [
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ['a Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ['a JWT', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./],
  // user:password@ with a literal password (templates `{{ .password }}` and variables are fine)
  ['a password in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@'"]+:(?![{$*])[^/\s@'"]+@/i],
  // `password: x` / `password = x` / `"password": "x"` with a literal value (placeholders, variables, references are fine)
  ['a password assignment', /(?<!@)\b(pass(word|wd)?|secret|token|api[-_]?key)"?(?:[ \t]*=|:)[ \t]*"?(?![$'"{@<:*]|\s|$|valueFrom|secretKeyRef|null\b)[^\s"]{4,}/i],
];

/** What is wrong with a file's content, if anything. */
function credentialProblems(file: string, content: string, sentinels: string[] = [SENTINEL, SENTINEL_TOKEN]): string[] {
  const problems: string[] = [];
  for (const s of sentinels) if (content.includes(s)) problems.push(`${file}: contains the sentinel ${s}`);
  content.split('\n').forEach((line, i) => {
    if (/^\s*(#|\/\/|--(\s|$))/.test(line)) return; // comments (in scripts and configuration files) explain, they hold no value
    for (const [what, re] of CREDENTIAL_SHAPES) if (re.test(line)) problems.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 160)}`);
  });
  return problems;
}

const CREDENTIAL_NAME = /(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential)/i;

/** Objects that must never be rendered: Secrets (with or without data), credential env vars with a literal value. */
function objectProblems(file: string, manifest: any): string[] {
  const problems: string[] = [];
  if (manifest?.kind === 'Secret') problems.push(`${file}: a Secret is rendered`);
  const visit = (v: any, pointer: string) => {
    if (Array.isArray(v)) {v.forEach((x, i) => visit(x, `${pointer}/${i}`));} else if (v && typeof v === 'object') {
      if (typeof v.name === 'string' && CREDENTIAL_NAME.test(v.name) && typeof v.value === 'string' && v.value !== '' && /\/env\/\d+$/.test(pointer)) {
        problems.push(`${file}: ${pointer}: ${v.name} has a literal value`);
      }
      for (const [k, x] of Object.entries(v)) visit(x, `${pointer}/${k}`);
    }
  };
  visit(manifest, '');
  return problems;
}

function reportsOf(app: GitOpsApp, output: ReturnType<GitOpsApp['render']>): Record<string, string> {
  const input = (app as any).reportInput(output); // what the app's own report files are rendered from
  return Object.fromEntries(REPORT_FORMATS.map((f) => [`report.${f}`, renderReport(f, input)]));
}

/** Sentinel credentials in the environment of the synthesizing process, as a CI job has them. */
const ENV_SENTINELS: Record<string, string> = {
  PGPASSWORD: SENTINEL,
  POSTGRES_PASSWORD: SENTINEL,
  RABBITMQ_DEFAULT_PASS: SENTINEL,
  AWS_SECRET_ACCESS_KEY: SENTINEL,
  VAULT_TOKEN: SENTINEL_TOKEN,
  GITHUB_TOKEN: SENTINEL_TOKEN,
  KAFKA_PASSWORD: SENTINEL,
};
const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [k, v] of Object.entries(ENV_SENTINELS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const k of Object.keys(ENV_SENTINELS)) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('the reference platform', () => {
  test('a synthesis (GitOps output and policy reports) holds no Secret, no credential-shaped literal, nothing of the environment', () => {
    const root = tmpdir('cdk8s-stateful-leaks-');
    const outdir = path.join(root, 'gitops');
    buildPlatform({ outdir, reports: { directory: path.join(root, 'reports') } }).synthesize();
    const problems: string[] = [];
    for (const [file, content] of Object.entries({ ...readTree(outdir), ...readTree(path.join(root, 'reports')) })) {
      problems.push(...credentialProblems(file, content));
    }
    const app = buildPlatform({ outdir: path.join(root, 'again') });
    for (const o of app.render().objects) problems.push(...objectProblems(o.file, o.manifest));
    expect(problems).toEqual([]);
  });

  test('the committed dist/ holds no credential-shaped literal', () => {
    const dist = path.join(__dirname, '../../dist');
    const problems = Object.entries(readTree(dist)).flatMap(([file, content]) => credentialProblems(file, content, []));
    expect(problems).toEqual([]);
  });

  test('the scanner is not blind: it finds each kind of credential it looks for', () => {
    const samples = [
      'key: |\n  -----BEGIN RSA PRIVATE KEY-----', 'id: AKIAABCDEFGHIJKLMNOP', `token ${SENTINEL_TOKEN}`, 'x: xoxb-1234567890-abcdef',
      'jwt: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.sig', 'url: https://admin:hunter22@db.example:5432/x', 'password: hunter22',
      'spring.datasource.password=hunter22', '"password": "hunter22"', 'api_key: abcd1234efgh',
    ];
    for (const s of samples) expect(credentialProblems('sample', s, [])).not.toEqual([]);
    const fine = [
      'password: "@@PASSWORD:orders-api@@"', 'uri: postgresql://{{ .username }}:{{ .password | urlquery }}@h:5432/db', 'password:',
      '      valueFrom:', "ALTER ROLE x PASSWORD :'pw_x';", 'password_encryption = \'scram-sha-256\'', 'key: password', 'passwordKey: password',
      'PGPASSFILE="$passfile" pg_basebackup', 'automountServiceAccountToken: false', 'secretName: orders-db-app',
    ];
    for (const s of fine) expect(credentialProblems('sample', s, [])).toEqual([]);
  });
});

describe('sentinel credentials given to the library are refused or never written, and never repeated', () => {
  /** Runs a case: a synthesis into a fresh directory with every pack; returns what it refused with (or undefined). */
  function attempt(build: (app: GitOpsApp) => void, appProps: () => object = () => ({})): { error?: Error; files: Record<string, string> } {
    const outdir = path.join(tmpdir('cdk8s-stateful-sentinel-'), 'gitops');
    let app: GitOpsApp | undefined;
    try {
      app = new GitOpsApp({ outdir, ...appProps() });
      for (const pack of PolicyPacks.all()) Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
      build(app);
      app.synthesize();
    } catch (e) {
      // the reports of a refused synthesis must not hold the sentinel either
      const files = app ? (() => {
        try {
          return reportsOf(app, app.render());
        } catch {
          return {};
        }
      })() : {};
      return { error: e as Error, files };
    }
    return { files: fs.existsSync(outdir) ? readTree(outdir) : {} };
  }

  const backupTo = (endpointUrl: string) => ({
    schedule: '0 2 * * *', destination: { destinationPath: 's3://backups/orders', endpointUrl, credentials: SecretSource.existing('s3-credentials') },
  });
  const db = (app: GitOpsApp, props: object = {}) => new ReplicatedDatabase(chartIn(app, plainEnvironment('development')), 'Db', {
    engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), ...props,
  });

  test.each([
    ['an S3 endpoint URL with a password (StatefulSet engine)', (app: GitOpsApp) => db(app, { backup: backupTo(`https://backup:${SENTINEL}@minio.example:9000`) })],
    ['an S3 endpoint URL with a password (CloudNativePG)', (app: GitOpsApp) => new ReplicatedDatabase(chartIn(app, plainEnvironment('staging')), 'Db', {
      engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), backup: backupTo(`http://backup:${SENTINEL}@minio:9000`),
    })],
    ['a recovery source with a password', (app: GitOpsApp) => db(app, {
      recovery: { serverName: 'old', source: { destinationPath: 's3://backups/orders', endpointUrl: `https://u:${SENTINEL}@s3.example`, credentials: SecretSource.existing('s3') } },
    })],
    ['a password in a migration command line', (app: GitOpsApp) => db(app, { migration: { image: 'ghcr.io/acme/migrate:1.0.0', command: ['migrate', `--password=${SENTINEL}`] } })],
    ['a PGPASSWORD in a migration command line', (app: GitOpsApp) => db(app, { migration: { image: 'ghcr.io/acme/migrate:1.0.0', command: ['env', `PGPASSWORD=${SENTINEL}`, 'migrate'] } })],
    // issue 20: where credentials hide in a migration command
    ...([
      ['a password in a URL in the migration command', ['migrate', '--dsn', `postgres://orders:${SENTINEL}@orders-db-rw:5432/orders`, 'up']],
      ['--password and its value as two arguments', ['migrate', '--password', SENTINEL]],
      ['PGPASSWORD inside sh -c', ['sh', '-c', `cd /app && PGPASSWORD=${SENTINEL} psql -h db -f up.sql`]],
      ['--aws-secret-access-key=', ['aws', 's3', 'cp', '/x', 's3://b/x', `--aws-secret-access-key=${SENTINEL}`]],
      ['mysql -pPW', ['mysql', '-h', 'db', '-uorders', `-p${SENTINEL}`]],
      ['a pre-signed URL', ['curl', '-fsS', `https://b.s3.amazonaws.com/x.sql?X-Amz-Signature=${SENTINEL}`]],
    ] as Array<[string, string[]]>).map(([name, command]): [string, (app: GitOpsApp) => void] => [
      `migration: ${name}`, (app: GitOpsApp) => db(app, { migration: { image: 'ghcr.io/acme/migrate:1.0.0', command } }),
    ]),
    ['a RabbitMQ setting holding a URL with a password (operator)', (app: GitOpsApp) => new MessageQueue(chartIn(app, plainEnvironment('development')), 'Mq', {
      engine: QueueEngine.rabbitmqOperator({ version: '4.1.4', additionalConfig: { 'auth_http.user_path': `https://auth:${SENTINEL}@auth.example/user` } }),
    })],
    ['a RabbitMQ setting holding a URL with a password (StatefulSet)', (app: GitOpsApp) => new MessageQueue(chartIn(app, plainEnvironment('development')), 'Mq', {
      engine: QueueEngine.rabbitmqStatefulSet({ version: '4.1.4', additionalConfig: { 'management.oauth_provider_url': `https://u:${SENTINEL}@idp.example` } }),
    })],
    ['a RabbitMQ setting holding a password (operator)', (app: GitOpsApp) => new MessageQueue(chartIn(app, plainEnvironment('development')), 'Mq', {
      engine: QueueEngine.rabbitmqOperator({ version: '4.1.4', additionalConfig: { 'auth_ldap.dn_lookup_bind.password': SENTINEL } }),
    })],
    ['a RabbitMQ setting holding a secret (StatefulSet)', (app: GitOpsApp) => new MessageQueue(chartIn(app, plainEnvironment('development')), 'Mq', {
      engine: QueueEngine.rabbitmqStatefulSet({ version: '4.1.4', additionalConfig: { 'management.oauth_client_secret': SENTINEL } }),
    })],
    ['a Kafka setting holding a password', (app: GitOpsApp) => new MessageQueue(chartIn(app, plainEnvironment('development')), 'Mq', {
      engine: QueueEngine.strimziKafka({ version: '4.3.1', additionalConfig: { 'ssl.keystore.password': SENTINEL } }),
    })],
    ['a Kafka setting holding a token secret', (app: GitOpsApp) => new MessageQueue(chartIn(app, plainEnvironment('development')), 'Mq', {
      engine: QueueEngine.strimziKafka({ version: '4.3.1', additionalConfig: { 'delegation.token.secret.key': SENTINEL } }),
    })],
  ] as Array<[string, (app: GitOpsApp) => void]>)('%s', (_name, build) => {
    const r = attempt(build);
    expect(r.error).toBeDefined(); // refused: a ValidationError, or the unsuppressible literal-credential rules
    expect(r.error!.message).not.toContain(SENTINEL);
    for (const [file, content] of Object.entries(r.files)) expect(credentialProblems(file, content)).toEqual([]);
  });

  test.each([
    ['a Flux repository URL with a token', () => ({ flux: { repositoryUrl: `https://x-access-token:${SENTINEL_TOKEN}@github.com/acme/gitops.git` } })],
    ['an Argo CD repository URL with a token', () => ({
      argoCd: { repositoryUrl: `https://oauth2:${SENTINEL_TOKEN}@gitlab.example/acme/gitops.git`, destinations: { dev: 'https://dev.example:6443' } },
    })],
    ['an Argo CD destination with a password', () => ({
      argoCd: { repositoryUrl: 'https://gitlab.example/acme/gitops.git', destinations: { dev: `https://admin:${SENTINEL}@dev.example:6443` } },
    })],
    ['a Helm repository URL with a password', () => ({
      argoCd: { repositoryUrl: 'https://gitlab.example/acme/gitops.git', destinations: { dev: 'https://dev.example:6443' } },
      operators: [new PlatformOperator({ name: 'op', repositoryUrl: `https://robot:${SENTINEL}@charts.example`, chart: 'op', version: '1.0.0', namespace: 'op' })],
    })],
  ])('%s', (_name, props) => {
    const r = attempt((app) => db(app), props);
    expect(r.error?.name).toBe('ValidationError');
    expect(r.error!.message).not.toContain(SENTINEL);
    expect(r.error!.message).not.toContain(SENTINEL_TOKEN);
    expect(r.error!.message).toContain('://***@');
  });

  test('the check CLI never repeats a credential it finds', () => {
    const file = path.join(tmpdir('cdk8s-stateful-sentinel-'), 'deploy.yaml');
    fs.writeFileSync(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: apps}\nspec:\n  selector: {matchLabels: {app: api}}\n'
      + '  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.0.0\n'
      + `        args: ["--db-password=${SENTINEL}"]\n        env: [{name: API_TOKEN, value: ${SENTINEL_TOKEN}}]\n`);
    for (const format of ['text', 'json', 'sarif', 'junit', 'markdown']) {
      let out = '';
      let err = '';
      const code = main(['check', file, '--format', format, '--pack', 'gitops-hygiene'], { env: {}, stdout: (s) => (out += s), stderr: (s) => (err += s) });
      expect(code).toBe(1);
      expect(out).toMatch(/GITOPS-NoLiteralCredentials/);
      expect(out + err).not.toContain(SENTINEL);
      expect(out + err).not.toContain(SENTINEL_TOKEN);
    }
  });
});

(crdsAvailable() ? describe : describe.skip)('generated apps: every SecretSource kind, every engine', () => {
  const runs = Math.max(100, Math.round(RUNS / 5));

  /** Generated apps (some rejected: their error never repeats the sentinel): no credential in any object, file or report. */
  function expectNoCredential<C>(arb: fc.Arbitrary<C>, build: (app: GitOpsApp, c: C) => void): void {
    let rendered = 0;
    fc.assert(fc.property(arb, (c) => {
      const app = new GitOpsApp({ outdir: path.join(__dirname, '.never-written'), changeSafety: false });
      for (const pack of PolicyPacks.all()) Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
      let output;
      try {
        build(app, c);
        output = app.render();
      } catch (e) {
        expect((e as Error).message).not.toContain(SENTINEL);
        return;
      }
      rendered++;
      const problems = [
        ...output.objects.flatMap((o) => objectProblems(o.file, o.manifest)),
        ...output.files.flatMap((f) => credentialProblems(f.path, f.content)),
        ...Object.entries(reportsOf(app, output)).flatMap(([f, content]) => credentialProblems(f, content)),
      ];
      if (problems.length > 0) throw new Error(problems.slice(0, 10).join('\n'));
    }), params({ numRuns: runs }));
    expect(rendered).toBeGreaterThan(runs / 10);
  }

  test.each(['cnpg', 'sts'] as const)(`ReplicatedDatabase %s: ${runs} generated apps, no credential in any file or report`, (engine) => {
    expectNoCredential(databaseCase(engine), (app, c) => buildDatabase(app, c, engine));
  });

  test.each(['rabbitmq-operator', 'rabbitmq-statefulset', 'strimzi-kafka'] as const)(`MessageQueue %s: ${runs} generated apps, no credential in any file or report`, (engine) => {
    expectNoCredential(queueCase(engine), (app, c) => buildQueue(app, c, engine));
  });
});
