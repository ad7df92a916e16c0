// The README's "With plain `cdk8s synth`" app: a plain cdk8s App checked by the validation plugin.
// CONSUMER_VIOLATION=1 makes the change the plugin must refuse (one replica in production).
import { App, Chart } from 'cdk8s';
import { IntOrString, KubeDeployment, KubeNetworkPolicy, KubePodDisruptionBudget, Quantity } from 'cdk8s-plus-28/lib/imports/k8s';

const app = new App();
const chart = new Chart(app, 'shop', { namespace: 'shop' });
const labels = { app: 'web' };

new KubeDeployment(chart, 'web', {
  metadata: { name: 'web' },
  spec: {
    replicas: process.env.CONSUMER_VIOLATION ? 1 : 2,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels } }],
        containers: [{
          name: 'web',
          image: 'ghcr.io/acme/web:1.0.0',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          resources: { requests: { cpu: Quantity.fromString('100m'), memory: Quantity.fromString('64Mi') }, limits: { memory: Quantity.fromString('128Mi') } },
          readinessProbe: { httpGet: { path: '/', port: IntOrString.fromNumber(8080) } },
          livenessProbe: { httpGet: { path: '/', port: IntOrString.fromNumber(8080) } },
        }],
      },
    },
  },
});
new KubePodDisruptionBudget(chart, 'web-pdb', { metadata: { name: 'web-pdb' }, spec: { maxUnavailable: IntOrString.fromNumber(1), selector: { matchLabels: labels } } });
new KubeNetworkPolicy(chart, 'web-np', { metadata: { name: 'web-np' }, spec: { podSelector: { matchLabels: labels } } });

app.synth();
