import { loginUsersOfStatefulSet } from '../../../private/engine-facts';
import { KindFacts, containerImageVersion, selectsLabels } from '../../../private/kind-facts';

/**
 * What the pipeline knows about the StatefulSet engine's objects beyond the core kinds (data-bearing
 * StatefulSet, storage, replicas, immutable fields: `private/kind-registry.ts`): the RabbitMQ version
 * is the tag of its `rabbitmq` container's image.
 */
export const RABBITMQ_STATEFULSET_FACTS: readonly KindFacts[] = [
  {
    group: 'apps',
    kind: 'StatefulSet',
    matches: (m) => selectsLabels(m, { 'app.kubernetes.io/name': 'rabbitmq' }),
    version: (m) => containerImageVersion(m, 'rabbitmq'),
    // the login and retired users the engine lists on it, in older output the users whose password the pods mount
    // (the definitions import never deletes a user)
    loginUsers: loginUsersOfStatefulSet('MessageQueue'),
  },
];
