/** The generator and builder of ReplicatedDatabase cases (property tests, secret-leak checks). */
import * as fc from 'fast-check';
import { arbitraries, cleanAndDirty, either, field, mostly, opt, pick, rarely } from './arbitraries';
import { buildClient, buildStorage, chartIn, plainEnvironment, sourceOrRaw } from './builders';
import { DatabaseEngine, ReplicatedDatabase } from '../../src';

export const databaseCase = (engine: 'cnpg' | 'sts') => cleanAndDirty(() => {
  const { client, cron, dnsLabel, pgIdentifier, quantity, secretBackend, secretSource, storageProfile, tier } = arbitraries();
  const destination = fc.record({
    destinationPath: pick(['s3://acme-backups/orders', 's3://b-1.example/x/y/'], ['gs://x/y', 's3://a', 's3://acme/a b']),
    endpointUrl: field(pick(['https://minio.example:9000', 'http://s3.local'], ['ftp://x', 'https://a b'])),
    credentials: mostly(secretSource, 12),
  }, { requiredKeys: ['destinationPath', 'credentials'] });

  const access = mostly(fc.constantFrom('owner', 'read-write', 'read-only'), 30);

  return fc.record({
    tier,
    backend: opt(secretBackend),
    envStorage: opt(storageProfile),
    engine: fc.record({
      version: pick(['13.16', '14.13', '15.8', '16.4', '17.2', '18.0'], ['16', 'latest', '12.1', '16.4.1'], 30),
      imageRepository: field(pick(['ghcr.io/acme/postgres', 'registry.local:5000/pg'], ['Bad/Repo', 'ghcr.io/x:1.0'])),
      ...(engine === 'cnpg' ? {
        operatorNamespace: field(dnsLabel),
        barmanPluginName: field(pick(['barman-cloud.cloudnative-pg.io'], ['Bad Plugin', 'my.plugin'])),
      } : {}),
    }, { requiredKeys: ['version'] }),
    props: fc.record({
      name: field(dnsLabel, 20),
      instances: field(either(fc.integer({ min: 1, max: 9 }), fc.constantFrom(0, 10))),
      synchronousReplicas: rarely(fc.integer({ min: 0, max: 3 })),
      storageSize: field(quantity),
      storageProfile: opt(storageProfile),
      resources: opt(fc.record({ cpu: field(quantity), memory: field(quantity) }, { requiredKeys: [] })),
      databaseName: rarely(mostly(pgIdentifier)),
      ownerName: rarely(mostly(pgIdentifier)),
      ownerPassword: field(secretSource, 12),
      backup: opt(fc.record({ schedule: cron, retentionDays: field(either(fc.integer({ min: 1, max: 3650 }), fc.constantFrom(0, 3651))), destination }, { requiredKeys: ['schedule', 'destination'] })),
      pointInTimeRecovery: rarely(mostly(fc.boolean()), engine === 'sts' ? 12 : 4),
      recovery: rarely(fc.record({
        source: destination,
        serverName: mostly(dnsLabel),
        targetTime: field(pick(['2026-11-20T08:00:00Z', '2026-11-20T08:00:00+02:00'], ['2026-13-45T00:00:00Z', 'yesterday'])),
      }, { requiredKeys: ['source', 'serverName'] })),
      pooler: rarely(fc.record({ instances: field(either(fc.integer({ min: 1, max: 20 }), fc.constantFrom(0, 21))), poolMode: field(pick(['transaction', 'session'], ['statement'])) }, { requiredKeys: [] }), engine === 'sts' ? 12 : 3),
      monitoring: field(fc.boolean()),
      spreadAcrossZones: field(fc.boolean()),
      podDisruptionBudget: field(fc.boolean()),
      migration: rarely(fc.record({
        image: pick(['ghcr.io/acme/migrate:1.2.3', 'ghcr.io/acme/migrate@sha256:' + 'a'.repeat(64)], ['migrate:latest', 'migrate']),
        command: mostly(fc.array(fc.constantFrom('migrate', 'up', '--verbose'), { minLength: 1, maxLength: 3 })),
      })),
      allowFrom: opt(fc.array(client, { maxLength: 2 })),
    }, { requiredKeys: [] }),
    // mutators after construction
    databases: fc.uniqueArray(fc.record({
      name: fc.oneof({ arbitrary: fc.constantFrom('sales', 'reports'), weight: 12 }, fc.constant('app'), pgIdentifier),
      owner: opt(pick(['app'], ['reader', 'nobody'])),
    }, { requiredKeys: ['name'] }), { maxLength: 2, selector: (d) => d.name }),
    users: fc.uniqueArray(fc.record({
      name: fc.oneof({ arbitrary: fc.constantFrom('reader', 'writer'), weight: 8 }, fc.constant('app'), pgIdentifier),
      password: field(secretSource, 12),
      connectionLimit: field(either(fc.integer({ min: -1, max: 100000 }), fc.constantFrom(-2, 100001))),
      grants: opt(fc.uniqueArray(fc.record({ database: pick(['app'], ['sales']), access }), { maxLength: 1, selector: (g) => g.database })),
    }, { requiredKeys: ['name'] }), { maxLength: 2, selector: (u) => u.name }),
    grants: rarely(fc.array(fc.record({ user: pick(['reader'], ['nobody']), database: pick(['sales', 'reports'], ['nowhere']), access }), { minLength: 1, maxLength: 1 }), 3),
    clients: fc.array(client, { maxLength: 1 }),
  });
});

export type DatabaseCase = ReturnType<typeof databaseCase> extends fc.Arbitrary<infer T> ? T : never;

export function buildDatabase(app: any, c: DatabaseCase, engine: 'cnpg' | 'sts'): ReplicatedDatabase {
  const env = plainEnvironment(c.tier, { secretBackend: c.backend, storageProfile: c.envStorage } as any);
  const chart = chartIn(app, env);
  const p = c.props as any;
  const dest = (d: any) => d && { ...d, credentials: sourceOrRaw(d.credentials) };
  const db = new ReplicatedDatabase(chart, 'Db', {
    ...p,
    engine: engine === 'cnpg' ? DatabaseEngine.cloudNativePg(c.engine as any) : DatabaseEngine.postgresStatefulSet(c.engine as any),
    storageProfile: p.storageProfile && buildStorage(p.storageProfile),
    ownerPassword: sourceOrRaw(p.ownerPassword),
    backup: p.backup && { ...p.backup, destination: dest(p.backup.destination) },
    recovery: p.recovery && { ...p.recovery, source: dest(p.recovery.source) },
    allowFrom: p.allowFrom?.map(buildClient),
  });
  for (const d of c.databases) db.addDatabase(d.name, { owner: d.owner });
  for (const u of c.users) db.addUser(u.name, { ...u, password: sourceOrRaw(u.password) } as any);
  for (const g of c.grants ?? []) db.grant(g.user, g.database, g.access as any);
  for (const cl of c.clients) db.allowFrom(buildClient(cl));
  return db;
}

