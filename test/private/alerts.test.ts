/**
 * The engines' PrometheusRules: every rule names the service it is about (labels `namespace` and
 * `database` / `message_queue`, aggregations `by (namespace, …)`), the backup alerts' thresholds follow
 * the schedule, and the rules are schema-valid. With Prometheus' `promtool` installed (Debian's
 * `prometheus` package) the rules of every engine are checked by it and the backup and metrics-absent
 * alerts are evaluated on series shaped like kube-state-metrics', the Barman Cloud plugin's and the
 * exporters' (`promtool test rules`); without it those tests skip with the reason
 * (`REQUIRE_PROMTOOL=1` fails instead).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DatabaseEngine, GitOpsApp, ReplicatedDatabase, Tier } from '../../src';
import { backupMaxAgeSeconds, cronJobBackupAlerts, serviceAlertLabels } from '../../src/private/alerts';
import { MessageQueue, QueueEngine } from '../../src/queue';
import { describeWithCrds, sharedValidator } from '../util/crds';
import { backup, ordersDbFixture } from '../util/database-fixture';
import { tmpdir } from '../util/tmp';

const DATABASE_ENGINES = {
  cloudNativePg: () => DatabaseEngine.cloudNativePg({ version: '16.4' }),
  postgresStatefulSet: () => DatabaseEngine.postgresStatefulSet({ version: '16.4' }),
  mariadbOperator: () => DatabaseEngine.mariadbOperator({ version: '11.4.5' }),
  mariadbStatefulSet: () => DatabaseEngine.mariadbStatefulSet({ version: '11.4.5' }),
};
const QUEUE_ENGINES = {
  rabbitmqOperator: () => QueueEngine.rabbitmqOperator({ version: '4.1.4' }),
  rabbitmqStatefulSet: () => QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }),
  strimziKafka: () => QueueEngine.strimziKafka({ version: '4.3.1' }),
};

const manifests = (app: GitOpsApp) => app.render().objects.map((o) => o.manifest);
const rulesOf = (app: GitOpsApp, name: string) => manifests(app).filter((o) => o.kind === 'PrometheusRule' && o.metadata.name === `${name}-alerts`);

/** Production (monitoring on), with backups: one database `name` per engine in namespace `orders`, or two in one. */
function databaseApp(engine: keyof typeof DATABASE_ENGINES, names = ['orders-db']): GitOpsApp {
  const { app, chart } = ordersDbFixture(DATABASE_ENGINES[engine](), { tier: Tier.PRODUCTION, props: { name: names[0], backup } });
  for (const name of names.slice(1)) {
    new ReplicatedDatabase(chart, name, {
      engine: DATABASE_ENGINES[engine](), name, backup: { ...backup, destination: { ...backup.destination, destinationPath: `s3://acme-backups/${name}` } },
    });
  }
  return app;
}

function queueApp(engine: keyof typeof QUEUE_ENGINES): GitOpsApp {
  const { app, chart } = ordersDbFixture(DatabaseEngine.postgresStatefulSet({ version: '16.4' }), { tier: Tier.PRODUCTION });
  const kafka = engine === 'strimziKafka';
  new MessageQueue(chart, 'Events', {
    engine: QUEUE_ENGINES[engine](),
    name: 'orders-events',
    ...(kafka ? { topics: [{ name: 'clicks' }] } : { queues: [{ name: 'orders.created' }] }),
  });
  return app;
}

const ALL = [
  ...Object.keys(DATABASE_ENGINES).map((e) => ({ engine: e, name: 'orders-db', service: 'database', app: () => databaseApp(e as any) })),
  ...Object.keys(QUEUE_ENGINES).map((e) => ({ engine: e, name: 'orders-events', service: 'message_queue', app: () => queueApp(e as any) })),
];

describe('the engines\' alerts name the service they are about', () => {
  test.each(ALL)('$engine: every rule is labelled namespace and $service, every aggregation keeps the namespace', ({ name, service, app }) => {
    const [rule] = rulesOf(app(), name);
    const rules = rule.spec.groups[0].rules;
    expect(rules.length).toBeGreaterThan(2);
    for (const r of rules) {
      expect(r.labels).toEqual({ severity: expect.stringMatching(/^(critical|warning)$/), namespace: 'orders', [service]: name });
      // every max / min / sum / count groups by the namespace (two services' alerts never collapse into one series)
      for (const m of r.expr.matchAll(/\b(max|min|sum|count)\b\s*(by \(([^)]*)\))?\s*\(/g)) {
        expect([r.alert, m[3]?.split(', ')[0]]).toEqual([r.alert, 'namespace']);
      }
    }
  });

  test('two databases in one namespace: their alerts differ by the `database` label', () => {
    const all = manifests(databaseApp('postgresStatefulSet', ['orders-db', 'billing-db']));
    const labels = all.filter((o) => o.kind === 'PrometheusRule').map((o) => o.spec.groups[0].rules.find((r: any) => r.alert === 'PostgresBackupFailed').labels);
    expect(labels.sort((a: any, b: any) => a.database.localeCompare(b.database))).toEqual([
      { severity: 'critical', namespace: 'orders', database: 'billing-db' },
      { severity: 'critical', namespace: 'orders', database: 'orders-db' },
    ]);
  });

  test('serviceAlertLabels', () => {
    expect(serviceAlertLabels('message_queue', 'shop', 'events')).toEqual({ namespace: 'shop', message_queue: 'events' });
  });
});

describe('backup alerts', () => {
  test('the threshold follows the schedule, for every engine', () => {
    expect([backupMaxAgeSeconds('30 2 * * *'), backupMaxAgeSeconds('0 */6 * * *'), backupMaxAgeSeconds('0 3 * * 0'), backupMaxAgeSeconds('0 3 1 * *')])
      .toEqual([36 * 3600, 36 * 3600, 8 * 86400, 32 * 86400]);
    for (const engine of Object.keys(DATABASE_ENGINES) as (keyof typeof DATABASE_ENGINES)[]) {
      const { app } = ordersDbFixture(DATABASE_ENGINES[engine](), { tier: Tier.PRODUCTION, props: { backup: { ...backup, schedule: '0 3 * * 0' } } });
      const tooOld = rulesOf(app, 'orders-db')[0].spec.groups[0].rules.find((r: any) => /LastBackupTooOld$/.test(r.alert));
      expect([engine, tooOld.expr.match(/> (\d{3,})/g)]).toEqual([engine, ['> 691200', '> 691200']]);
      expect(tooOld.annotations.summary).toBe('No successful backup of orders-db for more than 192 hours');
    }
  });

  test('a backup CronJob\'s alerts: the newest failed Job against the last success, a never-successful CronJob, absent metrics', () => {
    const [tooOld, failed, absent] = cronJobBackupAlerts('Postgres', 'orders', 'orders-db-backup', 'orders-db', '30 2 * * *');
    const cj = 'namespace="orders",cronjob="orders-db-backup"';
    const jobs = 'namespace="orders",job_name=~"orders-db-backup-[0-9]+"';
    expect(tooOld.expr).toBe(`(time() - max by (namespace) (kube_cronjob_status_last_successful_time{${cj}}) > 129600)`
      + ` or (time() - max by (namespace) (kube_cronjob_created{${cj}}) > 129600 unless on (namespace) max by (namespace) (kube_cronjob_status_last_successful_time{${cj}}))`);
    expect(failed.expr).toBe(`max by (namespace) (kube_job_status_start_time{${jobs}} and on (namespace, job_name) (kube_job_failed{${jobs},condition="true"} == 1))`
      + ` > on (namespace) (max by (namespace) (kube_cronjob_status_last_successful_time{${cj}}) or on (namespace) 0 * max by (namespace) (kube_cronjob_created{${cj}}))`);
    // not the failed pods' count, which a retry that succeeded leaves above 0
    expect(failed.expr).not.toMatch(/kube_job_status_failed/);
    expect(absent.expr).toBe(`absent(kube_cronjob_info{${cj}})`);
  });

  test('CloudNativePG: the plugin\'s 0 (no backup yet) counts only once the cluster\'s volumes are older than the threshold', () => {
    const tooOld = rulesOf(databaseApp('cloudNativePg'), 'orders-db')[0].spec.groups[0].rules.find((r: any) => r.alert === 'PostgresLastBackupTooOld');
    const metric = 'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{namespace="orders",pod=~"orders-db-[0-9]+"}';
    expect(tooOld.expr).toBe(`(time() - max by (namespace) (${metric} > 0) > 129600) or (max by (namespace) (${metric}) == 0`
      + ' and on (namespace) time() - min by (namespace) (kube_persistentvolumeclaim_created{namespace="orders",persistentvolumeclaim=~"orders-db-[0-9]+"}) > 129600)');
  });
});

describe('metrics-absent alerts', () => {
  test.each([
    ['cloudNativePg', 'PostgresMetricsAbsent', 'cnpg_collector_up'],
    ['postgresStatefulSet', 'PostgresMetricsAbsent', 'pg_up'],
    ['mariadbStatefulSet', 'MariadbMetricsAbsent', 'mysql_up'],
  ] as const)('%s: %s when fewer instances than declared have metrics', (engine, alert, metric) => {
    const rule = rulesOf(databaseApp(engine), 'orders-db')[0].spec.groups[0].rules.find((r: any) => r.alert === alert);
    expect(rule).toMatchObject({
      expr: `(count by (namespace) (${metric}{namespace="orders",pod=~"orders-db-[0-9]+"}) or on () vector(0)) < 3`, for: '15m', labels: { severity: 'critical' },
    });
  });

  test('every metrics-absent alert is critical: without metrics the critical alerts cannot fire', () => {
    const absent = ALL.flatMap(({ name, app }) => rulesOf(app(), name)[0].spec.groups[0].rules.filter((r: any) => /MetricsAbsent$/.test(r.alert)));
    expect(absent.map((r: any) => r.alert).sort()).toEqual([
      'KafkaMetricsAbsent', 'MariaDBBackupMetricsAbsent', 'MariaDBMetricsAbsent', 'MariadbBackupMetricsAbsent', 'MariadbMetricsAbsent',
      'PostgresBackupMetricsAbsent', 'PostgresBackupMetricsAbsent', 'PostgresMetricsAbsent', 'PostgresMetricsAbsent',
    ]);
    expect(new Set(absent.map((r: any) => r.labels.severity))).toEqual(new Set(['critical']));
  });
});

describeWithCrds('the PrometheusRules are schema-valid', () => {
  test.each(ALL)('$engine', ({ name, app }) => {
    const [rule] = rulesOf(app(), name);
    expect(sharedValidator().validate(rule).map((e) => e.message)).toEqual([]);
  });
});

// ---------------------------------------------------------------- promtool

const promtool = (() => {
  const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? 'promtool' : undefined;
})();
const describePromtool: jest.Describe = promtool ? describe : (() => {
  const why = 'promtool not found: apt-get install -y prometheus';
  // eslint-disable-next-line no-console
  console.warn(`promtool tests skipped: ${why}`);
  if (process.env.REQUIRE_PROMTOOL === '1') test('promtool is available (REQUIRE_PROMTOOL=1)', () => { throw new Error(why); });
  return describe.skip;
})();

/** Runs `promtool <args>` in `dir`; its output on failure. */
function runPromtool(dir: string, args: string[]): { status: number | null; output: string } {
  const out = spawnSync(promtool!, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

/**
 * Writes the groups of `rule` (a PrometheusRule) as a Prometheus rule file (JSON is YAML) and the tests beside it,
 * evaluated every `step` minutes.
 */
function promtoolTest(rule: any, tests: any[], step = 1): { status: number | null; output: string } {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'rules.yaml'), JSON.stringify({ groups: rule.spec.groups }));
  fs.writeFileSync(path.join(dir, 'test.yaml'), JSON.stringify({ rule_files: ['rules.yaml'], evaluation_interval: `${step}m`, tests }));
  return runPromtool(dir, ['test', 'rules', 'test.yaml']);
}

const H = 3600;
const LABELS = { severity: 'critical', namespace: 'orders', database: 'orders-db' };
const CJ = 'namespace="orders",cronjob="orders-db-backup"';
const job = (n: number) => `namespace="orders",job_name="orders-db-backup-${n}"`;
/** A series of one value from `from` minutes on, over `minutes` minutes, scraped every `step` minutes. */
const series = (s: string, value: number, minutes: number, from = 0, step = 1) => ({
  series: s, values: `${from ? `_x${Math.ceil(from / step)} ` : ''}${value}x${Math.floor((minutes - from) / step)}`,
});
/** The CronJob (created at 0) and its Jobs as kube-state-metrics exports them, over `minutes`. */
function cronJob(
  minutes: number, jobs: { n: number; start: number; failed: boolean }[], lastSuccess?: { value: number; from: number }, step = 1,
): any[] {
  return [
    series(`kube_cronjob_info{${CJ}}`, 1, minutes, 0, step),
    series(`kube_cronjob_created{${CJ}}`, 0, minutes, 0, step),
    ...(lastSuccess ? [series(`kube_cronjob_status_last_successful_time{${CJ}}`, lastSuccess.value, minutes, lastSuccess.from, step)] : []),
    ...jobs.flatMap((j) => [
      series(`kube_job_status_start_time{${job(j.n)}}`, j.start, minutes, Math.floor(j.start / 60)),
      // a completed Job has no Failed condition; both kinds may have failed pods (retries)
      ...(j.failed ? [series(`kube_job_failed{${job(j.n)},condition="true"}`, 1, minutes, Math.floor(j.start / 60) + 10),
        series(`kube_job_failed{${job(j.n)},condition="false"}`, 0, minutes, Math.floor(j.start / 60) + 10)] : []),
      series(`kube_job_status_failed{${job(j.n)},reason=""}`, 1, minutes, Math.floor(j.start / 60) + 5),
    ]),
  ];
}
/** `alertname` of PrometheusRule `rule` firing at `at` with `labels` (and its annotations). */
const fires = (rule: any, alertname: string, at: string, labels: any = LABELS) => ({
  eval_time: at,
  alertname,
  exp_alerts: [{ exp_labels: labels, exp_annotations: rule.spec.groups[0].rules.find((r: any) => r.alert === alertname).annotations }],
});
const silent = (alertname: string, at: string) => ({ eval_time: at, alertname, exp_alerts: [] });

describePromtool('promtool', () => {
  test.each(ALL)('$engine: promtool check rules', ({ name, app }) => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'rules.yaml'), JSON.stringify({ groups: rulesOf(app(), name)[0].spec.groups }));
    const result = runPromtool(dir, ['check', 'rules', 'rules.yaml']);
    expect([result.status, result.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
  });

  test.each(['postgresStatefulSet', 'mariadbStatefulSet', 'mariadbOperator'] as const)('%s: BackupFailed means the newest run failed', (engine) => {
    const rule = rulesOf(databaseApp(engine), 'orders-db')[0];
    const prefix = { postgresStatefulSet: 'Postgres', mariadbStatefulSet: 'Mariadb', mariadbOperator: 'MariaDB' }[engine];
    const failed = `${prefix}BackupFailed`;
    const result = promtoolTest(rule, [
      // a run that succeeded on its second pod: failed pods, no failed Job
      { interval: '1m', input_series: cronJob(120, [{ n: 1, start: 600, failed: false }], { value: 1500, from: 25 }), alert_rule_test: [silent(failed, '100m')] },
      // the first run failed (no success yet): fires, until the next run succeeds
      {
        interval: '1m',
        input_series: cronJob(240, [{ n: 1, start: 600, failed: true }, { n: 2, start: 2 * H, failed: false }], { value: 2 * H + 600, from: 130 }),
        alert_rule_test: [fires(rule, failed, '100m'), silent(failed, '200m')],
      },
      // a success, then a failed run: fires while that failure is the newest run
      {
        interval: '1m',
        input_series: cronJob(240, [{ n: 1, start: 600, failed: false }, { n: 2, start: 2 * H, failed: true }], { value: 900, from: 15 }),
        alert_rule_test: [silent(failed, '100m'), fires(rule, failed, '200m')],
      },
    ]);
    expect([result.status, result.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
  });

  test.each(['postgresStatefulSet', 'mariadbStatefulSet', 'mariadbOperator'] as const)('%s: LastBackupTooOld also when no backup ever succeeded', (engine) => {
    const rule = rulesOf(databaseApp(engine), 'orders-db')[0];
    const prefix = { postgresStatefulSet: 'Postgres', mariadbStatefulSet: 'Mariadb', mariadbOperator: 'MariaDB' }[engine];
    const tooOld = `${prefix}LastBackupTooOld`;
    const minutes = 40 * 60;
    const result = promtoolTest(rule, [
      { interval: '5m', input_series: cronJob(minutes, [], undefined, 5), alert_rule_test: [silent(tooOld, '35h'), fires(rule, tooOld, '37h')] },
      { interval: '5m', input_series: cronJob(minutes, [], { value: 2 * H, from: 120 }, 5), alert_rule_test: [silent(tooOld, '37h'), fires(rule, tooOld, '39h')] },
      { interval: '5m', input_series: [series(`kube_cronjob_info{${CJ}}`, 1, 180, 0, 5)], alert_rule_test: [silent(`${prefix}BackupMetricsAbsent`, '2h')] },
      { interval: '5m', input_series: [series('up', 1, 180, 0, 5)], alert_rule_test: [fires(rule, `${prefix}BackupMetricsAbsent`, '2h', { ...LABELS, cronjob: 'orders-db-backup' })] },
    ], 5);
    expect([result.status, result.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
  });

  test('CloudNativePG: no backup yet (the plugin\'s 0) fires once the cluster is older than the threshold, not at once', () => {
    const rule = rulesOf(databaseApp('cloudNativePg'), 'orders-db')[0];
    const pod = (n: number) => `namespace="orders",pod="orders-db-${n}"`;
    const barman = (metric: string, value: number, minutes: number, from = 0) => [1, 2, 3].map((n) => series(`barman_cloud_cloudnative_pg_io_${metric}{${pod(n)}}`, value, minutes, from, 5));
    const pvcs = (created: number, minutes: number) => [1, 2, 3].map((n) => series(`kube_persistentvolumeclaim_created{namespace="orders",persistentvolumeclaim="orders-db-${n}"}`, created, minutes, 0, 5));
    const minutes = 40 * 60;
    const result = promtoolTest(rule, [
      // a cluster created 35.8 hours in, never backed up: not too old at 37 hours
      {
        interval: '5m',
        input_series: [...barman('last_available_backup_timestamp', 0, minutes), ...barman('last_failed_backup_timestamp', 0, minutes), ...pvcs(129_000, minutes)],
        alert_rule_test: [silent('PostgresLastBackupTooOld', '37h'), silent('PostgresBackupFailed', '37h')],
      },
      // created at 0, never backed up: too old after 36 hours
      {
        interval: '5m',
        input_series: [...barman('last_available_backup_timestamp', 0, minutes), ...pvcs(0, minutes)],
        alert_rule_test: [silent('PostgresLastBackupTooOld', '35h'), fires(rule, 'PostgresLastBackupTooOld', '37h')],
      },
      // backed up at 2 hours: too old after 38 hours; a failure after it fires BackupFailed
      {
        interval: '5m',
        input_series: [...barman('last_available_backup_timestamp', 2 * H, minutes), ...barman('last_failed_backup_timestamp', 3 * H, minutes, 180), ...pvcs(0, minutes)],
        alert_rule_test: [silent('PostgresLastBackupTooOld', '37h'), fires(rule, 'PostgresLastBackupTooOld', '39h'), silent('PostgresBackupFailed', '2h'),
          fires(rule, 'PostgresBackupFailed', '4h')],
      },
    ], 5);
    expect([result.status, result.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
  });

  test.each([
    ['cloudNativePg', 'PostgresMetricsAbsent', 'cnpg_collector_up'],
    ['postgresStatefulSet', 'PostgresMetricsAbsent', 'pg_up'],
    ['mariadbStatefulSet', 'MariadbMetricsAbsent', 'mysql_up'],
  ] as const)('%s: %s with an instance not scraped, and with none', (engine, alert, metric) => {
    const rule = rulesOf(databaseApp(engine), 'orders-db')[0];
    const up = (n: number) => series(`${metric}{namespace="orders",pod="orders-db-${n}"}`, 1, 60);
    const result = promtoolTest(rule, [
      { interval: '1m', input_series: [0, 1, 2].map(up), alert_rule_test: [silent(alert, '50m')] },
      { interval: '1m', input_series: [0, 1].map(up), alert_rule_test: [fires(rule, alert, '50m')] },
      { interval: '1m', input_series: [series('up', 1, 60)], alert_rule_test: [fires(rule, alert, '50m')] },
    ]);
    expect([result.status, result.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
  });

  describe('CloudNativePG: an instance lost, down or not streaming', () => {
    const CNPG_ALERTS = ['PostgresInstanceDown', 'PostgresInstancesNotReady', 'PostgresMetricsAbsent', 'PostgresReplicasNotStreaming'];
    /**
     * Instance `n` of cluster `db` in `ns` as CloudNativePG's exporter (its `cluster` label; namespace and pod from the
     * scrape) and kube-state-metrics export it, instance 1 the primary: `up` 0 is PostgreSQL not answering, `streaming`
     * the primary's walsenders, `receiving` a replica's WAL receiver.
     */
    const instance = (n: number, o: { up?: number; ready?: boolean; streaming?: number; receiving?: boolean; db?: string; ns?: string } = {}) => {
      const db = o.db ?? 'orders-db';
      const pod = `namespace="${o.ns ?? 'orders'}",pod="${db}-${n}"`;
      const primary = n === 1;
      const ready = o.ready ?? true;
      return [
        series(`cnpg_collector_up{${pod},cluster="${db}"}`, o.up ?? 1, 60),
        series(`kube_pod_status_ready{${pod},uid="u${n}",condition="true"}`, ready ? 1 : 0, 60),
        series(`kube_pod_status_ready{${pod},uid="u${n}",condition="false"}`, ready ? 0 : 1, 60),
        series(`cnpg_pg_replication_in_recovery{${pod}}`, primary ? 0 : 1, 60),
        series(`cnpg_pg_replication_is_wal_receiver_up{${pod}}`, primary || o.receiving === false ? 0 : 1, 60),
        series(`cnpg_pg_replication_streaming_replicas{${pod}}`, primary ? o.streaming ?? 2 : 0, 60),
        series(`cnpg_pg_replication_lag{${pod}}`, 0, 60),
      ];
    };
    const healthy = (o: { db?: string; ns?: string } = {}) => [1, 2, 3].flatMap((n) => instance(n, o));
    const only = (alerts: string[], rule: any, at = '50m', labels: any = LABELS) =>
      CNPG_ALERTS.map((a) => (alerts.includes(a) ? fires(rule, a, at, labels) : silent(a, at)));

    test('the expressions', () => {
      const rules = rulesOf(databaseApp('cloudNativePg'), 'orders-db')[0].spec.groups[0].rules;
      const pods = 'namespace="orders",pod=~"orders-db-[0-9]+"';
      expect(CNPG_ALERTS.map((a) => rules.find((r: any) => r.alert === a)).map((r: any) => [r.expr, r.for, r.labels.severity])).toEqual([
        [`min by (namespace, pod) (cnpg_collector_up{${pods}}) == 0`, '5m', 'critical'],
        [`(count by (namespace) (kube_pod_status_ready{${pods},condition="true"} == 1) or on () vector(0)) < 3`, '10m', 'critical'],
        [`(count by (namespace) (cnpg_collector_up{${pods}}) or on () vector(0)) < 3`, '15m', 'critical'],
        [`max by (namespace) (cnpg_pg_replication_streaming_replicas{${pods}} and on (namespace, pod) cnpg_pg_replication_in_recovery{${pods}} == 0) < 2`, '10m', 'critical'],
      ]);
    });

    test('a single instance: no replication alert, the instance alerts count 1', () => {
      const { app } = ordersDbFixture(DATABASE_ENGINES.cloudNativePg(), { tier: Tier.PRODUCTION, props: { instances: 1 } });
      const rules = rulesOf(app, 'orders-db')[0].spec.groups[0].rules;
      expect(rules.map((r: any) => r.alert)).not.toContain('PostgresReplicasNotStreaming');
      expect(rules.find((r: any) => r.alert === 'PostgresInstancesNotReady').expr).toMatch(/\) < 1$/);
    });

    test('promtool: silent on a healthy cluster (beside another namespace\'s and another database\'s broken ones); each fault fires its alerts', () => {
      const rule = rulesOf(databaseApp('cloudNativePg'), 'orders-db')[0];
      const result = promtoolTest(rule, [
        // healthy; billing's orders-db in namespace billing and orders-db-archive in orders have lost instances
        {
          interval: '1m',
          input_series: [...healthy(), ...instance(1, { ns: 'billing', up: 0, streaming: 0 }), ...instance(1, { db: 'orders-db-archive', streaming: 0 })],
          alert_rule_test: only([], rule),
        },
        // a replica lost (its pod gone: no metrics, no readiness): not ready, not streamed to, its metrics missing
        // (beside healthy clusters that would hide it if the rules read another namespace or database)
        {
          interval: '1m',
          input_series: [...instance(1, { streaming: 1 }), ...instance(2), ...healthy({ ns: 'billing' }), ...healthy({ db: 'orders-db-archive' })],
          alert_rule_test: only(['PostgresInstancesNotReady', 'PostgresMetricsAbsent', 'PostgresReplicasNotStreaming'], rule),
        },
        // a replica running and ready but not streaming (its WAL receiver down)
        { interval: '1m', input_series: [...instance(1, { streaming: 1 }), ...instance(2), ...instance(3, { receiving: false })], alert_rule_test: only(['PostgresReplicasNotStreaming'], rule) },
        // PostgreSQL down in a replica whose instance manager still answers: down (that pod), not ready, not streamed to
        {
          interval: '1m',
          input_series: [...instance(1, { streaming: 1 }), ...instance(2), ...instance(3, { up: 0, ready: false, receiving: false })],
          alert_rule_test: [
            fires(rule, 'PostgresInstanceDown', '50m', { ...LABELS, pod: 'orders-db-3' }),
            fires(rule, 'PostgresInstancesNotReady', '50m'), silent('PostgresMetricsAbsent', '50m'), fires(rule, 'PostgresReplicasNotStreaming', '50m'),
          ],
        },
        // an instance Pending (no exporter yet) and its metrics' absence take their time: not after 8 minutes
        { interval: '1m', input_series: [...instance(1, { streaming: 1 }), ...instance(2)], alert_rule_test: only([], rule, '8m') },
        // the whole cluster gone: nothing ready, no metrics (no primary: the replication alert has nothing to read)
        { interval: '1m', input_series: [series('up', 1, 60)], alert_rule_test: only(['PostgresInstancesNotReady', 'PostgresMetricsAbsent'], rule) },
      ]);
      expect([result.status, result.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
    });
  });

  describe('Strimzi Kafka: volumes almost full, nodes without metrics', () => {
    const MQ = { severity: 'critical', namespace: 'orders', message_queue: 'orders-events' };
    const kafkaRule = (controllerReplicas?: number) => {
      const { app, chart } = ordersDbFixture(DatabaseEngine.postgresStatefulSet({ version: '16.4' }), { tier: Tier.PRODUCTION });
      new MessageQueue(chart, 'Events', { engine: QueueEngine.strimziKafka({ version: '4.3.1', controllerReplicas }), name: 'orders-events', topics: [{ name: 'clicks' }] });
      return rulesOf(app, 'orders-events')[0];
    };
    const byName = (rule: any, alert: string) => rule.spec.groups[0].rules.find((r: any) => r.alert === alert);

    test('the expressions: dedicated controllers (production), and one dual-role pool', () => {
      const claims = (pools: string) => `namespace="orders",persistentvolumeclaim=~"data-0-orders-events-(${pools})-[0-9]+"`;
      const pods = (pools: string) => `namespace="orders",pod=~"orders-events-(${pools})-[0-9]+"`;
      const dedicated = kafkaRule();
      expect(byName(dedicated, 'KafkaStorageAlmostFull')).toMatchObject({
        expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${claims('controllers|brokers')}} / kubelet_volume_stats_capacity_bytes{${claims('controllers|brokers')}}) > 0.85`,
        for: '10m',
        labels: MQ,
      });
      expect(byName(dedicated, 'KafkaMetricsAbsent')).toMatchObject({
        expr: `(count by (namespace) (kafka_server_replicamanager_underreplicatedpartitions{${pods('brokers')}}) or on () vector(0)) < 3`
          + ` or on () (count by (namespace) (kafka_controller_kafkacontroller_activecontrollercount{${pods('controllers')}}) or on () vector(0)) < 3`,
        for: '15m',
        labels: MQ,
      });
      const dual = kafkaRule(0);
      expect(byName(dual, 'KafkaStorageAlmostFull').expr).toContain(claims('dual-role'));
      expect(byName(dual, 'KafkaMetricsAbsent').expr).toBe(`(count by (namespace) (kafka_server_replicamanager_underreplicatedpartitions{${pods('dual-role')}}) or on () vector(0)) < 3`
        + ` or on () (count by (namespace) (kafka_controller_kafkacontroller_activecontrollercount{${pods('dual-role')}}) or on () vector(0)) < 3`);
    });

    test('promtool: silent on a healthy cluster (beside broken ones of another namespace and another queue); a full volume, a node not scraped, none', () => {
      const rule = kafkaRule();
      const ALERTS = ['KafkaStorageAlmostFull', 'KafkaMetricsAbsent'];
      /** Node `pod` of cluster `mq` in `ns` (Strimzi Metrics Reporter names), its volume `used` of 100 GB. */
      const node = (pool: 'controllers' | 'brokers', id: number, o: { used?: number; scraped?: boolean; mq?: string; ns?: string } = {}) => {
        const pod = `${o.mq ?? 'orders-events'}-${pool}-${id}`;
        const claim = `namespace="${o.ns ?? 'orders'}",persistentvolumeclaim="data-0-${pod}"`;
        const at = `namespace="${o.ns ?? 'orders'}",pod="${pod}"`;
        return [
          series(`kubelet_volume_stats_used_bytes{${claim}}`, (o.used ?? 50) * 1e9, 60),
          series(`kubelet_volume_stats_capacity_bytes{${claim}}`, 100e9, 60),
          ...(o.scraped === false ? [] : pool === 'brokers'
            ? [series(`kafka_server_replicamanager_underreplicatedpartitions{${at}}`, 0, 60), series(`kafka_server_replicamanager_leadercount{${at}}`, 4, 60)]
            : [series(`kafka_controller_kafkacontroller_activecontrollercount{${at}}`, id === 0 ? 1 : 0, 60)]),
        ];
      };
      type NodeOptions = Parameters<typeof node>[2];
      const cluster = (o: NodeOptions = {}, per: { [pod: string]: NodeOptions } = {}) => [
        ...[0, 1, 2].flatMap((id) => node('controllers', id, { ...o, ...per[`controllers-${id}`] })),
        ...[3, 4, 5].flatMap((id) => node('brokers', id, { ...o, ...per[`brokers-${id}`] })),
      ];
      const broken = { used: 99, scraped: false };
      const only = (alerts: string[], at = '50m') => ALERTS.map((a) => (alerts.includes(a) ? fires(rule, a, at, MQ) : silent(a, at)));
      const result = promtoolTest(rule, [
        {
          interval: '1m',
          input_series: [...cluster(), ...cluster({ ...broken, ns: 'billing' }), ...cluster({ ...broken, mq: 'orders-events-archive' })],
          alert_rule_test: only([]),
        },
        // a broker's volume, and a controller's, 90% full: one alert each
        {
          interval: '1m',
          input_series: cluster({}, { 'brokers-4': { used: 90 }, 'controllers-1': { used: 90 } }),
          alert_rule_test: [
            { eval_time: '50m', alertname: 'KafkaStorageAlmostFull', exp_alerts: ['data-0-orders-events-brokers-4', 'data-0-orders-events-controllers-1'].map((c) => ({ exp_labels: { ...MQ, persistentvolumeclaim: c }, exp_annotations: byName(rule, 'KafkaStorageAlmostFull').annotations })) },
            silent('KafkaMetricsAbsent', '50m'),
          ],
        },
        // a broker not scraped (beside healthy clusters that would hide it if the rule read another namespace or queue)
        {
          interval: '1m',
          input_series: [...cluster({}, { 'brokers-5': { scraped: false } }), ...cluster({ ns: 'billing' }), ...cluster({ mq: 'orders-events-archive' })],
          alert_rule_test: [...only(['KafkaMetricsAbsent']), silent('KafkaMetricsAbsent', '10m')],
        },
        // a controller not scraped: the offline-partitions alert reads the controllers
        { interval: '1m', input_series: cluster({}, { 'controllers-2': { scraped: false } }), alert_rule_test: only(['KafkaMetricsAbsent']) },
        // a broker and every controller not scraped: still one alert (`by (namespace)` beside vector(0)'s none, whose
        // labels become identical once the rule's are added, which fails the rule's evaluation)
        {
          interval: '1m',
          input_series: cluster({}, { 'brokers-5': { scraped: false }, 'controllers-0': { scraped: false }, 'controllers-1': { scraped: false }, 'controllers-2': { scraped: false } }),
          alert_rule_test: only(['KafkaMetricsAbsent']),
        },
        // nothing scraped at all: one alert
        { interval: '1m', input_series: [series('up', 1, 60)], alert_rule_test: only(['KafkaMetricsAbsent']) },
      ]);
      expect([result.status, result.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
    });
  });

  test('RabbitmqNodeDown: one alert with a node missing, and with none', () => {
    const rule = rulesOf(queueApp('rabbitmqStatefulSet'), 'orders-events')[0];
    const labels = { severity: 'critical', namespace: 'orders', message_queue: 'orders-events' };
    const node = (n: number) => series(`rabbitmq_identity_info{namespace="orders",pod="orders-events-${n}"}`, 1, 60);
    const result = promtoolTest(rule, [
      { interval: '1m', input_series: [0, 1, 2].map(node), alert_rule_test: [silent('RabbitmqNodeDown', '50m')] },
      { interval: '1m', input_series: [0, 1].map(node), alert_rule_test: [fires(rule, 'RabbitmqNodeDown', '50m', labels)] },
      { interval: '1m', input_series: [series('up', 1, 60)], alert_rule_test: [fires(rule, 'RabbitmqNodeDown', '50m', labels)] },
    ]);
    expect([result.status, result.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
  });
});
