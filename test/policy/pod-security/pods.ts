import { PodLike } from '../../../src/policy/pod-security';

/** A pod spec that passes the restricted level at every version (the fixtures' `base.yaml`, plus an ephemeral container). */
export function restrictedSpec(): any {
  const securityContext = () => ({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  return {
    containers: [{ name: 'api', image: 'registry.k8s.io/pause', securityContext: securityContext() }],
    initContainers: [{ name: 'migrate', image: 'registry.k8s.io/pause', securityContext: securityContext() }],
    ephemeralContainers: [{ name: 'debug', image: 'registry.k8s.io/pause', securityContext: securityContext() }],
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  };
}

/** A restricted pod, modified by `tweak` (which may mutate the pod it gets). */
export function restrictedPod(tweak: (pod: { metadata: any; spec: any }) => void = () => undefined): PodLike {
  const pod = { metadata: { name: 'app', annotations: {} as Record<string, string> }, spec: restrictedSpec() };
  tweak(pod);
  return pod;
}

/** A minimal pod (passes baseline, not restricted), modified by `tweak`. */
export function baselinePod(tweak: (pod: { metadata: any; spec: any }) => void = () => undefined): PodLike {
  const pod = {
    metadata: { name: 'app', annotations: {} as Record<string, string> },
    spec: {
      containers: [{ name: 'api', image: 'registry.k8s.io/pause' }],
      initContainers: [{ name: 'migrate', image: 'registry.k8s.io/pause' }],
    },
  };
  tweak(pod);
  return pod;
}

/** A v1 Pod manifest around a pod. */
export function podManifest(pod: PodLike): any {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata, spec: pod.spec };
}

/** Resolves a JSON pointer (RFC 6901) in `document`; `undefined` when it leads nowhere. */
export function resolvePointer(document: any, pointer: string): any {
  if (pointer === '') {
    return document;
  }
  let node = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(token in node)) {
      return undefined;
    }
    node = node[token];
  }
  return node;
}
