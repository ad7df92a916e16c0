import { CLOUDNATIVE_PG_FACTS } from './cloudnative-pg/facts';
import { MARIADB_OPERATOR_FACTS } from './mariadb-operator/facts';
import { MARIADB_STATEFULSET_FACTS } from './mariadb-statefulset/facts';
import { POSTGRES_STATEFULSET_FACTS } from './postgres-statefulset/facts';
import { KindFacts } from '../../private/kind-facts';

/**
 * What the pipeline knows about the kinds the database engines render, one line per engine (its
 * folder's `facts.ts`): adding an engine adds a line. Read through `private/kind-registry.ts`.
 */
export const DATABASE_ENGINE_FACTS: readonly KindFacts[] = [
  ...CLOUDNATIVE_PG_FACTS,
  ...POSTGRES_STATEFULSET_FACTS,
  ...MARIADB_OPERATOR_FACTS,
  ...MARIADB_STATEFULSET_FACTS,
];
