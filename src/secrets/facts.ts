import { KindFacts, conditionTrue } from '../private/kind-facts';

/** What the pipeline knows about the External Secrets kinds secret sources render. */
export const SECRET_FACTS: readonly KindFacts[] = [
  {
    group: 'external-secrets.io',
    kind: 'ExternalSecret',
    // `Ready` once the target Secret is written
    fluxReady: conditionTrue('Ready'),
    // the target Secret
    operatorCreatedLabels: [{ label: 'reconcile.external-secrets.io/created-by' }],
  },
];
