import { isClusterScoped } from '../../private/kinds';

/**
 * The cluster-scoped kinds GITOPS-NoDefaultNamespace skips (those of `isClusterScoped`, which
 * keeps its set private; a test checks that each is cluster-scoped there).
 */
export const CLUSTER_SCOPED_KINDS: readonly string[] = [
  'APIService', 'CSIDriver', 'CSINode', 'CertificateSigningRequest', 'ClusterExternalSecret', 'ClusterImagePolicy', 'ClusterIssuer',
  'ClusterPolicy', 'ClusterRole', 'ClusterRoleBinding', 'ClusterSecretStore', 'CustomResourceDefinition', 'FlowSchema', 'IngressClass',
  'MutatingWebhookConfiguration', 'Namespace', 'Node', 'PersistentVolume', 'PriorityClass', 'PriorityLevelConfiguration', 'RuntimeClass',
  'StorageClass', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingWebhookConfiguration', 'VolumeAttachment',
  'VolumeSnapshotClass', 'VolumeSnapshotContent',
].filter((k) => isClusterScoped(k));
