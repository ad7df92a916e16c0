import { describeWithCrds, sharedValidator } from '../util/crds';

const labels = { 'app.kubernetes.io/name': 'pg' };

function objects(i: number): any[] {
  const meta = { name: `pg-${i}`, namespace: `ns-${i % 50}`, labels };
  return [
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: meta,
      spec: {
        instances: 3,
        imageName: 'ghcr.io/cloudnative-pg/postgresql:17.2',
        storage: { size: '10Gi', storageClass: 'fast' },
        postgresql: { parameters: { max_connections: '200' }, synchronous: { method: 'any', number: 1 } },
        bootstrap: { initdb: { database: 'app', owner: 'app' } },
        resources: { requests: { cpu: '1', memory: '2Gi' } },
        affinity: { topologyKey: 'topology.kubernetes.io/zone' },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta,
      spec: {
        serviceName: `pg-${i}`,
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{
              name: 'postgres',
              image: 'postgres:17.2',
              ports: [{ name: 'postgres', containerPort: 5432 }],
              resources: { requests: { cpu: '500m', memory: '1Gi' } },
              readinessProbe: { tcpSocket: { port: 'postgres' } },
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
            }],
            volumes: [{ name: 'run', emptyDir: {} }],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta,
      spec: { selector: labels, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { ...meta, labels: { 'strimzi.io/cluster': 'kafka' } },
      spec: { partitions: 3, replicas: 3, config: { 'min.insync.replicas': 2 } },
    },
  ];
}

// Timing lives in bench/ (never asserted in tests); this checks the bulk path is correct.
describeWithCrds('SchemaValidator: bulk validation', () => {
  test('10,000 valid objects (CNPG Cluster, StatefulSet, Service, KafkaTopic) give no issue; a broken one among them is found', () => {
    const v = sharedValidator();
    const all: any[] = [];
    for (let i = 0; i < 2500; i++) all.push(...objects(i));
    let issues = 0;
    for (const o of all) issues += v.validate(o).length;
    expect(issues).toBe(0);
    const broken = objects(7)[1];
    broken.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    expect(v.validate(broken)).toEqual([{ path: '/spec/template/spec/containers/0', message: 'unknown field "imagePullPolcy"', kind: 'unknown-field' }]);
  });
});
