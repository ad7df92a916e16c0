import * as fc from 'fast-check';
import { QueueNoLiteralCredentials } from '../../src/policy/packs/data-protection/queue-rules';
import { NoLiteralCredentials } from '../../src/policy/packs/gitops-hygiene/literal-credentials';
import {
  argvCredentials, configFileCredentials, envCredential, hasUrlPassword, isCredentialName, redactSecrets, settingCredential, shellWords,
  textCredentials,
} from '../../src/private/credentials';

/**
 * Where credentials hide (issue 20, point 3): each case is a manifest the unsuppressible rule
 * GITOPS-NoLiteralCredentials passed before, and must refuse now, without repeating the value.
 * Then the look-alikes that must stay silent, and the redaction of every kind.
 */
const PW = 'Hunt3r-2-pw';

function job(container: object): object {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'orders' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'ghcr.io/acme/migrate:1.0.0', ...container }] } } },
  };
}
function configMap(data: Record<string, string>): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'orders' }, data };
}
const env = (name: string, value: string) => job({ env: [{ name, value }] });

function violations(manifest: object) {
  return new NoLiteralCredentials().evaluate({ manifest } as any);
}

describe('GITOPS-NoLiteralCredentials finds credentials where they hide', () => {
  test.each<[string, object, string]>([
    ['a password in a URL inside the migration command', job({ command: ['migrate', '--dsn', `postgres://orders:${PW}@orders-db-rw:5432/orders`, 'up'] }), '/command/2'],
    ['a URL password holding "@" and "/"', job({ command: ['migrate', `--database=postgres://orders:p@ss/${PW}@db:5432/orders`] }), '/command/1'],
    ['--password PW as two arguments', job({ command: ['migrate', '--password', PW] }), '/command/2'],
    ['--password in command, the value in args', job({ command: ['migrate', '--db-password'], args: [PW] }), '/args/0'],
    ['sh -c with PGPASSWORD=PW', job({ command: ['sh', '-c', `cd /app && PGPASSWORD=${PW} psql -h db -U orders -f /sql/up.sql`] }), '/command/2'],
    ['sh -c with export and a quoted value', job({ command: ['/bin/sh', '-c', `export PGPASSWORD="${PW}"; psql -h db`] }), '/command/2'],
    ['sh -c with mysql -pPW', job({ command: ['sh', '-c', `mysql -h db -uorders -p${PW} orders < /sql/up.sql`] }), '/command/2'],
    ['--aws-secret-access-key=…', job({ command: ['aws', 's3', 'cp', '/x', 's3://b/x', `--aws-secret-access-key=${PW}`] }), '/command/5'],
    ['-pPW (MySQL)', job({ command: ['mysql', '-h', 'db', '-u', 'orders', `-p${PW}`, 'orders'] }), '/command/5'],
    ['-Dspring.datasource.password=PW', job({ command: ['java', `-Dspring.datasource.password=${PW}`, '-jar', 'app.jar'] }), '/command/1'],
    ['curl --user user:PW', job({ command: ['curl', '--user', `admin:${PW}`, 'https://api.example/x'] }), '/command/2'],
    ['a pre-signed URL (X-Amz-Signature) in args', job({ args: [`https://b.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${PW}`] }), '/args/0'],
    ['an Azure SAS (sig=) in args', job({ args: [`https://acct.blob.core.windows.net/c/x?sv=2022-11-02&sig=${PW}`] }), '/args/0'],
    ['a token= query parameter', job({ args: [`--webhook=https://hooks.example/notify?token=${PW}`] }), '/args/0'],
    ['env DATABASE_URL with a password in the URL', env('DATABASE_URL', `postgresql://orders:${PW}@orders-db-rw:5432/orders?sslmode=require`), '/env/0/value'],
    ['env DB_DSN (libpq keywords)', env('DB_DSN', `host=db user=orders password=${PW} dbname=orders`), '/env/0/value'],
    ['env DB_DSN (Go MySQL driver)', env('DB_DSN', `orders:${PW}@tcp(db:3306)/orders`), '/env/0/value'],
    ['env DB_PWD', env('DB_PWD', PW), '/env/0/value'],
    ['env JWT_SIGNING_KEY', env('JWT_SIGNING_KEY', PW), '/env/0/value'],
    ['env RABBITMQ_ERLANG_COOKIE', env('RABBITMQ_ERLANG_COOKIE', PW), '/env/0/value'],
    ['env JAVA_TOOL_OPTIONS with -Dspring.datasource.password=PW', env('JAVA_TOOL_OPTIONS', `-Xmx512m -Dspring.datasource.password=${PW}`), '/env/0/value'],
    ['env APP_ARGS with --password PW', env('APP_ARGS', `--verbose --password ${PW}`), '/env/0/value'],
    ['ConfigMap application.properties', configMap({ 'application.properties': `spring.datasource.url=jdbc:postgresql://db/orders\nspring.datasource.password=${PW}\n` }), '/data/application.properties'],
    ['ConfigMap YAML file', configMap({ 'config.yaml': `database:\n  host: db\n  user: orders\n  password: ${PW}\n` }), '/data/config.yaml'],
    ['ConfigMap INI file', configMap({ 'app.ini': `[database]\nhost = db\npassword = "${PW}"\n` }), '/data/app.ini'],
    ['ConfigMap .env file', configMap({ '.env': `DB_HOST=db\nDB_PASSWORD=${PW}\n` }), '/data/.env'],
    ['ConfigMap JSON file', configMap({ 'config.json': JSON.stringify({ db: { host: 'db', password: PW } }, null, 2) }), '/data/config.json'],
    ['ConfigMap one-line JSON file', configMap({ 'config.json': JSON.stringify({ db: { host: 'db', password: PW } }) }), '/data/config.json'],
    ['ConfigMap script with mysql -pPW', configMap({ 'init.sh': `#!/bin/sh\nset -eu\nmysql -uroot -p${PW} < /init.sql\n` }), '/data/init.sh'],
    ['ConfigMap SQL with a literal password', configMap({ 'init.sql': `CREATE ROLE app LOGIN PASSWORD '${PW}';\n` }), '/data/init.sql'],
    ['RabbitMQ additionalConfig with a URL password (operator resource)', {
      apiVersion: 'rabbitmq.com/v1beta1',
      kind: 'RabbitmqCluster',
      metadata: { name: 'mq', namespace: 'orders' },
      spec: { rabbitmq: { additionalConfig: `auth_http.http_method = post\nauth_http.user_path = https://auth:${PW}@auth.example/user\n` } },
    }, '/spec/rabbitmq/additionalConfig'],
    ['a query-string signature in an annotation', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'orders', annotations: { 'acme.io/report': `https://x.example/r?X-Goog-Signature=${PW}` } },
      spec: { ports: [{ port: 80 }] },
    }, '/metadata/annotations/acme.io~1report'],
  ])('%s', (_name, manifest, pointerEnd) => {
    const found = violations(manifest);
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((v) => v.jsonPointer!.endsWith(pointerEnd))).toBe(true);
    for (const v of found) expect(v.message).not.toContain(PW);
  });

  test.each<[string, object]>([
    ['--password-file /etc/x', job({ command: ['migrate', '--password-file', '/etc/x'] })],
    ['--password=$(DB_PASSWORD) (a Kubernetes variable)', job({ command: ['migrate', '--password=$(DB_PASSWORD)'] })],
    ['--password "$DB_PASSWORD" in sh -c', job({ command: ['sh', '-c', 'migrate --password "$DB_PASSWORD" up'] })],
    ['PGPASSWORD="$(cat /run/secrets/pw)" in sh -c', job({ command: ['sh', '-c', 'PGPASSWORD="$(cat /run/secrets/pw)" psql -h db'] })],
    ['psql -p 5432 and -p5432 (a port)', job({ command: ['psql', '-p5432', '-h', 'db', '-p', '5432'] })],
    ['find -perm (not MySQL)', job({ command: ['find', '/data', '-perm', '644', '-print'] })],
    ['psql --password (prompt) followed by a flag', job({ command: ['psql', '--password', '-h', 'db'] })],
    ['a URL without a password', job({ command: ['migrate', '--dsn', 'postgres://orders@db:5432/orders?sslmode=require'] })],
    ['a URL with a variable password', job({ command: ['migrate', '--dsn', 'postgres://orders:$(DB_PASSWORD)@db:5432/orders'] })],
    ['an image digest', job({ args: ['--image=nginx:1.25@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'] })],
    ['passwordSecretRef, PASSWORD_FILE, sslmode=require', job({
      env: [{ name: 'PASSWORD_FILE', value: '/run/secrets/x' }, { name: 'PGSSLMODE', value: 'require' }, { name: 'DB_PASSWORD_KEY', value: 'password' },
        { name: 'PWD', value: 'app' }, { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        { name: 'DATABASE_URL', value: 'postgresql://orders@db:5432/orders?sslmode=require' }, { name: 'TOKEN_TTL', value: '3600' },
        { name: 'API_TOKEN', value: '' }, { name: 'ADMIN_PASSWORD', value: '<set-me>' },
        { name: 'JAVA_TOOL_OPTIONS', value: '-Xmx512m -Dfile.encoding=UTF-8 -Dspring.datasource.password=$(DB_PASSWORD)' }, { name: 'APP_ARGS', value: '--log-level debug --password-file /run/secrets/pw' }],
      args: ['--password-secret-ref=db-credentials', 'sslmode=require'],
    })],
    ['ConfigMap look-alikes', configMap({
      'postgresql.conf': "password_encryption = 'scram-sha-256'\nssl = on\n",
      'reconcile.sql': "ALTER ROLE x WITH LOGIN PASSWORD :'pw_x';\n",
      'values.yaml': 'passwordKey: password\npasswordSecretRef:\n  name: db\nsecretName: orders-db-app\nautomountServiceAccountToken: false\npassword: ${DB_PASSWORD}\ntoken: "{{ .token }}"\n',
      'application.properties': 'spring.datasource.password=${DB_PASSWORD}\nspring.datasource.url=jdbc:postgresql://db/orders?sslmode=require\n',
      'definitions.json': JSON.stringify({ users: [{ name: 'app', password: '@@PASSWORD:app@@' }] }),
      'init.sh': '#!/bin/sh\nPGPASSFILE="$passfile" pg_basebackup -h "$HOST" -U "${REPLICATION_USER:-replicator}" -w\n',
      'uri-template': 'postgresql://{{ .username }}:{{ .password | urlquery }}@h:5432/db',
    })],
  ])('no false alarm: %s', (_name, manifest) => {
    expect(violations(manifest)).toEqual([]);
  });
});

describe('DATA-QueueNoLiteralCredentials reads setting values too', () => {
  test.each<[string, Record<string, string>, boolean]>([
    ['a shovel URI with a password', { 'shovel.uri': `amqp://shovel:${PW}@upstream:5672` }, true],
    ['an OAuth provider URL with a password', { 'management.oauth_provider_url': `https://u:${PW}@idp.example` }, true],
    ['a JAAS config with a password', { 'sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${PW}";` }, true],
    ['a URL without a password', { 'management.oauth_provider_url': 'https://idp.example/realms/x' }, false],
  ])('%s', (_name, additionalConfig, bad) => {
    const messages = (new QueueNoLiteralCredentials() as any).check({ name: 'mq', engine: { additionalConfig } }) as string[];
    expect(messages.length > 0).toBe(bad);
    for (const m of messages) expect(m).not.toContain(PW);
  });
});

describe('the detection primitives', () => {
  test.each([
    'DB_PASSWORD', 'PGPASSWORD', 'MYSQL_PWD', 'DB_PWD', 'client_secret', 'clientSecret', 'API_TOKEN', 'apiKey', 'api-key', 'AWS_SECRET_ACCESS_KEY',
    'JWT_SIGNING_KEY', 'ENCRYPTION_KEY', 'default_pass', 'spring.datasource.password', 'ssl.keystore.password', 'RABBITMQ_ERLANG_COOKIE', 'passphrase',
  ])('%s is a credential name', (name) => expect(isCredentialName(name)).toBe(true));

  test.each([
    'PASSWORD_FILE', 'passwordSecretRef', 'passwordKey', 'secretName', 'password_encryption', 'TOKEN_TTL', 'PWD', 'OLDPWD', 'PGPASSFILE', 'bypass',
    'SORT_KEY', 'automountServiceAccountToken_enabled', 'sslmode', 'secretKeyRef', 'tokenEndpoint',
  ])('%s is not a credential name', (name) => expect(isCredentialName(name)).toBe(false));

  test('shell words: quotes removed, variables kept, operators split', () => {
    expect(shellWords('a "b c" \'d e\' f\\ g $(cat x) "$V";h&&i|j # k')).toEqual(['a', 'b c', 'd e', 'f g', '$(cat x)', '$V', ';', 'h', '&&', 'i', '|', 'j', ';']);
  });

  test('argv: indexes only, never values', () => {
    expect(argvCredentials(['x', '--token', PW, '--token=$(T)'])).toEqual([{ index: 2, what: 'a literal --token (the next argument)' }]);
  });

  test('env, setting, config and text helpers', () => {
    expect(envCredential('DB_PASSWORD', '$(X)')).toBeUndefined();
    expect(settingCredential('ssl.keystore.password', PW)).toMatch(/credential-like/);
    expect(settingCredential('port', 5432 as any)).toBeUndefined();
    expect(configFileCredentials('x.yaml', `a: 1\nnested:\n  secret: ${PW}\n`)).toEqual([{ line: 3, what: 'a literal secret' }]);
    expect(textCredentials('ALTER ROLE x PASSWORD \'\'')).toEqual([]);
    expect(hasUrlPassword('https://u:p@ss@host')).toBe(true);
    expect(hasUrlPassword('https://host/@scope/pkg')).toBe(false);
    expect(hasUrlPassword('ssh://git@github.com/acme/x.git')).toBe(false);
  });
});

describe('redactSecrets: one redaction for every message', () => {
  test.each<[string, string, string]>([
    ['a URL password', `https://deploy:${PW}@git.example/acme/x.git`, 'https://***@git.example/acme/x.git'],
    ['a URL password holding "@"', `https://deploy:p@ss${PW}@git.example/x.git`, 'https://***@git.example/x.git'],
    ['a URL password holding "/"', `https://deploy:a/b${PW}@git.example/x.git`, 'https://***@git.example/x.git'],
    ['a token as the URL user', 'https://ghp_S3ntin3lT0kenS3ntin3lT0kenS3ntin3lT0k@github.com/x', 'https://***@github.com/x'],
    ['an scp-style address', `fatal: could not read from deploy:${PW}@git.example:acme/x.git`, 'fatal: could not read from ***@git.example:acme/x.git'],
    ['an S3 URL with a key pair', `invalid s3://AKIAABCDEFGHIJKLMNOP:${PW}@bucket/x`, 'invalid s3://***@bucket/x'],
    ['--password x', `running migrate --password ${PW} up`, 'running migrate --password *** up'],
    ['--db-password=x', `error: --db-password=${PW} rejected`, 'error: --db-password=*** rejected'],
    ['PGPASSWORD=x', `+ PGPASSWORD=${PW} psql`, '+ PGPASSWORD=*** psql'],
    ['password: x', `  password: ${PW}`, '  password: ***'],
    ['"password":"x"', `{"user":"u","password":"${PW}"}`, '{"user":"u","password":***}'],
    ['a query signature', `GET https://b.s3.amazonaws.com/x?X-Amz-Date=1&X-Amz-Signature=${PW}&a=b`, 'GET https://b.s3.amazonaws.com/x?X-Amz-Date=1&X-Amz-Signature=***&a=b'],
    ['a SQL password', `CREATE ROLE x PASSWORD '${PW}'`, "CREATE ROLE x PASSWORD '***'"],
    ['a private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----'],
    ['a JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.sig', 'Bearer ***'],
  ])('%s', (_name, text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  test.each([
    'https://github.com/acme/x.git', 'invalid password of user "x": a SecretSource',
    'the --password-file option', 'postgresql://{{ .username }}:{{ .password | urlquery }}@h:5432/db', 'password_encryption = \'scram-sha-256\'',
    '[INVALID_BACKUP] Db: invalid backup.destination.credentials: a SecretSource with ACCESS_KEY_ID and ACCESS_SECRET_KEY',
    'git@github.com:acme/x.git', 'image nginx:1.25@sha256:0123456789abcdef',
  ])('keeps %s', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redaction and detection, for any password', () => {
  const chars = fc.constantFrom(...'abcXYZ0189-_.~!*+=$@/:?#%&[]{}()'.split(''));
  // at least one letter or digit first: a value starting with `$`, `/`, `<`, `{{` or `*` is a reference, not a password
  const password = fc.tuple(fc.constantFrom('a', 'Z', '7'), fc.array(chars, { minLength: 5, maxLength: 40 })).map(([h, t]) => `${h}${t.join('')}`);
  const host = fc.constantFrom('git.example', 'db-rw.orders.svc', '10.0.0.7');

  test('a URL password (any characters, "@" and "/" included) is detected and never printed', () => {
    fc.assert(fc.property(password, host, fc.constantFrom('https', 'postgres', 's3', 'amqp'), (pw, h, scheme) => {
      const url = `${scheme}://user:${pw}@${h}:5432/x`;
      expect(hasUrlPassword(url)).toBe(true);
      expect(textCredentials(url)).toContain('a password in a URL');
      const shown = redactSecrets(`fatal: unable to access '${url}': 403`);
      expect(shown).toBe(`fatal: unable to access '${scheme}://***@${h}:5432/x': 403`);
    }), { numRuns: 300 });
  });

  test('an scp-like address, a flag value and an assignment are never printed', () => {
    const plain = fc.tuple(fc.constantFrom('a', 'Z', '7'), fc.array(fc.constantFrom(...'abcXYZ0189-_.~!*+=@/:?#%'.split('')), { minLength: 5, maxLength: 30 }))
      .map(([h, t]) => `${h}${t.join('')}`);
    fc.assert(fc.property(plain, host, (pw, h) => {
      for (const text of [`deploy:${pw}@${h}:acme/x.git`, `migrate --password ${pw} up`, `+ PGPASSWORD=${pw} psql`, `password: ${pw}`]) {
        expect(redactSecrets(text)).not.toContain(pw);
      }
    }), { numRuns: 300 });
  });
});
