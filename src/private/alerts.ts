/**
 * What the engines' alerts share (internal module): the PrometheusRule `<name>-alerts` with the labels
 * naming the service on every rule, how old a backup may be for its schedule, and the backup alerts
 * on a backup CronJob's kube-state-metrics (the StatefulSet engines' `<name>-backup`, mariadb-operator's
 * `Backup` CronJob of the same name).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * The labels every rule of a service's PrometheusRule carries: `namespace` and `database` (a
 * ReplicatedDatabase) or `message_queue` (a MessageQueue), its name. Without them two services in one
 * namespace, or one namespace name on two clusters' Prometheus, raise alerts of identical label sets,
 * which Alertmanager takes for one alert (alertmanager provider/mem/mem.go `Put`: keyed by the labels'
 * fingerprint). Not `queue`: rabbitmq_prometheus's per-queue metrics carry that label, and a rule's
 * labels overwrite the expression's.
 */
export function serviceAlertLabels(service: 'database' | 'message_queue', namespace: string, name: string): { [key: string]: string } {
  return { namespace, [service]: name };
}

/** PrometheusRule `<name>-alerts`, group `<name>.rules`: every rule gets `labels` beside its own (`severity`). */
export function renderAlertRules(scope: Construct, name: string, labels: { [key: string]: string }, rules: any[]): ApiObject {
  return new ApiObject(scope, 'PrometheusRule', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: `${name}-alerts` },
    spec: { groups: [{ name: `${name}.rules`, rules: rules.map((r) => ({ ...r, labels: { ...r.labels, ...labels } })) }] },
  });
}

/**
 * How old the last successful backup of a 5-field cron `schedule` may be, in seconds: a little more
 * than its period (monthly 32 days, weekly 8 days, otherwise 36 hours).
 */
export function backupMaxAgeSeconds(schedule: string): number {
  const [, , dayOfMonth, , dayOfWeek] = schedule.trim().split(/\s+/);
  return dayOfMonth !== '*' ? 32 * 86400 : dayOfWeek !== '*' ? 8 * 86400 : 36 * 3600;
}

/**
 * The backup alerts of `what` on the kube-state-metrics of its backup CronJob `cronJob` in `namespace`
 * (its Jobs are `<cronJob>-<minutes>`, Kubernetes' cronjob controller `getJobName`):
 *
 * - `<prefix>LastBackupTooOld`: the last success (`kube_cronjob_status_last_successful_time`) is older
 *   than the schedule allows, or there was none and the CronJob is that old (the metric is absent until
 *   the first success).
 * - `<prefix>BackupFailed`: the newest failed run (a Job with condition Failed: `kube_job_failed`,
 *   retries exhausted) started after the last success. Not `kube_job_status_failed`: that counts failed
 *   pods, also of a Job a retry completed, and stays while the Job is kept (`failedJobsHistoryLimit`,
 *   cronjob controller `cleanupFinishedJobs`), after later successes too. The controller sets
 *   `lastSuccessfulTime` to a completed Job's `completionTime` (`syncCronJob`); with
 *   `concurrencyPolicy: Forbid` runs do not overlap, so a later run starts after it.
 * - `<prefix>BackupMetricsAbsent`: no metrics of the CronJob, which would silence both.
 */
export function cronJobBackupAlerts(prefix: string, namespace: string, cronJob: string, what: string, schedule: string): any[] {
  const maxAge = backupMaxAgeSeconds(schedule);
  const cj = `namespace="${namespace}",cronjob="${cronJob}"`;
  const jobs = `namespace="${namespace}",job_name=~"${cronJob}-[0-9]+"`;
  const lastSuccess = `max by (namespace) (kube_cronjob_status_last_successful_time{${cj}})`;
  const newestFailedStart = `max by (namespace) (kube_job_status_start_time{${jobs}} and on (namespace, job_name) (kube_job_failed{${jobs},condition="true"} == 1))`;
  return [{
    alert: `${prefix}LastBackupTooOld`,
    expr: `(time() - ${lastSuccess} > ${maxAge})`
      + ` or (time() - max by (namespace) (kube_cronjob_created{${cj}}) > ${maxAge} unless on (namespace) ${lastSuccess})`,
    for: '15m',
    labels: { severity: 'critical' },
    annotations: { summary: `No successful backup of ${what} for more than ${Math.round(maxAge / 3600)} hours` },
  }, {
    alert: `${prefix}BackupFailed`,
    // never a success: any failed run counts (0 beside the CronJob's metrics)
    expr: `${newestFailedStart} > on (namespace) (${lastSuccess} or on (namespace) 0 * max by (namespace) (kube_cronjob_created{${cj}}))`,
    for: '5m',
    labels: { severity: 'critical' },
    annotations: { summary: `The last backup of ${what} failed` },
  }, {
    alert: `${prefix}BackupMetricsAbsent`,
    expr: `absent(kube_cronjob_info{${cj}})`,
    for: '1h',
    labels: { severity: 'critical' },
    annotations: { summary: `No backup CronJob metrics for ${what}: backups cannot be watched (CronJob missing or kube-state-metrics not scraped)` },
  }];
}
