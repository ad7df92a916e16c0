/**
 * The Pod Security Standards checks as CEL validations (for ValidatingAdmissionPolicy /
 * ValidatingPolicy export), versioned like the native checks in ../pod-security: the behaviour of
 * a check is the newest one at or before the version. Internal module.
 */
import { BASELINE_ALLOWED_CAPABILITIES } from '../pod-security/capabilities-baseline';
import { checksInForce } from '../pod-security/registry';
import { RESTRICTED_ALLOWED_VOLUME_SOURCES } from '../pod-security/restricted-volumes';
import { SELINUX_TYPES_1_0, SELINUX_TYPES_1_31 } from '../pod-security/se-linux-options';
import { SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32, SYSCTLS_1_37 } from '../pod-security/sysctls';
import { PssLevel } from '../pod-security/types';
import { parsePssVersion } from '../pod-security/version';

const list = (items: Iterable<string>) => `[${[...items].sort().map((s) => `'${s}'`).join(', ')}]`;

/**
 * Variables every validation reads: the pod spec and metadata of a Pod, a PodTemplate or the
 * template of a pod controller (Deployment, StatefulSet, DaemonSet, ReplicaSet,
 * ReplicationController, Job, CronJob), its containers and pod security context.
 */
export const POD_VARIABLES = [
  {
    name: 'template',
    expression: "object.kind == 'Pod' ? object : object.kind == 'PodTemplate' ? object.template"
      + " : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template : object.spec.template",
  },
  { name: 'spec', expression: 'variables.template.?spec.orValue({})' },
  { name: 'meta', expression: 'variables.template.?metadata.orValue({})' },
  {
    name: 'containers',
    expression: 'variables.spec.?initContainers.orValue([]) + variables.spec.?containers.orValue([]) + variables.spec.?ephemeralContainers.orValue([])',
  },
  { name: 'psc', expression: 'variables.spec.?securityContext.orValue({})' },
  { name: 'windows', expression: "variables.spec.?os.?name.orValue('') == 'windows'" },
  { name: 'userNamespace', expression: 'variables.spec.?hostUsers.orValue(true) == false' },
];

/** Pod kinds the policies match, as resource rules. */
export const POD_RESOURCE_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'podtemplates', 'replicationcontrollers'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['cronjobs', 'jobs'] },
];

const unset = (e: string) => `${e}.orValue(null) == null`;
const validSeccomp = (e: string) => `${e}.?type.orValue('') in ['Localhost', 'RuntimeDefault']`;

function sysctlsAt(minor: number): ReadonlySet<string> {
  if (minor >= 37) return SYSCTLS_1_37;
  if (minor >= 32) return SYSCTLS_1_32;
  if (minor >= 29) return SYSCTLS_1_29;
  if (minor >= 27) return SYSCTLS_1_27;
  return SYSCTLS_1_0;
}

function seLinux(opts: string, types: ReadonlySet<string>): string {
  return `(${unset(opts)} || (${opts}.?type.orValue('') in ${list(types)} && ${opts}.?user.orValue('') == '' && ${opts}.?role.orValue('') == ''))`;
}

const procMount = "variables.containers.all(c, c.?securityContext.?procMount.orValue('Default') == 'Default')";

function hostHandlers(): string {
  const handlers = ['c.?livenessProbe', 'c.?readinessProbe', 'c.?startupProbe', 'c.?lifecycle.?postStart', 'c.?lifecycle.?preStop'];
  return `variables.containers.all(c, ${handlers.flatMap((h) => ['httpGet', 'tcpSocket'].map((a) => `${h}.?${a}.?host.orValue('') == ''`)).join(' && ')})`;
}

/** The CEL expression of one check (by upstream id) at a version (minor; latest = Infinity). */
function expressionOf(check: string, minor: number): string {
  const exempt = (cond: string, since: number, expr: string) => (minor >= since ? `${cond} || (${expr})` : expr);
  switch (check) {
    case 'hostNamespaces':
      return '!(variables.spec.?hostNetwork.orValue(false) == true || variables.spec.?hostPID.orValue(false) == true || variables.spec.?hostIPC.orValue(false) == true)';
    case 'privileged':
      return 'variables.containers.all(c, c.?securityContext.?privileged.orValue(false) != true)';
    case 'capabilities_baseline':
      return `variables.containers.all(c, c.?securityContext.?capabilities.?add.orValue([]).all(a, a in ${list(BASELINE_ALLOWED_CAPABILITIES)}))`;
    case 'hostPathVolumes':
      return `variables.spec.?volumes.orValue([]).all(v, ${unset('v.?hostPath')})`;
    case 'hostPorts':
      return 'variables.containers.all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0))';
    case 'appArmorProfile': {
      const profile = (e: string) => `(${unset(e)} || ${e}.?type.orValue('') in ['Localhost', 'RuntimeDefault'])`;
      const prefix = 'container.apparmor.security.beta.kubernetes.io/';
      return `${profile('variables.psc.?appArmorProfile')} && variables.containers.all(c, ${profile('c.?securityContext.?appArmorProfile')})`
        + ` && variables.meta.?annotations.orValue({}).all(k, !k.startsWith('${prefix}') || variables.meta.annotations[k] in ['', 'runtime/default']`
        + " || variables.meta.annotations[k].startsWith('localhost/'))";
    }
    case 'seLinuxOptions': {
      const types = minor >= 31 ? SELINUX_TYPES_1_31 : SELINUX_TYPES_1_0;
      return `${seLinux('variables.psc.?seLinuxOptions', types)} && variables.containers.all(c, ${seLinux('c.?securityContext.?seLinuxOptions', types)})`;
    }
    case 'procMount':
      return exempt('variables.userNamespace', 35, procMount);
    case 'seccompProfile_baseline': {
      if (minor >= 19) {
        return `(${unset('variables.psc.?seccompProfile')} || ${validSeccomp('variables.psc.seccompProfile')})`
          + ` && variables.containers.all(c, ${unset('c.?securityContext.?seccompProfile')} || ${validSeccomp('c.securityContext.seccompProfile')})`;
      }
      const valid = (v: string) => `(${v} in ['runtime/default', 'docker/default'] || ${v}.startsWith('localhost/'))`;
      const a = 'variables.meta.?annotations.orValue({})';
      return `(!('seccomp.security.alpha.kubernetes.io/pod' in ${a}) || ${valid(`${a}['seccomp.security.alpha.kubernetes.io/pod']`)})`
        + ` && variables.containers.all(c, !(('container.seccomp.security.alpha.kubernetes.io/' + c.?name.orValue('')) in ${a})`
        + ` || ${valid(`${a}['container.seccomp.security.alpha.kubernetes.io/' + c.?name.orValue('')]`)})`;
    }
    case 'sysctls':
      return `variables.psc.?sysctls.orValue([]).all(s, s.?name.orValue('') in ${list(sysctlsAt(minor))})`;
    case 'windowsHostProcess':
      return 'variables.psc.?windowsOptions.?hostProcess.orValue(false) != true'
        + ' && variables.containers.all(c, c.?securityContext.?windowsOptions.?hostProcess.orValue(false) != true)';
    case 'hostProbesAndHostLifecycle':
      return hostHandlers();
    case 'restrictedVolumes':
      return `variables.spec.?volumes.orValue([]).all(v, v.all(k, k == 'name' || v[k] == null || k in ${list(RESTRICTED_ALLOWED_VOLUME_SOURCES)}))`;
    case 'allowPrivilegeEscalation':
      return exempt('variables.windows', 25, 'variables.containers.all(c, c.?securityContext.?allowPrivilegeEscalation.orValue(true) == false)');
    case 'runAsNonRoot':
      return exempt('variables.userNamespace', 35, `(${unset('variables.psc.?runAsNonRoot')} || variables.psc.runAsNonRoot == true)`
        + ` && variables.containers.all(c, ${unset('c.?securityContext.?runAsNonRoot')} ? !(${unset('variables.psc.?runAsNonRoot')})`
        + ' : c.securityContext.runAsNonRoot == true)');
    case 'runAsUser':
      return exempt('variables.userNamespace', 35, 'variables.psc.?runAsUser.orValue(1) != 0 && variables.containers.all(c, c.?securityContext.?runAsUser.orValue(1) != 0)');
    case 'seccompProfile_restricted':
      return exempt('variables.windows', 25, `(${unset('variables.psc.?seccompProfile')} || ${validSeccomp('variables.psc.seccompProfile')})`
        + ` && variables.containers.all(c, ${unset('c.?securityContext.?seccompProfile')} ? !(${unset('variables.psc.?seccompProfile')})`
        + ` : ${validSeccomp('c.securityContext.seccompProfile')})`);
    case 'capabilities_restricted':
      return exempt('variables.windows', 25, "variables.containers.all(c, 'ALL' in c.?securityContext.?capabilities.?drop.orValue([])"
        + " && c.?securityContext.?capabilities.?add.orValue([]).all(a, a == 'NET_BIND_SERVICE'))");
    case 'procMount_restricted':
      return procMount;
    default:
      throw new Error(`no CEL form of Pod Security check ${check}`);
  }
}

/** One validation per check in force at `level` and `version`, with the check's rule id in the message. */
export function podSecurityValidations(level: PssLevel, version: string): Array<{ expression: string; message: string; checkId: string }> {
  const v = parsePssVersion(version);
  const minor = v === 'latest' ? Number.POSITIVE_INFINITY : v.minor;
  return checksInForce(level, v).map((c) => ({ expression: expressionOf(c.upstreamId, minor), message: `${c.id}: ${c.description}`, checkId: c.id }));
}
