import { baselinePod, podManifest, restrictedPod } from './pods';
import {
  ALLOW_PRIVILEGE_ESCALATION, CAPABILITIES_RESTRICTED, checksInForce, evaluatePodSecurity, formatPssVersion,
  HOST_PROBES_AND_HOST_LIFECYCLE, overridingCheck, parsePssVersion, POD_SECURITY_CHECKS, PodLike, PROC_MOUNT, PssLevel,
  RUN_AS_USER, SE_LINUX_OPTIONS, SECCOMP_PROFILE_BASELINE, SECCOMP_PROFILE_RESTRICTED, SYSCTLS,
} from '../../../src/policy/pod-security';

/** Upstream ids violated by `pod` at `level` and `version`. */
function violated(pod: PodLike, level: PssLevel, version: string): string[] {
  return [...new Set(evaluatePodSecurity(podManifest(pod), level, version).map(r => r.check.upstreamId))].sort();
}

describe('parsePssVersion', () => {
  test.each([
    ['1.28', { major: 1, minor: 28 }],
    ['v1.28', { major: 1, minor: 28 }],
    ['1.0', { major: 1, minor: 0 }],
    ['v1.35', { major: 1, minor: 35 }],
    ['latest', 'latest'],
  ])('accepts %s', (text, expected) => {
    expect(parsePssVersion(text)).toEqual(expected);
  });

  test.each(['1', '2.0', 'foo', '', 'v2.1', '1.28.3', '1.x', 'v', 'Latest', ' 1.28', '1.028', 'v1.-1'])('rejects %j', (text) => {
    expect(() => parsePssVersion(text)).toThrow(/invalid Pod Security Standards version/);
  });

  test('formats like the enforce-version label', () => {
    expect(formatPssVersion(parsePssVersion('1.28'))).toBe('v1.28');
    expect(formatPssVersion(parsePssVersion('latest'))).toBe('latest');
  });

  test('evaluatePodSecurity accepts the text form and rejects a bad one', () => {
    expect(evaluatePodSecurity(podManifest(restrictedPod()), 'restricted', 'v1.28')).toEqual([]);
    expect(() => evaluatePodSecurity(podManifest(restrictedPod()), 'restricted', '2.0')).toThrow(/invalid/);
  });
});

describe('sysctls: the safe list grows with the version', () => {
  test.each([
    ['net.ipv4.ip_local_reserved_ports', '1.26', '1.27'],
    ['net.ipv4.tcp_keepalive_time', '1.28', '1.29'],
    ['net.ipv4.tcp_fin_timeout', '1.28', '1.29'],
    ['net.ipv4.tcp_keepalive_intvl', '1.28', '1.29'],
    ['net.ipv4.tcp_keepalive_probes', '1.28', '1.29'],
    ['net.ipv4.tcp_rmem', '1.31', '1.32'],
    ['net.ipv4.tcp_wmem', '1.31', '1.32'],
    ['net.ipv4.tcp_slow_start_after_idle', '1.36', '1.37'],
    ['net.ipv4.tcp_notsent_lowat', '1.36', '1.37'],
  ])('%s: forbidden at %s, allowed from %s and at latest', (sysctl, before, from) => {
    const pod = baselinePod(p => { p.spec.securityContext = { sysctls: [{ name: sysctl, value: '1' }] }; });
    expect(SYSCTLS.evaluate(pod, parsePssVersion(before))).toEqual([
      { message: expect.stringContaining(`"${sysctl}"`), path: '/spec/securityContext/sysctls/0/name' },
    ]);
    expect(SYSCTLS.evaluate(pod, parsePssVersion(from))).toEqual([]);
    expect(SYSCTLS.evaluate(pod, 'latest')).toEqual([]);
    expect(violated(pod, 'baseline', before)).toEqual(['sysctls']);
    expect(violated(pod, 'baseline', from)).toEqual([]);
  });

  test('an unsafe sysctl is forbidden at every version', () => {
    const pod = baselinePod(p => { p.spec.securityContext = { sysctls: [{ name: 'kernel.msgmax', value: '1' }] }; });
    for (const v of ['1.0', '1.28', '1.37', 'latest']) {
      expect(SYSCTLS.evaluate(pod, parsePssVersion(v))).toHaveLength(1);
    }
  });
});

describe('runAsUser exists from 1.23', () => {
  const root = restrictedPod(p => { p.spec.securityContext.runAsUser = 0; });

  test('runAsUser: 0 is allowed at 1.22 (the check does not exist yet)', () => {
    expect(RUN_AS_USER.existsIn(parsePssVersion('1.22'))).toBe(false);
    expect(RUN_AS_USER.evaluate(root, parsePssVersion('1.22'))).toBeUndefined();
    expect(violated(root, 'restricted', '1.22')).toEqual([]);
  });

  test.each(['1.23', 'v1.30', 'latest'])('runAsUser: 0 is forbidden at %s', (v) => {
    expect(violated(root, 'restricted', v)).toEqual(['runAsUser']);
  });

  test('runAsUser is a restricted check only', () => {
    expect(violated(root, 'baseline', 'latest')).toEqual([]);
  });
});

describe('seccomp: annotations before 1.19, fields from 1.19', () => {
  const annotated = restrictedPod(p => {
    delete p.spec.securityContext.seccompProfile;
    p.metadata.annotations['seccomp.security.alpha.kubernetes.io/pod'] = 'unconfined';
  });
  const field = baselinePod(p => { p.spec.securityContext = { seccompProfile: { type: 'Unconfined' } }; });

  test('1.18: the annotation is checked, the field is not, and restricted does not require a profile', () => {
    expect(SECCOMP_PROFILE_BASELINE.evaluate(annotated, parsePssVersion('1.18'))).toEqual([{
      message: expect.stringContaining('seccomp.security.alpha.kubernetes.io/pod="unconfined"'),
      path: '/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod',
    }]);
    expect(SECCOMP_PROFILE_BASELINE.evaluate(field, parsePssVersion('1.18'))).toEqual([]);
    expect(SECCOMP_PROFILE_RESTRICTED.existsIn(parsePssVersion('1.18'))).toBe(false);
    expect(violated(annotated, 'restricted', '1.18')).toEqual(['seccompProfile_baseline']);
  });

  test('1.19: the field is checked, the annotation is not, and restricted requires a profile', () => {
    expect(SECCOMP_PROFILE_BASELINE.evaluate(annotated, parsePssVersion('1.19'))).toEqual([]);
    expect(SECCOMP_PROFILE_BASELINE.evaluate(field, parsePssVersion('1.19'))).toHaveLength(1);
    expect(violated(annotated, 'restricted', '1.19')).toEqual(['seccompProfile_restricted']);
  });
});

describe('capabilities_restricted exists from 1.22 and replaces capabilities_baseline', () => {
  const addsSysAdminNoDrop = restrictedPod(p => { p.spec.containers[0].securityContext.capabilities = { add: ['SYS_ADMIN'] }; });

  test('1.21: only the baseline capabilities rule applies', () => {
    expect(CAPABILITIES_RESTRICTED.evaluate(addsSysAdminNoDrop, parsePssVersion('1.21'))).toBeUndefined();
    expect(violated(addsSysAdminNoDrop, 'restricted', '1.21')).toEqual(['capabilities_baseline']);
    expect(violated(restrictedPod(p => { p.spec.containers[0].securityContext.capabilities = {}; }), 'restricted', '1.21')).toEqual([]);
  });

  test('1.22: drop ALL is required and capabilities_baseline is not evaluated separately', () => {
    expect(violated(addsSysAdminNoDrop, 'restricted', '1.22')).toEqual(['capabilities_restricted']);
    const results = evaluatePodSecurity(podManifest(addsSysAdminNoDrop), 'restricted', '1.22');
    expect(results.map(r => r.violation.pointer)).toEqual([
      '/spec/containers/0/securityContext/capabilities/drop',
      '/spec/containers/0/securityContext/capabilities/add/0',
    ]);
  });
});

describe('Windows pods (spec.os.name: windows) are exempt from some restricted checks from 1.25', () => {
  const windows = (tweak: (p: any) => void = () => undefined) => restrictedPod(p => {
    p.spec.os = { name: 'windows' };
    tweak(p);
  });

  test.each([
    ['allowPrivilegeEscalation', ALLOW_PRIVILEGE_ESCALATION, (p: any) => { delete p.spec.containers[0].securityContext.allowPrivilegeEscalation; }],
    ['seccompProfile_restricted', SECCOMP_PROFILE_RESTRICTED, (p: any) => { delete p.spec.securityContext.seccompProfile; }],
    ['capabilities_restricted', CAPABILITIES_RESTRICTED, (p: any) => { delete p.spec.containers[0].securityContext.capabilities; }],
  ])('%s: enforced at 1.24, exempt at 1.25 and latest', (id, check, tweak) => {
    const pod = windows(tweak);
    expect(check.evaluate(pod, parsePssVersion('1.24'))!.length).toBeGreaterThan(0);
    expect(check.evaluate(pod, parsePssVersion('1.25'))).toEqual([]);
    expect(violated(pod, 'restricted', '1.24')).toEqual([id]);
    expect(violated(pod, 'restricted', '1.25')).toEqual([]);
    expect(violated(pod, 'restricted', 'latest')).toEqual([]);
    // a Linux pod is not exempt
    const linux = restrictedPod(tweak);
    expect(violated(linux, 'restricted', 'latest')).toEqual([id]);
  });

  test('runAsNonRoot is not relaxed for Windows pods', () => {
    expect(violated(windows(p => { delete p.spec.securityContext.runAsNonRoot; }), 'restricted', 'latest')).toEqual(['runAsNonRoot']);
  });

  test('as upstream, the override means a Windows pod may add capabilities at restricted but not at baseline', () => {
    const pod = windows(p => { p.spec.containers[0].securityContext.capabilities = { drop: ['ALL'], add: ['SYS_ADMIN'] }; });
    expect(violated(pod, 'restricted', '1.25')).toEqual([]);
    expect(violated(pod, 'baseline', '1.25')).toEqual(['capabilities_baseline']);
    expect(violated(pod, 'restricted', '1.24')).toEqual(['capabilities_restricted']);
  });
});

describe('seLinuxOptions: container_engine_t from 1.31', () => {
  const pod = baselinePod(p => { p.spec.containers[0].securityContext = { seLinuxOptions: { type: 'container_engine_t' } }; });
  test('forbidden at 1.30, allowed at 1.31 and latest', () => {
    expect(SE_LINUX_OPTIONS.evaluate(pod, parsePssVersion('1.30'))).toEqual([{
      message: expect.stringContaining('container "api" must not set securityContext.seLinuxOptions.type to "container_engine_t"'),
      path: '/spec/containers/0/securityContext/seLinuxOptions/type',
    }]);
    expect(SE_LINUX_OPTIONS.evaluate(pod, parsePssVersion('1.31'))).toEqual([]);
    expect(SE_LINUX_OPTIONS.evaluate(pod, 'latest')).toEqual([]);
  });
});

describe('hostProbesAndHostLifecycle exists from 1.34', () => {
  const pod = baselinePod(p => { p.spec.containers[0].startupProbe = { tcpSocket: { port: 22, host: '10.0.0.1' } }; });
  test('not evaluated at 1.33, forbidden at 1.34 and latest', () => {
    expect(HOST_PROBES_AND_HOST_LIFECYCLE.evaluate(pod, parsePssVersion('1.33'))).toBeUndefined();
    expect(violated(pod, 'baseline', '1.33')).toEqual([]);
    expect(violated(pod, 'baseline', '1.34')).toEqual(['hostProbesAndHostLifecycle']);
    expect(violated(pod, 'baseline', 'latest')).toEqual(['hostProbesAndHostLifecycle']);
  });
});

describe('allowPrivilegeEscalation exists from 1.8', () => {
  test('not evaluated at 1.7', () => {
    const pod = baselinePod();
    expect(ALLOW_PRIVILEGE_ESCALATION.evaluate(pod, parsePssVersion('1.7'))).toBeUndefined();
    expect(ALLOW_PRIVILEGE_ESCALATION.evaluate(pod, parsePssVersion('1.8'))).toHaveLength(2);
  });
});

describe('user-namespace pods (spec.hostUsers: false) from 1.35', () => {
  const pod = restrictedPod(p => {
    p.spec.hostUsers = false;
    delete p.spec.securityContext.runAsNonRoot;
    p.spec.securityContext.runAsUser = 0;
    p.spec.containers[0].securityContext.procMount = 'Unmasked';
  });

  test('1.34: runAsNonRoot, runAsUser and procMount are enforced', () => {
    expect(violated(pod, 'restricted', '1.34')).toEqual(['procMount', 'runAsNonRoot', 'runAsUser']);
    expect(violated(pod, 'baseline', '1.34')).toEqual(['procMount']);
  });

  test('1.35: runAsNonRoot and runAsUser are relaxed, baseline allows any procMount, restricted still forbids it', () => {
    expect(violated(pod, 'restricted', '1.35')).toEqual(['procMount_restricted']);
    expect(violated(pod, 'baseline', '1.35')).toEqual([]);
    expect(violated(pod, 'restricted', 'latest')).toEqual(['procMount_restricted']);
  });

  test('hostUsers: true is not relaxed', () => {
    const hostUsers = restrictedPod(p => { p.spec.hostUsers = true; p.spec.containers[0].securityContext.procMount = 'Unmasked'; });
    expect(PROC_MOUNT.evaluate(hostUsers, 'latest')).toHaveLength(1);
    expect(violated(hostUsers, 'restricted', 'latest')).toEqual(['procMount_restricted']);
  });
});

describe('checksInForce', () => {
  const ids = (level: PssLevel, v: string) => checksInForce(level, v).map(c => c.upstreamId).sort();

  test('baseline at 1.28 and latest', () => {
    const base128 = ['appArmorProfile', 'capabilities_baseline', 'hostNamespaces', 'hostPathVolumes', 'hostPorts', 'privileged',
      'procMount', 'seLinuxOptions', 'seccompProfile_baseline', 'sysctls', 'windowsHostProcess'];
    expect(ids('baseline', '1.28')).toEqual(base128);
    expect(ids('baseline', 'latest')).toEqual([...base128, 'hostProbesAndHostLifecycle'].sort());
  });

  test('restricted replaces the overridden baseline checks, depending on the version', () => {
    expect(ids('restricted', '1.18')).toEqual(expect.arrayContaining(['capabilities_baseline', 'seccompProfile_baseline']));
    expect(ids('restricted', '1.18')).not.toContain('hostPathVolumes');
    expect(ids('restricted', '1.21')).toEqual(expect.arrayContaining(['capabilities_baseline', 'seccompProfile_restricted']));
    expect(ids('restricted', '1.21')).not.toContain('seccompProfile_baseline');
    expect(ids('restricted', '1.28')).toEqual(['allowPrivilegeEscalation', 'appArmorProfile', 'capabilities_restricted', 'hostNamespaces',
      'hostPorts', 'privileged', 'procMount', 'restrictedVolumes', 'runAsNonRoot', 'runAsUser', 'seLinuxOptions', 'seccompProfile_restricted',
      'sysctls', 'windowsHostProcess']);
    expect(ids('restricted', 'latest')).toEqual(['allowPrivilegeEscalation', 'appArmorProfile', 'capabilities_restricted', 'hostNamespaces',
      'hostPorts', 'hostProbesAndHostLifecycle', 'privileged', 'procMount_restricted', 'restrictedVolumes', 'runAsNonRoot', 'runAsUser',
      'seLinuxOptions', 'seccompProfile_restricted', 'sysctls', 'windowsHostProcess']);
  });

  test('overridingCheck', () => {
    const cap = POD_SECURITY_CHECKS.find(c => c.upstreamId === 'capabilities_baseline')!;
    expect(overridingCheck(cap, 'restricted', '1.22')?.upstreamId).toBe('capabilities_restricted');
    expect(overridingCheck(cap, 'restricted', '1.21')).toBeUndefined();
    expect(overridingCheck(cap, 'baseline', 'latest')).toBeUndefined();
  });

  test('latest behaves like the newest version', () => {
    const pods = [
      restrictedPod(p => { p.spec.securityContext.sysctls = [{ name: 'net.ipv4.tcp_notsent_lowat', value: '1' }]; }),
      restrictedPod(p => { p.spec.hostUsers = false; p.spec.securityContext.runAsUser = 0; }),
      restrictedPod(p => { p.spec.containers[0].livenessProbe = { httpGet: { port: 80, host: 'x' } }; }),
    ];
    for (const pod of pods) {
      expect(violated(pod, 'restricted', 'latest')).toEqual(violated(pod, 'restricted', '1.99'));
    }
  });
});
