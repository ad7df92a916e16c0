import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { MariaDbOperatorInput } from './model';
import { cronJobBackupAlerts, renderAlertRules, serviceAlertLabels } from '../../../private/alerts';

/**
 * The PrometheusRule `<name>-alerts`: the server is down, replication lags or stopped (with replicas),
 * a volume is almost full, and, with backups, the last backup failed or is too old — in the style of
 * the CloudNativePG engine's alerts.
 *
 * Server and replication metrics are mysqld-exporter's (`mysql_up`, `mysql_slave_status_*`), scraped
 * through the operator's ServiceMonitor from the exporter Deployment `<name>-metrics` (multi-target:
 * one target per MariaDB pod). Backups run as CronJobs the operator names after the `Backup` object
 * (`<name>-backup`, mariadb-operator pkg/builder `BuildBackupCronJob`), watched through kube-state-metrics
 * like the StatefulSet engines' (`cronJobBackupAlerts`); volumes through the kubelet
 * (`storage-<name>-<ordinal>`, the operator's claim names).
 */
export function renderMariaDbAlerts(scope: Construct, m: MariaDbOperatorInput): ApiObject {
  const ns = m.namespace;
  const exporter = (metric: string) => `${metric}{namespace="${ns}",job="${m.name}-metrics"}`;
  const pvc = `namespace="${ns}",persistentvolumeclaim=~"storage-${m.name}-[0-9]+"`;
  const rules: any[] = [
    {
      alert: 'MariaDBDown',
      expr: `min by (namespace) (${exporter('mysql_up')}) == 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `An instance of ${m.name} does not answer the metrics exporter` },
    },
    {
      // a missing metric (exporter not running or not scraped) would otherwise silence every alert above
      alert: 'MariaDBMetricsAbsent',
      expr: `absent(${exporter('mysql_up')})`,
      for: '15m',
      labels: { severity: 'critical' },
      annotations: { summary: `No metrics from ${m.name}: its exporter is not running or not scraped` },
    },
    {
      alert: 'MariaDBStorageAlmostFull',
      expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${pvc}} / kubelet_volume_stats_capacity_bytes{${pvc}}) > 0.85`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: { summary: `A volume of ${m.name} is more than 85% full` },
    },
  ];
  if (m.instances > 1) {
    rules.push({
      alert: 'MariaDBReplicationLagHigh',
      expr: `max by (namespace) (${exporter('mysql_slave_status_seconds_behind_master')}) > 300`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: `A replica of ${m.name} is more than 5 minutes behind the primary` },
    }, {
      alert: 'MariaDBReplicationStopped',
      expr: `min by (namespace) (${exporter('mysql_slave_status_slave_io_running')}) == 0 or min by (namespace) (${exporter('mysql_slave_status_slave_sql_running')}) == 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `Replication of a replica of ${m.name} stopped` },
    });
  }
  if (m.backup) rules.push(...cronJobBackupAlerts('MariaDB', ns, `${m.name}-backup`, m.name, m.backup.schedule));
  return renderAlertRules(scope, m.name, serviceAlertLabels('database', ns, m.name), rules);
}
