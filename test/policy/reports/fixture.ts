import { Finding } from '../../../src/policy/finding';
import { ReportInput } from '../../../src/policy/reports';
import { Severity } from '../../../src/policy/severity';

export const NASTY = 'Quote "double" & \'single\' <tag attr="x"> ]]> — ünïcödé 数据库 🐘 | *bold* `code` [link](x)';

const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'db', name: 'orders-pg' };

export const FINDINGS: readonly Finding[] = [
  {
    ruleId: 'PSS-RunAsNonRoot',
    packId: 'pod-security-restricted',
    severity: Severity.ERROR,
    message: 'Container "postgres" does not set securityContext.runAsNonRoot: true',
    resource: sts,
    constructPath: 'App/prod/OrdersDb/Resource',
    file: 'dist/prod/orders.k8s.yaml',
    line: 42,
    jsonPointer: '/spec/template/spec/containers/0/securityContext',
    environment: 'prod',
    suppressed: false,
  },
  {
    ruleId: 'PSS-RunAsNonRoot',
    packId: 'pod-security-restricted',
    severity: Severity.ERROR,
    message: 'Container "exporter" does not set securityContext.runAsNonRoot: true',
    resource: sts,
    constructPath: 'App/prod/OrdersDb/Resource',
    file: 'dist/prod/orders.k8s.yaml',
    line: 77,
    jsonPointer: '/spec/template/spec/containers/1/securityContext',
    environment: 'prod',
    suppressed: true,
    suppressionReason: 'The exporter image runs as root upstream; tracked in OPS-1234 <until 2025-12>',
  },
  {
    ruleId: 'PROD-ResourceLimits',
    packId: 'production-readiness',
    severity: Severity.WARNING,
    message: NASTY,
    resource: sts,
    constructPath: 'App/prod/OrdersDb/Resource',
    file: 'dist/prod/orders.k8s.yaml',
    line: 42,
    environment: 'prod',
    suppressed: false,
  },
  {
    ruleId: 'PROD-ImageDigest',
    packId: 'production-readiness',
    severity: Severity.INFO,
    message: 'Image "postgres:17.2" is pinned by tag, not by digest. ' + 'A digest makes rollouts reproducible. '.repeat(6),
    resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'queue', name: 'rabbitmq-operator' },
    constructPath: 'App/dev/Queue/Operator',
    file: 'dist\\dev\\queue with space\\rabbit ü.k8s.yaml',
    line: 3,
    environment: 'dev',
    suppressed: false,
  },
  {
    ruleId: 'DATA-BackupRequired',
    packId: 'data-protection',
    severity: Severity.ERROR,
    message: 'ReplicatedDatabase "orders" in prod has no backup schedule',
    constructPath: 'App/prod/OrdersDb',
    environment: 'prod',
    suppressed: false,
  },
  {
    ruleId: 'GITOPS-NoSecretData',
    packId: 'gitops-hygiene',
    severity: Severity.WARNING,
    message: 'Secret carries literal data: use an ExternalSecret',
    resource: { apiVersion: 'v1', kind: 'Secret', namespace: 'db', name: 'orders-pg-credentials' },
    constructPath: 'App/dev/OrdersDb/Credentials',
    file: 'dist/dev/orders.k8s.yaml',
    line: 10,
    environment: 'dev',
    suppressed: true,
    suppressionReason: 'Dev only: throwaway credentials for the local kind cluster',
  },
  {
    ruleId: 'GITOPS-NamespaceScoped',
    packId: 'gitops-hygiene',
    severity: Severity.ERROR,
    message: 'Cluster-scoped ClusterRole is not allowed in a tenant repository',
    resource: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'orders-reader' },
    file: 'helm/out.yaml',
    line: 1,
    suppressed: false,
  },
];

export const INPUT: ReportInput = {
  findings: FINDINGS,
  rules: [
    {
      id: 'PSS-RunAsNonRoot',
      packId: 'pod-security-restricted',
      severity: Severity.ERROR,
      description: 'Containers must run as a non-root user',
      explanation: 'Running as root widens the blast radius of a container escape.',
      fix: 'Set securityContext.runAsNonRoot: true and a non-zero runAsUser.',
      helpUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted',
    },
    {
      id: 'PSS-Privileged',
      packId: 'pod-security-restricted',
      severity: Severity.ERROR,
      description: 'Containers must not be privileged',
      explanation: 'A privileged container has full access to the host.',
    },
    {
      id: 'PROD-ResourceLimits',
      packId: 'production-readiness',
      severity: Severity.WARNING,
      description: 'Containers declare requests and limits',
      explanation: 'Without requests the scheduler cannot place pods sensibly; <limits> & "requests" matter.',
      fix: 'Set resources.requests and resources.limits.memory.',
    },
    {
      id: 'PROD-ImageDigest',
      packId: 'production-readiness',
      severity: Severity.INFO,
      description: 'Images are pinned by digest',
      explanation: 'Tags are mutable.',
    },
    {
      id: 'DATA-BackupRequired',
      packId: 'data-protection',
      severity: Severity.ERROR,
      description: 'Production databases have backups',
      explanation: 'Losing a production database without a backup is unrecoverable.',
      fix: 'Add a backup schedule to the ReplicatedDatabase.',
    },
    {
      id: 'DATA-RetainOnDelete',
      packId: 'data-protection',
      severity: Severity.WARNING,
      description: 'Volumes are retained when the database is deleted',
      explanation: 'A deleted StatefulSet must not take its data with it.',
    },
    {
      id: 'GITOPS-NoSecretData',
      packId: 'gitops-hygiene',
      severity: Severity.ERROR,
      description: 'No Secret with data in Git',
      explanation: 'Secrets in Git leak.',
    },
    {
      id: 'GITOPS-NamespaceScoped',
      packId: 'gitops-hygiene',
      severity: Severity.ERROR,
      description: 'Namespace-scoped objects only',
      explanation: 'Tenants do not own cluster-scoped objects.',
    },
  ],
  packs: [
    { id: 'production-readiness', version: '1.0.0' },
    { id: 'pod-security-restricted', version: 'v1.31' },
    { id: 'gitops-hygiene' },
    { id: 'data-protection', version: '0.3.0' },
  ],
  objectsChecked: 17,
  skippedDocuments: 2,
  notEvaluable: [
    { ruleId: 'DATA-RetainOnDelete', reason: 'Model rule: needs the ReplicatedDatabase construct, not plain YAML' },
  ],
  unusedSuppressions: [
    {
      ruleId: 'PSS-Privileged',
      constructPath: 'App/prod/Queue',
      reason: 'Legacy <broker> needs "privileged" & more',
      note: 'suppresses no finding',
    },
    {
      ruleId: 'GITOPS-NamespaceScoped',
      resource: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'legacy-admin' },
      reason: 'Owned by the platform team until the move',
    },
  ],
  toolVersion: '0.7.0',
};

/** Deterministic Fisher–Yates with a small LCG (mod 2^31), so "shuffled" tests are reproducible. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = Math.abs(Math.floor(seed)) % 2147483648;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The same input with every collection shuffled. */
export function shuffledInput(input: ReportInput, seed: number): ReportInput {
  return {
    ...input,
    findings: shuffle(input.findings, seed),
    rules: shuffle(input.rules, seed + 1),
    packs: shuffle(input.packs, seed + 2),
    notEvaluable: shuffle(input.notEvaluable ?? [], seed + 3),
    unusedSuppressions: shuffle(input.unusedSuppressions ?? [], seed + 4),
  };
}
