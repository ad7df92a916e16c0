/* eslint-disable @stylistic/max-len */ // status fixtures read better on one line
import { fluxHealthCheckExprs, isDataBearing, resourceOf } from '../../src/gitops/data-objects';
import { compileCel, runCel, toCel } from '../../src/policy/cel/environment';

/**
 * Flux evaluates `healthCheckExprs` with the object's top-level fields as variables (`status`, `spec`,
 * `metadata`: fluxcd/pkg runtime/cel StatusEvaluator). An expression that errors (no `status` yet) leaves
 * the object in progress; only `true` makes it current. The statuses below are the ones the operators
 * write (CloudNativePG `Ready` condition and phases, RabbitMQ ClusterAvailable / AllReplicasReady,
 * Strimzi `Ready`, External Secrets `Ready`).
 */
function evaluate(expr: string, obj: any): boolean | 'error' {
  // before any expression: an object whose status.observedGeneration is behind metadata.generation is in progress
  const observed = obj.status?.observedGeneration;
  if (typeof observed === 'number' && typeof obj.metadata?.generation === 'number' && observed !== obj.metadata.generation) return false;
  const fields: Record<string, unknown> = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata ?? {}, spec: obj.spec ?? {}, ...(obj.status ? { status: obj.status } : {}) };
  const activation = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, toCel(v)]));
  const result = runCel(compileCel(expr), activation);
  if (result.kind !== 'value') return 'error';
  return result.value === true;
}

const cond = (type: string, status: string, reason?: string) => ({ type, status, ...(reason ? { reason } : {}) });

describe('Flux health check expressions read the operators\' status', () => {
  const cases: Array<[string, any, any, boolean]> = [
    ['CloudNativePG Cluster, healthy', { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' }, { phase: 'Cluster in healthy state', conditions: [cond('Ready', 'True')] }, true],
    ['CloudNativePG Cluster, initdb running', { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' }, { phase: 'Setting up primary', conditions: [cond('Ready', 'False')] }, false],
    ['CloudNativePG Cluster, no condition yet', { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' }, { phase: 'Setting up primary' }, false],
    ['RabbitmqCluster, formed', { apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster' }, { conditions: [cond('AllReplicasReady', 'True'), cond('ClusterAvailable', 'True'), cond('ReconcileSuccess', 'True')] }, true],
    ['RabbitmqCluster, a scale-down refused (the brokers it keeps are available)', { apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster' },
      { conditions: [cond('AllReplicasReady', 'True'), cond('ClusterAvailable', 'True'), cond('ReconcileSuccess', 'False', 'UnsupportedOperation')] }, false],
    ['RabbitmqCluster, replicas starting', { apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster' }, { conditions: [cond('AllReplicasReady', 'False'), cond('ClusterAvailable', 'True')] }, false],
    ['RabbitMQ Queue, declared', { apiVersion: 'rabbitmq.com/v1beta1', kind: 'Queue' }, { conditions: [cond('Ready', 'True', 'SuccessfulCreateOrUpdate')] }, true],
    ['Strimzi Kafka, ready', { apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka' }, { conditions: [cond('Ready', 'True')] }, true],
    ['Strimzi Kafka, creating', { apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka' }, { conditions: [cond('NotReady', 'True', 'Creating')] }, false],
    ['Strimzi KafkaTopic, ready', { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic' }, { conditions: [cond('Ready', 'True')] }, true],
    ['Strimzi KafkaNodePool, every node id assigned', { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaNodePool', spec: { replicas: 3 } }, { nodeIds: [0, 1, 2], replicas: 3 }, true],
    ['Strimzi KafkaNodePool, scaling up', { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaNodePool', spec: { replicas: 3 } }, { nodeIds: [0, 1] }, false],
    ['mariadb-operator MariaDB, ready', { apiVersion: 'k8s.mariadb.com/v1alpha1', kind: 'MariaDB' }, { conditions: [cond('Ready', 'True', 'StatefulSetReady')] }, true],
    ['mariadb-operator MariaDB, restored from its bootstrap backup', { apiVersion: 'k8s.mariadb.com/v1alpha1', kind: 'MariaDB' },
      { conditions: [cond('Ready', 'True', 'StatefulSetReady'), cond('BackupRestored', 'True', 'RestoreComplete')] }, true],
    // reconcileStatus set Ready before reconcileRestore started the Restore, and leaves it while restoring (mariadb_controller_status.go)
    ['mariadb-operator MariaDB, restoring its bootstrap backup (Ready still True)', { apiVersion: 'k8s.mariadb.com/v1alpha1', kind: 'MariaDB' },
      { conditions: [cond('Ready', 'True', 'StatefulSetReady'), cond('BackupRestored', 'False', 'RestoreNotComplete')] }, false],
    ['ExternalSecret, synced', { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret' }, { conditions: [cond('Ready', 'True', 'SecretSynced')] }, true],
    ['ExternalSecret, store unreachable', { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret' }, { conditions: [cond('Ready', 'False', 'SecretSyncedError')] }, false],
  ];

  test.each(cases)('%s', (_name, obj, status, current) => {
    const [entry] = fluxHealthCheckExprs([obj]);
    expect(entry).toMatchObject({ apiVersion: obj.apiVersion, kind: obj.kind });
    expect(evaluate(entry.current, { ...obj, status })).toBe(current);
  });

  test('before the operator writes a status, no expression reports the object current', () => {
    for (const [, obj] of cases) {
      const [entry] = fluxHealthCheckExprs([obj]);
      expect({ kind: obj.kind, result: evaluate(entry.current, obj) }).not.toEqual({ kind: obj.kind, result: true });
    }
  });

  test('a CloudNativePG Cluster that needs a person fails the layer; one that is still starting does not', () => {
    const [entry] = fluxHealthCheckExprs([{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' }]);
    expect(evaluate(entry.failed!, { status: { phase: 'Cluster is unrecoverable and needs manual intervention', conditions: [cond('Ready', 'False')] } })).toBe(true);
    expect(evaluate(entry.failed!, { status: { phase: 'Setting up primary', conditions: [cond('Ready', 'False')] } })).toBe(false);
  });

  // "Cluster Scale down not supported": ReconcileSuccess False, and status.observedGeneration (written only after a successful
  // reconcile) stays behind; either keeps the layer from turning Ready (a `failed` expression would never be read)
  test('a RabbitmqCluster whose scale-down the operator refuses never turns current', () => {
    const [entry] = fluxHealthCheckExprs([{ apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster' }]);
    expect(entry.failed).toBeUndefined();
    const conditions = (reconciled: string) => [cond('AllReplicasReady', 'True'), cond('ClusterAvailable', 'True'), cond('ReconcileSuccess', reconciled, 'UnsupportedOperation')];
    expect(evaluate(entry.current, { metadata: { generation: 4 }, status: { observedGeneration: 3, conditions: conditions('False') } })).toBe(false);
    // an operator that writes no observedGeneration: the condition alone
    expect(evaluate(entry.current, { metadata: { generation: 4 }, status: { conditions: conditions('False') } })).toBe(false);
    expect(evaluate(entry.current, { metadata: { generation: 4 }, status: { observedGeneration: 4, conditions: conditions('True') } })).toBe(true);
  });

  test('one entry per kind, sorted; kinds kstatus reads itself (and unknown ones) get none', () => {
    const exprs = fluxHealthCheckExprs([
      { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic' }, { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic' },
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' }, { apiVersion: 'apps/v1', kind: 'StatefulSet' }, { apiVersion: 'v1', kind: 'ConfigMap' },
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster' },
    ]);
    expect(exprs.map((e) => `${e.apiVersion} ${e.kind}`)).toEqual(['kafka.strimzi.io/v1 KafkaTopic', 'postgresql.cnpg.io/v1 Cluster']);
  });
});

describe('data-bearing objects: one predicate for Flux, Argo CD and change safety', () => {
  test.each<[string, any, boolean]>([
    ['CloudNativePG Cluster', { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' }, true],
    ['a Cluster API Cluster', { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster' }, false],
    ['RabbitmqCluster', { apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster' }, true],
    ['RabbitMQ Queue', { apiVersion: 'rabbitmq.com/v1beta1', kind: 'Queue' }, true],
    ['Strimzi KafkaNodePool', { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaNodePool' }, true],
    ['StatefulSet with volume claims', { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { volumeClaimTemplates: [{}] } }, true],
    ['StatefulSet without', { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: {} }, false],
    ['PersistentVolumeClaim', { apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, true],
    ['ExternalSecret', { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret' }, false],
  ])('%s', (_name, manifest, expected) => {
    expect(isDataBearing(manifest)).toBe(expected);
  });

  test('RBAC resource names of the kinds rendered', () => {
    expect(['Policy', 'NetworkPolicy', 'Kafka', 'MariaDB', 'Ingress', 'ConfigMap', 'KafkaNodePool'].map(resourceOf))
      .toEqual(['policies', 'networkpolicies', 'kafkas', 'mariadbs', 'ingresses', 'configmaps', 'kafkanodepools']);
  });
});
