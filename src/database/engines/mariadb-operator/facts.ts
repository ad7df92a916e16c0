import { KindFacts, conditionTrue } from '../../../private/kind-facts';

/**
 * What the pipeline knows about the mariadb-operator kinds (health: the `Ready` condition). The
 * mariadb-operator engine extends this list with the kinds it renders.
 */
export const MARIADB_OPERATOR_FACTS: readonly KindFacts[] = [
  { group: 'k8s.mariadb.com', kind: 'MariaDB', dataBearing: true, fluxReady: conditionTrue('Ready') },
];
