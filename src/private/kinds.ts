/**
 * Kinds that are cluster-scoped in Kubernetes and in the operators this library targets.
 * Everything else is treated as namespaced.
 */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService', 'PriorityClass', 'RuntimeClass',
  'IngressClass', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'CertificateSigningRequest', 'FlowSchema', 'PriorityLevelConfiguration',
  'VolumeSnapshotClass', 'VolumeSnapshotContent', 'ClusterPolicy', 'ClusterSecretStore', 'ClusterExternalSecret',
  'ClusterIssuer', 'ClusterImagePolicy', 'ClusterImageCatalog',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** `group` of an apiVersion (`""` for the core group). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The name an object is shown by: `metadata.name`, or for an object named by the API server
 * (`metadata.generateName`, e.g. Argo CD and Helm hook Jobs) the prefix followed by `*`
 * (apiserver `names.SimpleNameGenerator` appends five random characters; `*` is in no valid name).
 */
export function objectName(manifest: any): string | undefined {
  const name = manifest?.metadata?.name;
  if (typeof name === 'string' && name !== '') return name;
  const prefix = manifest?.metadata?.generateName;
  return typeof prefix === 'string' && prefix !== '' ? `${prefix}*` : undefined;
}
