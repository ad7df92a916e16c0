import { resolvePointer, restrictedPod } from './pods';
import {
  ALLOW_PRIVILEGE_ESCALATION, APP_ARMOR_PROFILE, CAPABILITIES_BASELINE, CAPABILITIES_RESTRICTED, checksFor, HOST_NAMESPACES,
  HOST_PATH_VOLUMES, HOST_PORTS, HOST_PROBES_AND_HOST_LIFECYCLE, parsePssVersion, POD_SECURITY_CHECKS, PodLike, PodSecurityCheck,
  PRIVILEGED, PROC_MOUNT, PROC_MOUNT_RESTRICTED, RESTRICTED_VOLUMES, RUN_AS_NON_ROOT, RUN_AS_USER, SE_LINUX_OPTIONS,
  SECCOMP_PROFILE_BASELINE, SECCOMP_PROFILE_RESTRICTED, SYSCTLS, WINDOWS_HOST_PROCESS,
} from '../../../src/policy/pod-security';

interface Case {
  /** What the non-compliant pod does. */
  readonly name: string;
  readonly check: PodSecurityCheck;
  /** Version to evaluate at. @default 'latest' */
  readonly version?: string;
  /** A pod the check accepts (close to `violating`). */
  readonly compliant: PodLike;
  /** A pod the check rejects. */
  readonly violating: PodLike;
  /** Expected violation path. */
  readonly path: string;
  /** Expected message. */
  readonly message: RegExp;
  /** The offending field is missing (a required field), so the path does not resolve. */
  readonly missing?: boolean;
}

const c0 = (pod: any) => pod.spec.containers[0];
const init0 = (pod: any) => pod.spec.initContainers[0];
const eph0 = (pod: any) => pod.spec.ephemeralContainers[0];

const CASES: Case[] = [
  // hostNamespaces
  ...['hostNetwork', 'hostPID', 'hostIPC'].map(field => ({
    name: `${field}: true`,
    check: HOST_NAMESPACES,
    compliant: restrictedPod(p => { p.spec[field] = false; }),
    violating: restrictedPod(p => { p.spec[field] = true; }),
    path: `/spec/${field}`,
    message: new RegExp(`pod must not set spec\\.${field}=true`),
  })),
  // privileged
  {
    name: 'container privileged',
    check: PRIVILEGED,
    compliant: restrictedPod(p => { c0(p).securityContext.privileged = false; }),
    violating: restrictedPod(p => { c0(p).securityContext.privileged = true; }),
    path: '/spec/containers/0/securityContext/privileged',
    message: /^container "api" must not set securityContext\.privileged=true$/,
  },
  {
    name: 'init container privileged',
    check: PRIVILEGED,
    compliant: restrictedPod(),
    violating: restrictedPod(p => { init0(p).securityContext.privileged = true; }),
    path: '/spec/initContainers/0/securityContext/privileged',
    message: /^init container "migrate" must not set securityContext\.privileged=true$/,
  },
  {
    name: 'ephemeral container privileged',
    check: PRIVILEGED,
    compliant: restrictedPod(),
    violating: restrictedPod(p => { eph0(p).securityContext.privileged = true; }),
    path: '/spec/ephemeralContainers/0/securityContext/privileged',
    message: /^ephemeral container "debug" must not set securityContext\.privileged=true$/,
  },
  // capabilities_baseline
  {
    name: 'adds SYS_ADMIN',
    check: CAPABILITIES_BASELINE,
    compliant: restrictedPod(p => { c0(p).securityContext.capabilities.add = ['CHOWN', 'NET_BIND_SERVICE', 'SYS_CHROOT']; }),
    violating: restrictedPod(p => { c0(p).securityContext.capabilities.add = ['CHOWN', 'SYS_ADMIN']; }),
    path: '/spec/containers/0/securityContext/capabilities/add/1',
    message: /container "api" must not include "SYS_ADMIN" in securityContext\.capabilities\.add/,
  },
  {
    name: 'ephemeral container adds NET_RAW',
    check: CAPABILITIES_BASELINE,
    compliant: restrictedPod(p => { eph0(p).securityContext.capabilities.add = ['KILL']; }),
    violating: restrictedPod(p => { eph0(p).securityContext.capabilities.add = ['NET_RAW']; }),
    path: '/spec/ephemeralContainers/0/securityContext/capabilities/add/0',
    message: /ephemeral container "debug" must not include "NET_RAW"/,
  },
  // hostPathVolumes
  {
    name: 'hostPath volume',
    check: HOST_PATH_VOLUMES,
    compliant: restrictedPod(p => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; }),
    violating: restrictedPod(p => { p.spec.volumes = [{ name: 'data', emptyDir: {} }, { name: 'host', hostPath: { path: '/var/run' } }]; }),
    path: '/spec/volumes/1/hostPath',
    message: /volume "host" must not use hostPath \("\/var\/run"\)/,
  },
  // hostPorts
  {
    name: 'hostPort',
    check: HOST_PORTS,
    compliant: restrictedPod(p => { c0(p).ports = [{ containerPort: 8080, hostPort: 0 }, { containerPort: 9090 }]; }),
    violating: restrictedPod(p => { c0(p).ports = [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 9090 }]; }),
    path: '/spec/containers/0/ports/1/hostPort',
    message: /container "api" must not set hostPort 9090/,
  },
  {
    name: 'init container hostPort',
    check: HOST_PORTS,
    compliant: restrictedPod(p => { init0(p).ports = [{ containerPort: 80 }]; }),
    violating: restrictedPod(p => { init0(p).ports = [{ containerPort: 80, hostPort: 80 }]; }),
    path: '/spec/initContainers/0/ports/0/hostPort',
    message: /init container "migrate" must not set hostPort 80/,
  },
  // appArmorProfile
  {
    name: 'unconfined AppArmor annotation',
    check: APP_ARMOR_PROFILE,
    compliant: restrictedPod(p => {
      p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/api'] = 'runtime/default';
      p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/migrate'] = 'localhost/custom';
    }),
    violating: restrictedPod(p => { p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/api'] = 'unconfined'; }),
    path: '/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1api',
    message: /annotation container\.apparmor\.security\.beta\.kubernetes\.io\/api="unconfined" \(container "api"\)/,
  },
  {
    name: 'pod appArmorProfile Unconfined',
    check: APP_ARMOR_PROFILE,
    compliant: restrictedPod(p => { p.spec.securityContext.appArmorProfile = { type: 'RuntimeDefault' }; }),
    violating: restrictedPod(p => { p.spec.securityContext.appArmorProfile = { type: 'Unconfined' }; }),
    path: '/spec/securityContext/appArmorProfile/type',
    message: /^pod must not set securityContext\.appArmorProfile\.type to "Unconfined"$/,
  },
  {
    name: 'init container appArmorProfile Unconfined',
    check: APP_ARMOR_PROFILE,
    compliant: restrictedPod(p => { init0(p).securityContext.appArmorProfile = { type: 'Localhost', localhostProfile: 'k8s-apparmor' }; }),
    violating: restrictedPod(p => { init0(p).securityContext.appArmorProfile = { type: 'Unconfined' }; }),
    path: '/spec/initContainers/0/securityContext/appArmorProfile/type',
    message: /init container "migrate" must not set securityContext\.appArmorProfile\.type to "Unconfined"/,
  },
  // seLinuxOptions
  {
    name: 'pod SELinux type spc_t',
    check: SE_LINUX_OPTIONS,
    compliant: restrictedPod(p => { p.spec.securityContext.seLinuxOptions = { type: 'container_t', level: 's0:c123,c456' }; }),
    violating: restrictedPod(p => { p.spec.securityContext.seLinuxOptions = { type: 'spc_t' }; }),
    path: '/spec/securityContext/seLinuxOptions/type',
    message: /pod must not set securityContext\.seLinuxOptions\.type to "spc_t"/,
  },
  {
    name: 'container SELinux user',
    check: SE_LINUX_OPTIONS,
    compliant: restrictedPod(p => { c0(p).securityContext.seLinuxOptions = { level: 's0:c1,c2', user: '' }; }),
    violating: restrictedPod(p => { c0(p).securityContext.seLinuxOptions = { user: 'system_u' }; }),
    path: '/spec/containers/0/securityContext/seLinuxOptions/user',
    message: /container "api" must not set securityContext\.seLinuxOptions\.user \("system_u"\)/,
  },
  {
    name: 'ephemeral container SELinux role',
    check: SE_LINUX_OPTIONS,
    compliant: restrictedPod(p => { eph0(p).securityContext.seLinuxOptions = { type: 'container_init_t' }; }),
    violating: restrictedPod(p => { eph0(p).securityContext.seLinuxOptions = { role: 'system_r' }; }),
    path: '/spec/ephemeralContainers/0/securityContext/seLinuxOptions/role',
    message: /ephemeral container "debug" must not set securityContext\.seLinuxOptions\.role/,
  },
  // procMount
  {
    name: 'container procMount Unmasked',
    check: PROC_MOUNT,
    compliant: restrictedPod(p => { c0(p).securityContext.procMount = 'Default'; }),
    violating: restrictedPod(p => { c0(p).securityContext.procMount = 'Unmasked'; }),
    path: '/spec/containers/0/securityContext/procMount',
    message: /container "api" must not set securityContext\.procMount to "Unmasked"/,
  },
  // seccompProfile_baseline
  {
    name: 'pod seccomp Unconfined',
    check: SECCOMP_PROFILE_BASELINE,
    compliant: restrictedPod(p => { p.spec.securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'profiles/audit.json' }; }),
    violating: restrictedPod(p => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; }),
    path: '/spec/securityContext/seccompProfile/type',
    message: /pod must not set securityContext\.seccompProfile\.type to "Unconfined"/,
  },
  {
    name: 'init container seccomp Unconfined',
    check: SECCOMP_PROFILE_BASELINE,
    compliant: restrictedPod(p => { delete p.spec.securityContext.seccompProfile; }),
    violating: restrictedPod(p => { init0(p).securityContext.seccompProfile = { type: 'Unconfined' }; }),
    path: '/spec/initContainers/0/securityContext/seccompProfile/type',
    message: /init container "migrate" must not set securityContext\.seccompProfile\.type to "Unconfined"/,
  },
  {
    name: 'seccomp annotation unconfined (1.18)',
    check: SECCOMP_PROFILE_BASELINE,
    version: '1.18',
    compliant: restrictedPod(p => {
      p.metadata.annotations['seccomp.security.alpha.kubernetes.io/pod'] = 'runtime/default';
      p.metadata.annotations['container.seccomp.security.alpha.kubernetes.io/api'] = 'docker/default';
    }),
    violating: restrictedPod(p => { p.metadata.annotations['container.seccomp.security.alpha.kubernetes.io/api'] = 'unconfined'; }),
    path: '/metadata/annotations/container.seccomp.security.alpha.kubernetes.io~1api',
    message: /container "api" annotation container\.seccomp\.security\.alpha\.kubernetes\.io\/api="unconfined" is forbidden/,
  },
  // sysctls
  {
    name: 'unsafe sysctl',
    check: SYSCTLS,
    compliant: restrictedPod(p => { p.spec.securityContext.sysctls = [{ name: 'kernel.shm_rmid_forced', value: '1' }]; }),
    violating: restrictedPod(p => {
      p.spec.securityContext.sysctls = [{ name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'kernel.msgmax', value: '65536' }];
    }),
    path: '/spec/securityContext/sysctls/1/name',
    message: /pod must not set sysctl "kernel\.msgmax"/,
  },
  // windowsHostProcess
  {
    name: 'pod hostProcess',
    check: WINDOWS_HOST_PROCESS,
    compliant: restrictedPod(p => { p.spec.securityContext.windowsOptions = { hostProcess: false, runAsUserName: 'app' }; }),
    violating: restrictedPod(p => { p.spec.securityContext.windowsOptions = { hostProcess: true }; }),
    path: '/spec/securityContext/windowsOptions/hostProcess',
    message: /^pod must not set securityContext\.windowsOptions\.hostProcess=true$/,
  },
  {
    name: 'init container hostProcess',
    check: WINDOWS_HOST_PROCESS,
    compliant: restrictedPod(p => { init0(p).securityContext.windowsOptions = {}; }),
    violating: restrictedPod(p => { init0(p).securityContext.windowsOptions = { hostProcess: true }; }),
    path: '/spec/initContainers/0/securityContext/windowsOptions/hostProcess',
    message: /init container "migrate" must not set securityContext\.windowsOptions\.hostProcess=true/,
  },
  // hostProbesAndHostLifecycle
  {
    name: 'liveness probe httpGet.host',
    check: HOST_PROBES_AND_HOST_LIFECYCLE,
    compliant: restrictedPod(p => { c0(p).livenessProbe = { httpGet: { path: '/healthz', port: 8080, host: '' } }; }),
    violating: restrictedPod(p => { c0(p).livenessProbe = { httpGet: { path: '/healthz', port: 8080, host: '169.254.169.254' } }; }),
    path: '/spec/containers/0/livenessProbe/httpGet/host',
    message: /container "api" must not set livenessProbe\.httpGet\.host \("169\.254\.169\.254"\)/,
  },
  {
    name: 'readiness probe tcpSocket.host',
    check: HOST_PROBES_AND_HOST_LIFECYCLE,
    compliant: restrictedPod(p => { c0(p).readinessProbe = { tcpSocket: { port: 5432 } }; }),
    violating: restrictedPod(p => { c0(p).readinessProbe = { tcpSocket: { port: 5432, host: 'db.internal' } }; }),
    path: '/spec/containers/0/readinessProbe/tcpSocket/host',
    message: /readinessProbe\.tcpSocket\.host \("db\.internal"\)/,
  },
  {
    name: 'init container preStop httpGet.host',
    check: HOST_PROBES_AND_HOST_LIFECYCLE,
    compliant: restrictedPod(p => { init0(p).lifecycle = { preStop: { httpGet: { path: '/drain', port: 80 } } }; }),
    violating: restrictedPod(p => { init0(p).lifecycle = { preStop: { httpGet: { path: '/drain', port: 80, host: 'localhost' } } }; }),
    path: '/spec/initContainers/0/lifecycle/preStop/httpGet/host',
    message: /init container "migrate" must not set lifecycle\.preStop\.httpGet\.host \("localhost"\)/,
  },
  // restrictedVolumes
  {
    name: 'nfs volume',
    check: RESTRICTED_VOLUMES,
    compliant: restrictedPod(p => {
      p.spec.volumes = [
        { name: 'a', configMap: { name: 'cfg' } },
        { name: 'b', secret: { secretName: 's' } },
        { name: 'c', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'd', emptyDir: {} },
        { name: 'e', projected: { sources: [] } },
        { name: 'f', downwardAPI: { items: [] } },
        { name: 'g', csi: { driver: 'secrets-store.csi.k8s.io' } },
        { name: 'h', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        { name: 'i', image: { reference: 'registry.example/data:1' } },
        { name: 'j' },
      ];
    }),
    violating: restrictedPod(p => { p.spec.volumes = [{ name: 'a', configMap: { name: 'cfg' } }, { name: 'share', nfs: { server: 'nas', path: '/x' } }]; }),
    path: '/spec/volumes/1/nfs',
    message: /volume "share" must not use restricted volume type "nfs"/,
  },
  {
    name: 'hostPath volume (restricted)',
    check: RESTRICTED_VOLUMES,
    compliant: restrictedPod(p => { p.spec.volumes = [{ name: 'host', hostPath: null, emptyDir: {} }]; }),
    violating: restrictedPod(p => { p.spec.volumes = [{ name: 'host', hostPath: { path: '/' } }]; }),
    path: '/spec/volumes/0/hostPath',
    message: /volume "host" must not use restricted volume type "hostPath"/,
  },
  // allowPrivilegeEscalation
  {
    name: 'allowPrivilegeEscalation unset',
    check: ALLOW_PRIVILEGE_ESCALATION,
    compliant: restrictedPod(),
    violating: restrictedPod(p => { delete c0(p).securityContext.allowPrivilegeEscalation; }),
    path: '/spec/containers/0/securityContext/allowPrivilegeEscalation',
    message: /container "api" must set securityContext\.allowPrivilegeEscalation=false \(unset defaults to true\)/,
    missing: true,
  },
  {
    name: 'ephemeral container allowPrivilegeEscalation true',
    check: ALLOW_PRIVILEGE_ESCALATION,
    compliant: restrictedPod(),
    violating: restrictedPod(p => { eph0(p).securityContext.allowPrivilegeEscalation = true; }),
    path: '/spec/ephemeralContainers/0/securityContext/allowPrivilegeEscalation',
    message: /ephemeral container "debug" must set securityContext\.allowPrivilegeEscalation=false \(is true\)/,
  },
  // runAsNonRoot
  {
    name: 'runAsNonRoot unset everywhere',
    check: RUN_AS_NON_ROOT,
    compliant: restrictedPod(p => {
      delete p.spec.securityContext.runAsNonRoot;
      for (const c of [c0(p), init0(p), eph0(p)]) c.securityContext.runAsNonRoot = true;
    }),
    violating: restrictedPod(p => {
      delete p.spec.securityContext.runAsNonRoot;
      c0(p).securityContext.runAsNonRoot = true;
      eph0(p).securityContext.runAsNonRoot = true;
    }),
    path: '/spec/initContainers/0/securityContext/runAsNonRoot',
    message: /^init container "migrate" must set securityContext\.runAsNonRoot=true/,
    missing: true,
  },
  {
    name: 'container runAsNonRoot false',
    check: RUN_AS_NON_ROOT,
    compliant: restrictedPod(p => { c0(p).securityContext.runAsNonRoot = true; }),
    violating: restrictedPod(p => { c0(p).securityContext.runAsNonRoot = false; }),
    path: '/spec/containers/0/securityContext/runAsNonRoot',
    message: /^container "api" must not set securityContext\.runAsNonRoot=false/,
  },
  {
    name: 'pod runAsNonRoot false',
    check: RUN_AS_NON_ROOT,
    compliant: restrictedPod(),
    violating: restrictedPod(p => { p.spec.securityContext.runAsNonRoot = false; }),
    path: '/spec/securityContext/runAsNonRoot',
    message: /^pod must not set securityContext\.runAsNonRoot=false/,
  },
  // runAsUser
  {
    name: 'pod runAsUser 0',
    check: RUN_AS_USER,
    compliant: restrictedPod(p => { p.spec.securityContext.runAsUser = 1000; }),
    violating: restrictedPod(p => { p.spec.securityContext.runAsUser = 0; }),
    path: '/spec/securityContext/runAsUser',
    message: /^pod must not set securityContext\.runAsUser=0$/,
  },
  {
    name: 'init container runAsUser 0',
    check: RUN_AS_USER,
    compliant: restrictedPod(p => { init0(p).securityContext.runAsUser = 65534; }),
    violating: restrictedPod(p => { init0(p).securityContext.runAsUser = 0; }),
    path: '/spec/initContainers/0/securityContext/runAsUser',
    message: /^init container "migrate" must not set securityContext\.runAsUser=0$/,
  },
  // seccompProfile_restricted
  {
    name: 'seccomp profile missing',
    check: SECCOMP_PROFILE_RESTRICTED,
    compliant: restrictedPod(p => {
      delete p.spec.securityContext.seccompProfile;
      for (const c of [c0(p), init0(p), eph0(p)]) c.securityContext.seccompProfile = { type: 'RuntimeDefault' };
    }),
    violating: restrictedPod(p => {
      delete p.spec.securityContext.seccompProfile;
      c0(p).securityContext.seccompProfile = { type: 'RuntimeDefault' };
      init0(p).securityContext.seccompProfile = { type: 'RuntimeDefault' };
    }),
    path: '/spec/ephemeralContainers/0/securityContext/seccompProfile',
    message: /^ephemeral container "debug" must set securityContext\.seccompProfile\.type to "RuntimeDefault" or "Localhost"/,
    missing: true,
  },
  {
    name: 'container seccomp Unconfined',
    check: SECCOMP_PROFILE_RESTRICTED,
    compliant: restrictedPod(p => { c0(p).securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'p.json' }; }),
    violating: restrictedPod(p => { c0(p).securityContext.seccompProfile = { type: 'Unconfined' }; }),
    path: '/spec/containers/0/securityContext/seccompProfile/type',
    message: /container "api" must not set securityContext\.seccompProfile\.type to "Unconfined"/,
  },
  // capabilities_restricted
  {
    name: 'drop ALL missing',
    check: CAPABILITIES_RESTRICTED,
    compliant: restrictedPod(p => { c0(p).securityContext.capabilities = { drop: ['NET_RAW', 'ALL'] }; }),
    violating: restrictedPod(p => { c0(p).securityContext.capabilities = { drop: ['NET_RAW'] }; }),
    path: '/spec/containers/0/securityContext/capabilities/drop',
    message: /^container "api" must set securityContext\.capabilities\.drop=\["ALL"\] \(drops \["NET_RAW"\]\)$/,
  },
  {
    name: 'no capabilities at all',
    check: CAPABILITIES_RESTRICTED,
    compliant: restrictedPod(),
    violating: restrictedPod(p => { delete init0(p).securityContext.capabilities; }),
    path: '/spec/initContainers/0/securityContext/capabilities/drop',
    message: /^init container "migrate" must set securityContext\.capabilities\.drop=\["ALL"\]$/,
    missing: true,
  },
  {
    name: 'adds CHOWN',
    check: CAPABILITIES_RESTRICTED,
    compliant: restrictedPod(p => { c0(p).securityContext.capabilities.add = ['NET_BIND_SERVICE']; }),
    violating: restrictedPod(p => { c0(p).securityContext.capabilities.add = ['CHOWN']; }),
    path: '/spec/containers/0/securityContext/capabilities/add/0',
    message: /container "api" must not include "CHOWN" in securityContext\.capabilities\.add/,
  },
  // procMount_restricted
  {
    name: 'procMount Unmasked in a user-namespace pod',
    check: PROC_MOUNT_RESTRICTED,
    compliant: restrictedPod(p => { p.spec.hostUsers = false; c0(p).securityContext.procMount = 'Default'; }),
    violating: restrictedPod(p => { p.spec.hostUsers = false; eph0(p).securityContext.procMount = 'Unmasked'; }),
    path: '/spec/ephemeralContainers/0/securityContext/procMount',
    message: /ephemeral container "debug" must not set securityContext\.procMount to "Unmasked"/,
  },
];

describe('every check has unit cases', () => {
  test.each(POD_SECURITY_CHECKS.map(c => [c.id, c] as const))('%s', (_id, check) => {
    expect(CASES.filter(c => c.check === check).length).toBeGreaterThan(0);
  });
});

describe.each(CASES.map(c => [`${c.check.id}: ${c.name}`, c] as const))('%s', (_title, c) => {
  const version = parsePssVersion(c.version ?? 'latest');

  test('compliant pod has no violation', () => {
    expect(c.check.evaluate(c.compliant, version)).toEqual([]);
  });

  test('non-compliant pod is reported at the offending field', () => {
    const violations = c.check.evaluate(c.violating, version) ?? [];
    const hit = violations.find(v => v.path === c.path);
    if (!hit) {
      throw new Error(`no violation at ${c.path}; got ${JSON.stringify(violations, undefined, 2)}`);
    }
    expect(hit.message).toMatch(c.message);
    if (c.missing) {
      expect(resolvePointer(c.violating, c.path)).toBeUndefined();
    } else {
      expect(resolvePointer(c.violating, c.path)).toBeDefined();
    }
  });
});

describe('check inventory', () => {
  test('ids, upstream ids and levels', () => {
    expect(POD_SECURITY_CHECKS.map(c => [c.id, c.upstreamId, c.level])).toEqual([
      ['PSS-HostNamespaces', 'hostNamespaces', 'baseline'],
      ['PSS-Privileged', 'privileged', 'baseline'],
      ['PSS-CapabilitiesBaseline', 'capabilities_baseline', 'baseline'],
      ['PSS-HostPathVolumes', 'hostPathVolumes', 'baseline'],
      ['PSS-HostPorts', 'hostPorts', 'baseline'],
      ['PSS-AppArmorProfile', 'appArmorProfile', 'baseline'],
      ['PSS-SELinuxOptions', 'seLinuxOptions', 'baseline'],
      ['PSS-ProcMount', 'procMount', 'baseline'],
      ['PSS-SeccompProfileBaseline', 'seccompProfile_baseline', 'baseline'],
      ['PSS-Sysctls', 'sysctls', 'baseline'],
      ['PSS-WindowsHostProcess', 'windowsHostProcess', 'baseline'],
      ['PSS-HostProbesAndHostLifecycle', 'hostProbesAndHostLifecycle', 'baseline'],
      ['PSS-RestrictedVolumes', 'restrictedVolumes', 'restricted'],
      ['PSS-AllowPrivilegeEscalation', 'allowPrivilegeEscalation', 'restricted'],
      ['PSS-RunAsNonRoot', 'runAsNonRoot', 'restricted'],
      ['PSS-RunAsUser', 'runAsUser', 'restricted'],
      ['PSS-SeccompProfileRestricted', 'seccompProfile_restricted', 'restricted'],
      ['PSS-CapabilitiesRestricted', 'capabilities_restricted', 'restricted'],
      ['PSS-ProcMountRestricted', 'procMount_restricted', 'restricted'],
    ]);
  });

  test.each(POD_SECURITY_CHECKS.map(c => [c.id, c] as const))('%s is documented', (_id, check) => {
    expect(check.id).toMatch(/^PSS-[A-Z][A-Za-z]+$/);
    expect(check.title.length).toBeGreaterThan(2);
    for (const text of [check.description, check.explanation, check.fix]) {
      expect(text.length).toBeGreaterThan(20);
    }
    expect(check.helpUri).toMatch(/^https:\/\/kubernetes\.io\//);
    expect(check.versions.length).toBeGreaterThan(0);
  });

  test('ids are unique', () => {
    expect(new Set(POD_SECURITY_CHECKS.map(c => c.id)).size).toBe(POD_SECURITY_CHECKS.length);
    expect(new Set(POD_SECURITY_CHECKS.map(c => c.upstreamId)).size).toBe(POD_SECURITY_CHECKS.length);
  });

  test('checksFor: restricted = baseline + restricted checks', () => {
    const baseline = checksFor('baseline');
    const restricted = checksFor('restricted');
    expect(baseline).toHaveLength(12);
    expect(baseline.every(c => c.level === 'baseline')).toBe(true);
    expect(restricted).toHaveLength(19);
    for (const c of baseline) {
      expect(restricted).toContain(c);
    }
    expect(() => checksFor('privileged' as any)).toThrow(/unknown Pod Security Standards level/);
  });

  test('versions at which behaviour starts or changes', () => {
    expect(Object.fromEntries(POD_SECURITY_CHECKS.map(c => [c.upstreamId, c.versions]))).toEqual({
      hostNamespaces: ['1.0'],
      privileged: ['1.0'],
      capabilities_baseline: ['1.0'],
      hostPathVolumes: ['1.0'],
      hostPorts: ['1.0'],
      appArmorProfile: ['1.0'],
      seLinuxOptions: ['1.0', '1.31'],
      procMount: ['1.0', '1.35'],
      seccompProfile_baseline: ['1.0', '1.19'],
      sysctls: ['1.0', '1.27', '1.29', '1.32', '1.37'],
      windowsHostProcess: ['1.0'],
      hostProbesAndHostLifecycle: ['1.34'],
      restrictedVolumes: ['1.0'],
      allowPrivilegeEscalation: ['1.8', '1.25'],
      runAsNonRoot: ['1.0', '1.35'],
      runAsUser: ['1.23', '1.35'],
      seccompProfile_restricted: ['1.19', '1.25'],
      capabilities_restricted: ['1.22', '1.25'],
      procMount_restricted: ['1.35'],
    });
  });
});

describe('robustness', () => {
  test.each(POD_SECURITY_CHECKS.map(c => [c.id, c] as const))('%s accepts an empty or malformed pod', (_id, check) => {
    const version = parsePssVersion('latest');
    expect(() => check.evaluate({ metadata: undefined, spec: undefined }, version)).not.toThrow();
    expect(() => check.evaluate({ metadata: null, spec: { containers: 'nope', volumes: {}, securityContext: [] } }, version)).not.toThrow();
    expect(() => check.evaluate({ metadata: { annotations: null }, spec: { containers: [null, 1, { securityContext: null }] } }, version))
      .not.toThrow();
  });
});
