import { asArray, asObject, defineCheck, escapePointerToken, isSet, NormalizedPod } from './helpers';
import { PodSecurityViolation } from './types';

/** Volume sources the restricted level allows. */
export const RESTRICTED_ALLOWED_VOLUME_SOURCES: ReadonlySet<string> = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/**
 * Restricted `restrictedVolumes` (1.0+): only core volume sources are allowed. Replaces `hostPathVolumes` at the
 * restricted level.
 *
 * Restricted fields: `spec.volumes[*].<source>` for every source except `configMap`, `csi`, `downwardAPI`,
 * `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected` and `secret` (upstream allows `image`
 * since kubernetes/kubernetes#130394, in its single 1.0 behaviour). A volume without any source is defaulted to
 * emptyDir by the API server, so it is allowed.
 */
export const RESTRICTED_VOLUMES = defineCheck({
  id: 'PSS-RestrictedVolumes',
  upstreamId: 'restrictedVolumes',
  level: 'restricted',
  title: 'Volume Types',
  description: 'Volumes may only be configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret.',
  explanation: 'Inline volume sources such as hostPath, nfs, iscsi or rbd let a pod reach storage or host resources directly, '
    + 'bypassing the PersistentVolume layer and its access control.',
  fix: 'Use a persistentVolumeClaim (backed by a PersistentVolume or CSI driver) or one of the allowed volume sources.',
  behaviours: [{ since: 0, overrides: ['hostPathVolumes'], check: restrictedVolumes }],
});

function restrictedVolumes(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  asArray(pod.spec.volumes).forEach((raw, index) => {
    const volume = asObject(raw);
    for (const source of Object.keys(volume)) {
      if (source === 'name' || !isSet(volume[source]) || RESTRICTED_ALLOWED_VOLUME_SOURCES.has(source)) {
        continue;
      }
      violations.push({
        message: `volume ${JSON.stringify(volume.name ?? `#${index}`)} must not use restricted volume type ${JSON.stringify(source)}`,
        path: `/spec/volumes/${index}/${escapePointerToken(source)}`,
      });
    }
  });
  return violations;
}
