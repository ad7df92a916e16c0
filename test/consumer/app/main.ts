// The README's "Use it in your own project" app: a GitOpsApp with one production environment and a
// database. CONSUMER_VIOLATION=1 makes the change the policies must refuse (no backup in production).
import {
  AspectPriority, Aspects, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, PolicyPacks, ReplicatedDatabase,
  SecretBackend, SecretSource, StorageProfile, Tier,
} from 'cdk8s-stateful';

// cdk8s synth sets CDK8S_OUTDIR (cdk8s.yaml's `output`); run directly, the app writes to gitops/
const app = new GitOpsApp({ outdir: process.env.CDK8S_OUTDIR ?? 'gitops' });
for (const pack of PolicyPacks.all()) {
  Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
}

const prod = new Environment({
  name: 'prod',
  tier: Tier.PRODUCTION,
  namespace: 'orders',
  cluster: 'prod-eu-west',
  secretBackend: SecretBackend.externalSecrets({ store: 'platform-vault' }),
  storageProfile: StorageProfile.awsEbs({ name: 'ebs-encrypted', encryption: true }),
});

const chart = new EnvironmentChart(app, 'orders-prod', { environment: prod });

new ReplicatedDatabase(chart, 'OrdersDb', {
  name: 'orders-db',
  engine: DatabaseEngine.cloudNativePg({ version: '16.4' }),
  databaseName: 'orders',
  ownerName: 'orders',
  storageSize: '100Gi',
  backup: process.env.CONSUMER_VIOLATION ? undefined : {
    schedule: '15 2 * * *',
    retentionDays: 30,
    destination: {
      destinationPath: 's3://acme-backups/orders',
      credentials: SecretSource.externalSecret({ store: 'platform-vault', remoteKey: 'orders/backup-s3' }),
    },
  },
});

app.synth();
