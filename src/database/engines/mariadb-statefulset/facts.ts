import { loginUsersOfStatefulSet } from '../../../private/engine-facts';
import { KindFacts, containerImageVersion, selectsLabels } from '../../../private/kind-facts';

/**
 * What the pipeline knows about the MariaDB StatefulSet engine's objects beyond the core kinds
 * (data-bearing StatefulSet, storage, replicas, immutable fields: `private/kind-registry.ts`): the
 * MariaDB version is the tag of its `mariadb` container's image.
 */
export const MARIADB_STATEFULSET_FACTS: readonly KindFacts[] = [
  {
    group: 'apps',
    kind: 'StatefulSet',
    matches: (m) => selectsLabels(m, { 'app.kubernetes.io/name': 'mariadb' }),
    // a major release is MAJOR.MINOR (10.6, 10.11, 11.4, 11.8), as the official image's entrypoint reads it
    // (docker-entrypoint.sh `_check_if_upgrade_is_needed`), and as this engine's entrypoint.sh decides to run mariadb-upgrade
    version: (m) => {
      const field = containerImageVersion(m, 'mariadb');
      return field && { ...field, majorParts: 2 };
    },
    // the login and retired users the engine lists on it, in older output the users whose password the pods mount
    // (roles it is no longer told about are kept)
    loginUsers: loginUsersOfStatefulSet('ReplicatedDatabase'),
  },
];
