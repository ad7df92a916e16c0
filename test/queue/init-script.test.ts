/**
 * The StatefulSet engine's init step (init.sh, POSIX sh + awk as in the official RabbitMQ image),
 * run with this machine's sh and awk on what the engine renders: every password survives the
 * merge into definitions.json exactly, whatever its characters.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { Environment, EnvironmentChart, GitOpsApp, SecretBackend, Tier } from '../../src';
import { MessageQueue, QueueEngine } from '../../src/queue';
import { tmpdir } from '../util/tmp';

const shell = spawnSync('sh', ['-c', 'command -v awk && command -v cp && command -v mv']).status === 0;
const describeShell = shell ? describe : describe.skip;

/** The ConfigMap of a StatefulSet-engine queue with `users`. */
function configMap(users: string[]): Record<string, string> {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'orders', secretBackend: SecretBackend.existingSecrets() });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  const mq = new MessageQueue(chart, 'Q', { engine: QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }), name: 'q' });
  for (const u of users) mq.addUser(u);
  return app.render().objects.map((o) => o.manifest).find((m) => m.kind === 'ConfigMap').data;
}

/** Lays out the templates and the users' password files as the pod does, runs init.sh, returns its result. */
function runInit(data: Record<string, string>, passwords: Record<string, string | undefined>) {
  const root = tmpdir('cdk8s-stateful-init-');
  const dirs = ['templates', 'users', 'config', 'home'].map((d) => path.join(root, d));
  dirs.forEach((d) => fs.mkdirSync(d));
  const [templates, users, config, home] = dirs;
  for (const [k, v] of Object.entries(data)) fs.writeFileSync(path.join(templates, k), v);
  for (const [user, password] of Object.entries(passwords)) if (password !== undefined) fs.writeFileSync(path.join(users, user), password);
  fs.writeFileSync(path.join(root, 'cookie'), 'c00kie');
  const r = spawnSync('sh', [path.join(templates, 'init.sh'), templates, users, config, path.join(root, 'cookie'), home], { encoding: 'utf8' });
  const out = path.join(config, 'definitions.json');
  return { status: r.status, stderr: r.stderr, definitions: r.status === 0 ? JSON.parse(fs.readFileSync(out, 'utf8')) : undefined, config, home };
}

describeShell('init.sh merges the Secrets\' passwords into the definitions', () => {
  const data = configMap(['app', 'worker-2']);

  test('any password (quotes, backslashes, control characters, non-ASCII, newlines) is kept exactly; one final newline is ignored', () => {
    const password = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 })
      .filter((p) => !p.includes('\u0000') && Buffer.from(p, 'utf8').toString('utf8') === p && p.replace(/\n$/, '') !== '');
    fc.assert(fc.property(password, password, (a, b) => {
      const r = runInit(data, { 'app': a, 'worker-2': b });
      expect(r.stderr).toBe('');
      expect(r.definitions.users).toEqual([
        { name: 'app', password: a.replace(/\n$/, ''), tags: [] },
        { name: 'worker-2', password: b.replace(/\n$/, ''), tags: [] },
      ]);
    }), { numRuns: 150 });
  });

  test('the rest of the definitions is the template\'s; config files and the cookie are installed', () => {
    const r = runInit(data, { 'app': 'x', 'worker-2': 'y' });
    const template = JSON.parse(data['definitions.json']);
    expect({ ...r.definitions, users: [] }).toEqual({ ...template, users: [] });
    expect(fs.readFileSync(path.join(r.config, 'rabbitmq.conf'), 'utf8')).toBe(data['rabbitmq.conf']);
    expect(fs.readFileSync(path.join(r.config, 'enabled_plugins'), 'utf8')).toBe(data.enabled_plugins);
    expect(fs.readFileSync(path.join(r.home, '.erlang.cookie'), 'utf8')).toBe('c00kie');
    expect((fs.statSync(path.join(r.home, '.erlang.cookie')).mode % 0o1000).toString(8)).toBe('600');
  });

  test.each<[string, Record<string, string | undefined>, RegExp]>([
    ['a missing password file', { 'app': 'x', 'worker-2': undefined }, /init.sh: no password file .*worker-2 for user worker-2/],
    ['an empty password', { 'app': '\n', 'worker-2': 'y' }, /init.sh: the password of user app .* is empty/],
  ])('%s fails the pod, and no definitions are written', (_name, passwords, message) => {
    const r = runInit(data, passwords);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(path.join(r.config, 'definitions.json'))).toBe(false);
  });
});
