/**
 * Cheap generators of construct props. Every field is usually valid (so that a good share of
 * cases renders), sometimes a boundary value, and sometimes hostile: the wrong type, empty,
 * too long, upper case, unicode, a newline, NaN... what a JavaScript caller (no compiler) can pass.
 * Props are plain data (value objects are built from descriptions inside the case), so that fast-check
 * can print and shrink them, and a counterexample can be pasted into a regression test.
 */
import * as fc from 'fast-check';

/** Hostile values for any field. */
export const HOSTILE: readonly unknown[] = [
  undefined, null, '', ' ', 'UPPER', 'ü', 'a b', 'a\nb', '-a', 'a-', 'a..b', '../x', '/abs', 'a'.repeat(300), '0', '💥',
  0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, true, false, [], {}, ['x'],
];
export const hostile: fc.Arbitrary<any> = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 100 }));

/**
 * Whether the arbitraries being built are clean (every field well-formed: only combinations of
 * fields can be wrong) or dirty (any field may be hostile). Each property draws half of its cases
 * from each, so that both outcomes are common however many fields a construct has.
 */
let clean = false;

/** Builds arbitraries in clean or dirty mode. */
export function inMode<T>(mode: 'clean' | 'dirty', build: () => T): T {
  const previous = clean;
  clean = mode === 'clean';
  try {
    return build();
  } finally {
    clean = previous;
  }
}

/** Half clean cases, half dirty ones (see `inMode`). */
export function cleanAndDirty<T>(build: () => fc.Arbitrary<T>): fc.Arbitrary<T> {
  // ROBUSTNESS_MODE=clean|dirty: one of them only (to tune the generators)
  const only = process.env.ROBUSTNESS_MODE;
  if (only === 'clean' || only === 'dirty') return inMode(only, build);
  return fc.oneof(inMode('clean', build), inMode('dirty', build));
}

/** Mostly `good`, sometimes (1 in `1 + goodWeight`, never when clean) a hostile value. */
export function mostly<T>(good: fc.Arbitrary<T>, goodWeight = 12): fc.Arbitrary<T | any> {
  return clean ? good : fc.oneof({ arbitrary: good, weight: goodWeight }, { arbitrary: hostile, weight: 1 });
}

/** An optional field: absent half of the time. */
export function opt<T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(a, { nil: undefined, freq: 2 });
}

/** Usually absent: present 1 time in `1 + absentWeight`. */
export function rarely<T>(a: fc.Arbitrary<T>, absentWeight = 4): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: absentWeight }, { arbitrary: a, weight: 1 });
}

/** Optional and mostly good. */
export function field<T>(good: fc.Arbitrary<T>, goodWeight = 12): fc.Arbitrary<T | any> {
  return opt(mostly(good, goodWeight));
}

/** One of `good` (usually) or one of `bad` (near misses: 1 in `1 + goodWeight`, never when clean). */
export function pick<T>(good: readonly T[], bad: readonly T[], goodWeight = 8): fc.Arbitrary<T> {
  if (clean) return fc.constantFrom(...good);
  return fc.oneof({ arbitrary: fc.constantFrom(...good), weight: goodWeight }, { arbitrary: fc.constantFrom(...bad), weight: 1 });
}

/** `good` or (never when clean) `bad`. */
export function either<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, goodWeight = 4): fc.Arbitrary<T> {
  return clean ? good : fc.oneof({ arbitrary: good, weight: goodWeight }, { arbitrary: bad, weight: 1 });
}

export type StorageDesc =
  | { preset: 'ondat'; options: any }
  | { preset: 'portworx'; options: any }
  | { preset: 'awsEbs'; options: any }
  | { preset: 'gcePd'; options: any }
  | { preset: 'existing'; name: any; options: any };

export type SourceDesc =
  | { kind: 'externalSecret'; options: any }
  | { kind: 'sealedSecret'; options: any }
  | { kind: 'vault'; options: any }
  | { kind: 'existing'; secretName: any; options: any };

export type BackendDesc =
  | { kind: 'externalSecrets'; options: any }
  | { kind: 'vault'; options: any }
  | { kind: 'sealedSecrets' }
  | { kind: 'existingSecrets' };

export interface EnvironmentDesc {
  readonly name: any;
  readonly tier: any;
  readonly namespace?: any;
  readonly cluster?: any;
  readonly labels?: any;
  readonly kubernetesVersion?: any;
  readonly allowedRegistries?: any;
  readonly secretBackend?: BackendDesc;
  readonly storageProfile?: StorageDesc;
  readonly podSecurity?: any;
}

/**
 * The shared arbitraries, built in the current mode (clean or dirty: see `inMode`). Value objects
 * are described as plain data (built by builders.ts inside the case), so that fast-check can print
 * and shrink them and a counterexample pastes into a regression test.
 */
export function arbitraries() {
  /** DNS-1123 labels, with boundary lengths (40: the construct name limit; 63: the label limit). */
  const dnsLabel: fc.Arbitrary<string> = fc.oneof(
    { arbitrary: fc.stringMatching(/^[a-z]([-a-z0-9]{0,8}[a-z0-9])?$/), weight: 12 },
    { arbitrary: pick(['a'.repeat(40), 'a'.repeat(63), 'x-1', '1x', 'a--b'], ['a'.repeat(41), 'a'.repeat(64), 'a-', 'A']), weight: 1 },
  );
  const dnsSubdomain: fc.Arbitrary<string> = fc.oneof(
    { arbitrary: dnsLabel, weight: 4 },
    { arbitrary: fc.stringMatching(/^[a-z]{1,5}(\.[a-z0-9]{1,5}){1,2}$/), weight: 1 },
  );
  /** PostgreSQL identifiers (underscores anywhere, the 63-character limit, reserved names). */
  const pgIdentifier: fc.Arbitrary<string> = fc.oneof(
    { arbitrary: fc.stringMatching(/^[a-z]([a-z0-9_]{0,7}[a-z0-9])?$/), weight: 12 },
    { arbitrary: pick(['a'.repeat(63), 'a__b', '_app', '_1'], ['a'.repeat(64), 'postgres', 'public', 'pg_x', 'replicator', 'postgres_exporter', 'App', '_', 'app_'], 2), weight: 1 },
  );
  /** Kubernetes quantities (and near misses). */
  const quantity: fc.Arbitrary<string> = either(
    fc.oneof(
      { arbitrary: fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.constantFrom('', 'm', 'Mi', 'Gi', 'Ti', 'k', 'M', 'G')).map(([n, u]) => `${n}${u}`), weight: 8 },
      { arbitrary: fc.constantFrom('0.5', '1.5Gi', '99999999999999999999Ti', '0.001m'), weight: 1 },
    ),
    fc.constantFrom('0', '0Gi', '0.0', '-1Gi', '1e3', '10gi', '1.', '.5', '1 Gi'),
    8,
  );
  const labelMap: fc.Arbitrary<Record<string, string>> = fc.dictionary(
    either(
      fc.stringMatching(/^([a-z]{1,4}\.[a-z]{2,3}\/)?[a-zA-Z][-a-zA-Z0-9_.]{0,6}[a-zA-Z0-9]$/),
      fc.constantFrom('', '-x', 'a/b/c', 'x'.repeat(64), '💥', 'constructor', '__proto__'),
      10,
    ),
    either(fc.stringMatching(/^([a-zA-Z0-9]([-a-zA-Z0-9_.]{0,6}[a-zA-Z0-9])?)?$/), fc.constantFrom('-', 'x'.repeat(64), 'a b'), 10),
    { maxKeys: 3 },
  );
  const cron: fc.Arbitrary<string> = either(
    fc.tuple(
      fc.oneof(fc.integer({ min: 0, max: 59 }).map(String), fc.constant('*'), fc.constant('*/15')),
      fc.oneof(fc.integer({ min: 0, max: 23 }).map(String), fc.constant('*'), fc.constant('1-5')),
      fc.oneof(fc.constant('*'), fc.integer({ min: 1, max: 31 }).map(String)),
      fc.oneof(fc.constant('*'), fc.constant('1,6')),
      fc.oneof(fc.constant('*'), fc.constant('0-6'), fc.constant('7')),
    ).map((p) => p.join(' ')),
    fc.constantFrom('@daily', '0 2 * *', '60 * * * *', '0 0 0 * *', '*/0 * * * *', '5-1 * * * *', 'a b c d e', '0 2 * * * *'),
    10,
  );
  const tier = mostly(fc.constantFrom('development', 'staging', 'production'), 30);
  const k8sVersion = pick(['1.27', '1.28', '1.30', '1.33'], ['1.9', '2.0', '1.30.1', 'latest'], 10);

  const commonStorage = {
    name: mostly(dnsSubdomain),
    reclaimPolicy: field(pick(['Retain', 'Delete'], ['retain'])),
    allowVolumeExpansion: field(fc.boolean()),
    volumeBindingMode: field(pick(['WaitForFirstConsumer', 'Immediate'], ['Later'])),
    fsType: field(pick(['ext4', 'xfs', 'btrfs'], ['ntfs'])),
  };
  const storageProfile: fc.Arbitrary<StorageDesc> = fc.oneof(
    fc.record({
      preset: fc.constant('ondat' as const),
      options: fc.record({
        ...commonStorage,
        replicas: field(either(fc.integer({ min: 0, max: 5 }), fc.constantFrom(-1, 6, 1.5))),
        encryption: field(fc.boolean()),
        compression: field(fc.boolean()),
        topologyAware: field(fc.boolean()),
        apiSecret: field(either(
          fc.oneof(fc.constant('storageos/storageos-api'), fc.tuple(dnsLabel, dnsLabel).map(([a, b]) => `${a}/${b}`)),
          fc.constantFrom('a/b/c', '/b', 'a/'),
        )),
      }, { requiredKeys: ['name'] }),
    }),
    fc.record({
      preset: fc.constant('portworx' as const),
      options: fc.record({
        ...commonStorage,
        replicas: field(either(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 4))),
        encryption: field(fc.boolean()),
        ioProfile: field(fc.constantFrom('db_remote', 'db', 'auto', 'sequential')),
        priorityIo: field(pick(['high', 'medium', 'low'], ['urgent'])),
      }, { requiredKeys: ['name'] }),
    }),
    fc.record({
      preset: fc.constant('awsEbs' as const),
      options: fc.record({
        ...commonStorage,
        volumeType: field(pick(['gp3', 'gp2', 'io1', 'io2', 'st1', 'sc1'], ['standard'])),
        encryption: field(fc.boolean()),
        kmsKeyId: field(fc.constantFrom('arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'alias/x')),
        iops: field(either(fc.integer({ min: 100, max: 256000 }), fc.constantFrom(99, 256001))),
        throughput: field(either(fc.integer({ min: 125, max: 2000 }), fc.constantFrom(124, 2001))),
      }, { requiredKeys: ['name'] }),
    }),
    fc.record({
      preset: fc.constant('gcePd' as const),
      options: fc.record({
        ...commonStorage,
        diskType: field(pick(['pd-ssd', 'pd-balanced', 'pd-standard', 'pd-extreme', 'hyperdisk-balanced'], ['pd-fast'])),
        regional: field(fc.boolean()),
        kmsKey: field(fc.constant('projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k')),
      }, { requiredKeys: ['name'] }),
    }),
    fc.record({
      preset: fc.constant('existing' as const),
      name: mostly(dnsSubdomain),
      options: fc.record({
        encrypted: field(fc.boolean()),
        replicas: field(either(fc.integer({ min: 1, max: 16 }), fc.constantFrom(0, 17))),
        allowVolumeExpansion: field(fc.boolean()),
        reclaimPolicy: field(pick(['Retain', 'Delete'], ['retain'])),
      }, { requiredKeys: [] }),
    }),
  );

  // "constructor" and "__proto__": valid Kubernetes keys that cdk8s cannot render as object keys
  const secretKey = either(fc.stringMatching(/^[-._a-zA-Z0-9]{1,12}$/), fc.constantFrom('', 'a b', 'a/b', 'constructor', '__proto__'), 10);
  const secretSource: fc.Arbitrary<SourceDesc> = fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('externalSecret' as const),
        options: fc.record({
          store: mostly(dnsSubdomain),
          storeKind: field(pick(['SecretStore', 'ClusterSecretStore'], ['Vault'])),
          remoteKey: mostly(fc.constantFrom('orders/db', 'x', 'a/b/c', 'secret/data/orders')),
          properties: field(fc.dictionary(secretKey, mostly(fc.constantFrom('password', 'user', 'key')), { maxKeys: 3 })),
          refreshInterval: field(pick(['1h', '15m', '30s', '1h30m', '0s', '1.5h'], ['1d', '5'])),
          secretName: field(dnsSubdomain),
        }, { requiredKeys: ['store', 'remoteKey'] }),
      }),
      weight: 4,
    },
    { arbitrary: fc.record({ kind: fc.constant('sealedSecret' as const), options: fc.record({ secretName: mostly(dnsSubdomain) }) }), weight: 2 },
    fc.record({
      kind: fc.constant('vault' as const),
      options: fc.record({
        role: mostly(fc.constantFrom('orders', 'db-reader')),
        path: pick(['secret/data/orders/db', 'kv/x'], ['secret/../x', '/secret/x', 'a b']),
      }),
    }),
    {
      arbitrary: fc.record({
        kind: fc.constant('existing' as const),
        secretName: mostly(dnsSubdomain),
        options: fc.record({
          keys: field(fc.array(secretKey, { maxLength: 3 })),
        }, { requiredKeys: [] }),
      }),
      weight: 2,
    },
  );

  const secretBackend: fc.Arbitrary<BackendDesc> = fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('externalSecrets' as const),
        options: fc.record({
          store: mostly(dnsSubdomain),
          storeKind: field(pick(['SecretStore', 'ClusterSecretStore'], ['Vault'])),
          keyPrefix: field(pick(['orders', 'cdk8s-stateful/', 'a/b'], ['///'])),
        }, { requiredKeys: ['store'] }),
      }),
      weight: 3,
    },
    fc.record({
      kind: fc.constant('vault' as const),
      options: fc.record({
        role: mostly(fc.constantFrom('orders', 'x')),
        pathPrefix: field(fc.constantFrom('secret/data', 'kv/', 'secret/data/')),
      }, { requiredKeys: ['role'] }),
    }),
    { arbitrary: fc.constant({ kind: 'sealedSecrets' as const }), weight: 2 },
    { arbitrary: fc.constant({ kind: 'existingSecrets' as const }), weight: 2 },
  );

  const environmentProps: fc.Arbitrary<EnvironmentDesc> = fc.record({
    name: mostly(dnsLabel, 40),
    tier,
    namespace: field(dnsLabel, 40),
    cluster: field(dnsSubdomain, 40),
    labels: field(labelMap, 40),
    kubernetesVersion: field(k8sVersion, 40),
    allowedRegistries: field(either(
      fc.array(fc.constantFrom('ghcr.io/acme', 'docker.io/library', 'quay.io', 'localhost:5000/x'), { minLength: 1, maxLength: 3 }) as fc.Arbitrary<string[]>,
      fc.constantFrom<string[]>([], ['Bad Registry'], ['ghcr.io/', 'quay.io'])), 40),
    secretBackend: opt(secretBackend),
    storageProfile: opt(storageProfile),
    podSecurity: field(pick(['restricted', 'baseline', 'privileged'], ['strict']), 40),
  }, { requiredKeys: ['name', 'tier'] });

  /** Clients admitted by NetworkPolicies. */
  const client = fc.record({
    labels: mostly(either(labelMap.filter((l) => Object.keys(l).length > 0), fc.constant({})), 20),
    namespace: field(dnsLabel, 20),
  });

  const names = { dnsLabel, dnsSubdomain, pgIdentifier, secretKey };
  const values = { quantity, labelMap, cron, tier, k8sVersion };
  const objects = { storageProfile, secretSource, secretBackend, environmentProps, client };
  return { ...names, ...values, ...objects };
}

export type Arbitraries = ReturnType<typeof arbitraries>;
