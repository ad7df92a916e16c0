// the L1 classes as `cdk8s import k8s` writes them (imports/k8s.ts): the cdk8s-plus-28 index would
// also load its L2 constructs (~30 modules), which this app does not use, at every synthesis
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { DatabaseConnection, Environment, SecretSource } from '../../src';

export interface OrdersApiProps {
  /** Image, pinned by tag. */
  readonly image: string;
  /** Secret with the API's third-party credentials. */
  readonly credentials?: SecretSource;
  /** The orders database, through its engine-independent connection contract. */
  readonly database?: DatabaseConnection;
}

/**
 * The "orders" HTTP API of the reference platform: a hardened Deployment (Pod Security
 * `restricted`), its Service, ServiceAccount, credentials from the environment's secret backend,
 * a NetworkPolicy and, in production, a PodDisruptionBudget.
 *
 * It is an application construct written by a platform team with plain cdk8s L1 classes, which is
 * what the databases and queues of this library sit next to.
 */
export class OrdersApi extends Construct {
  /** Labels of the API's pods (databases admit them with DatabaseClient.fromLabels). */
  public static readonly podLabels = { 'app.kubernetes.io/name': 'orders-api', 'app.kubernetes.io/component': 'api' };

  public constructor(scope: Construct, id: string, props: OrdersApiProps) {
    super(scope, id);
    const env = Environment.of(this);
    const name = 'orders-api';
    const labels = OrdersApi.podLabels;
    const replicas = env.selectNumber({ development: 1, staging: 2, production: 3 });

    const credentials = (props.credentials ?? env.secretBackend.sourceFor(env.name, 'orders-api-credentials'))
      .bind(this, { name: 'orders-api-credentials', keys: ['payment-api-token'] });

    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name },
      automountServiceAccountToken: false,
    });

    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name, labels },
      spec: {
        replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: credentials.podAnnotations },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              runAsGroup: 10001,
              fsGroup: 10001,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            topologySpreadConstraints: replicas > 1 ? [{
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: labels },
            }] : undefined,
            containers: [{
              name: 'api',
              image: props.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: [
                ...(credentials.secretName ? [{
                  name: 'PAYMENT_API_TOKEN',
                  valueFrom: { secretKeyRef: { name: credentials.secretName, key: 'payment-api-token' } },
                }] : []),
                ...(props.database ? [
                  { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: props.database.secretName, key: props.database.uriKey } } },
                  { name: 'DATABASE_READ_ONLY_HOST', value: props.database.readOnlyHost },
                ] : []),
              ],
              resources: {
                requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
                limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('256Mi') },
              },
              readinessProbe: { httpGet: { path: '/ready', port: k8s.IntOrString.fromString('http') }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/health', port: k8s.IntOrString.fromString('http') }, periodSeconds: 10 },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            }],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: { name, labels },
      spec: {
        selector: labels,
        ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
      },
    });

    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress'],
        ingress: [{
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } }],
          ports: [{ port: k8s.IntOrString.fromNumber(8080), protocol: 'TCP' }],
        }],
      },
    });

    if (replicas > 1) {
      new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: { name },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
      });
    }
  }
}
