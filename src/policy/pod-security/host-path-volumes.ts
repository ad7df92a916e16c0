import { asArray, asObject, defineCheck, isSet, NormalizedPod } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Baseline `hostPathVolumes` (1.0+): hostPath volumes are forbidden.
 *
 * Restricted field: `spec.volumes[*].hostPath`; allowed: undefined. At the restricted level it is replaced by
 * `restrictedVolumes`.
 */
export const HOST_PATH_VOLUMES = defineCheck({
  id: 'PSS-HostPathVolumes',
  upstreamId: 'hostPathVolumes',
  level: 'baseline',
  title: 'HostPath Volumes',
  description: 'Pods must not mount hostPath volumes (spec.volumes[*].hostPath).',
  explanation: 'A hostPath volume exposes the node\'s filesystem to the pod (container runtime sockets, kubelet credentials, '
    + 'other pods\' data) and is a classic container escape path.',
  fix: 'Replace the hostPath volume with a persistentVolumeClaim, emptyDir, configMap, secret or projected volume.',
  behaviours: [{ since: 0, check: hostPathVolumes }],
});

function hostPathVolumes(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  asArray(pod.spec.volumes).forEach((raw, index) => {
    const volume = asObject(raw);
    if (isSet(volume.hostPath)) {
      violations.push({
        message: `volume ${JSON.stringify(volume.name ?? `#${index}`)} must not use hostPath`
          + (typeof volume.hostPath?.path === 'string' ? ` (${JSON.stringify(volume.hostPath.path)})` : ''),
        path: `/spec/volumes/${index}/hostPath`,
      });
    }
  });
  return violations;
}
