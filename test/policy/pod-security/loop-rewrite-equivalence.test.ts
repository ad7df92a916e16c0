import * as fc from 'fast-check';
import { ALLOW_PRIVILEGE_ESCALATION } from '../../../src/policy/pod-security/allow-privilege-escalation';
import { asArray, asObject, containersOf, escapePointerToken, isSet, isWindowsPod, pointer, show } from '../../../src/policy/pod-security/helpers';
import { HOST_PORTS } from '../../../src/policy/pod-security/host-ports';
import { HOST_PROBES_AND_HOST_LIFECYCLE } from '../../../src/policy/pod-security/host-probes-and-host-lifecycle';
import { PRIVILEGED } from '../../../src/policy/pod-security/privileged';
import { PROC_MOUNT } from '../../../src/policy/pod-security/proc-mount';
import { PodSecurityCheck, PodSecurityViolation } from '../../../src/policy/pod-security/types';
import { toPssVersion } from '../../../src/policy/pod-security/version';

// ---------------------------------------------------------------------------------------------
// The reference: the checks as they were before their filter / map / forEach chains became plain
// loops (kept verbatim, over the container list as it was built then). Holes, `null` entries,
// strings and arrays where objects belong are generated on purpose: a loop that forgets a hole or
// an index that shifts fails here.
// ---------------------------------------------------------------------------------------------

const KIND_LABEL: Record<string, string> = { initContainers: 'init container', containers: 'container', ephemeralContainers: 'ephemeral container' };

function referenceContainers(spec: Record<string, any>) {
  const result: Array<{ container: Record<string, any>; securityContext: Record<string, any>; kind: string; path: string; label: string }> = [];
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers']) {
    asArray(spec[kind]).forEach((raw, index) => {
      const container = asObject(raw);
      const name = typeof container.name === 'string' && container.name !== '' ? container.name : `#${index}`;
      result.push({
        container,
        securityContext: asObject(container.securityContext),
        kind,
        path: pointer('/spec', kind, index),
        label: `${KIND_LABEL[kind]} ${JSON.stringify(name)}`,
      });
    });
  }
  return result;
}

function referencePrivileged(spec: Record<string, any>): PodSecurityViolation[] {
  return referenceContainers(spec)
    .filter(c => c.securityContext.privileged === true)
    .map(c => ({ message: `${c.label} must not set securityContext.privileged=true`, path: `${c.path}/securityContext/privileged` }));
}

function referenceAllowPrivilegeEscalation(spec: Record<string, any>): PodSecurityViolation[] {
  if (isWindowsPod(spec)) return [];
  return referenceContainers(spec)
    .filter(c => c.securityContext.allowPrivilegeEscalation !== false)
    .map(c => {
      const value = c.securityContext.allowPrivilegeEscalation;
      return {
        message: `${c.label} must set securityContext.allowPrivilegeEscalation=false`
          + (value === undefined || value === null ? ' (unset defaults to true)' : ` (is ${show(value)})`),
        path: `${c.path}/securityContext/allowPrivilegeEscalation`,
      };
    });
}

function referenceProcMount(spec: Record<string, any>): PodSecurityViolation[] {
  if (spec.hostUsers === false) return [];
  return referenceContainers(spec)
    .filter(c => isSet(c.securityContext.procMount) && c.securityContext.procMount !== 'Default')
    .map(c => ({ message: `${c.label} must not set securityContext.procMount to ${show(c.securityContext.procMount)}`, path: `${c.path}/securityContext/procMount` }));
}

function referenceHostPorts(spec: Record<string, any>): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  for (const c of referenceContainers(spec)) {
    asArray(c.container.ports).forEach((raw, index) => {
      const hostPort = asObject(raw).hostPort;
      if (isSet(hostPort) && Number(hostPort) !== 0) {
        violations.push({ message: `${c.label} must not set hostPort ${JSON.stringify(hostPort)} (ports[${index}].hostPort)`, path: `${c.path}/ports/${index}/hostPort` });
      }
    });
  }
  return violations;
}

function referenceHostProbes(spec: Record<string, any>): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  for (const c of referenceContainers(spec)) {
    const handlers: [string, unknown][] = [
      ['livenessProbe', c.container.livenessProbe],
      ['readinessProbe', c.container.readinessProbe],
      ['startupProbe', c.container.startupProbe],
      ['lifecycle/postStart', asObject(c.container.lifecycle).postStart],
      ['lifecycle/preStop', asObject(c.container.lifecycle).preStop],
    ];
    for (const [where, handler] of handlers) {
      for (const action of ['httpGet', 'tcpSocket']) {
        const host = asObject(asObject(handler)[action]).host;
        if (isSet(host) && host !== '') {
          violations.push({ message: `${c.label} must not set ${where.replace('/', '.')}.${action}.host (${show(host)})`, path: `${c.path}/${where}/${action}/host` });
        }
      }
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// Generated pods
// ---------------------------------------------------------------------------------------------

/** A list that may hold holes (`[a, , b]`) where the generated value is `undefined`-marked. */
function sparse<T>(item: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.array(fc.option(item, { nil: undefined, freq: 4 }), { maxLength: 4 }).map((items) => {
    const out: unknown[] = [];
    items.forEach((x, i) => {
      if (x !== undefined) out[i] = x;
    });
    out.length = items.length;
    return out;
  });
}

const odd = fc.constantFrom<unknown>(null, 'x', 0, [], true);
const host = fc.constantFrom<unknown>(undefined, null, '', 'evil.example', 0, 'h/1');
const action = fc.oneof(odd, fc.record({ host }));
const handler = fc.oneof(odd, fc.record({ httpGet: action, tcpSocket: action }, { requiredKeys: [] }));
const securityContext = fc.oneof(odd, fc.record({
  privileged: fc.constantFrom<unknown>(true, false, null, 'true'),
  allowPrivilegeEscalation: fc.constantFrom<unknown>(true, false, null, 'no'),
  procMount: fc.constantFrom<unknown>('Default', 'Unmasked', null, '', 3),
}, { requiredKeys: [] }));
const port = fc.oneof(odd, fc.record({ hostPort: fc.constantFrom<unknown>(undefined, null, 0, '0', 8080, 'x', '') }, { requiredKeys: [] }));
const container = fc.oneof(odd, fc.record({
  name: fc.constantFrom<unknown>('app', '', 'a/b~c', 7, undefined),
  securityContext,
  ports: fc.oneof(odd, sparse(port)),
  livenessProbe: handler,
  readinessProbe: handler,
  startupProbe: handler,
  lifecycle: fc.oneof(odd, fc.record({ postStart: handler, preStop: handler }, { requiredKeys: [] })),
}, { requiredKeys: [] }));
const spec = fc.record({
  initContainers: fc.oneof(odd, sparse(container)),
  containers: fc.oneof(odd, sparse(container)),
  ephemeralContainers: fc.oneof(odd, sparse(container)),
  os: fc.constantFrom<unknown>(undefined, { name: 'windows' }, { name: 'linux' }),
  hostUsers: fc.constantFrom<unknown>(undefined, false, true),
}, { requiredKeys: [] });

const LATEST = toPssVersion('latest');

const CASES: Array<[string, PodSecurityCheck, (spec: Record<string, any>) => PodSecurityViolation[]]> = [
  ['PSS-Privileged', PRIVILEGED, referencePrivileged],
  ['PSS-AllowPrivilegeEscalation', ALLOW_PRIVILEGE_ESCALATION, referenceAllowPrivilegeEscalation],
  ['PSS-ProcMount', PROC_MOUNT, referenceProcMount],
  ['PSS-HostPorts', HOST_PORTS, referenceHostPorts],
  ['PSS-HostProbesAndHostLifecycle', HOST_PROBES_AND_HOST_LIFECYCLE, referenceHostProbes],
];

describe('Pod Security checks written as plain loops', () => {
  test('the container list is the one forEach built (holes skipped, indexes kept, paths and labels alike)', () => {
    fc.assert(fc.property(spec, (s) => {
      const fast = containersOf(s as Record<string, any>).map((c) => ({ ...c }));
      expect(fast).toEqual(referenceContainers(s as Record<string, any>));
    }), { numRuns: 400 });
  });

  test.each(CASES)('%s finds what the filter / map / forEach version found', (_id, check, reference) => {
    fc.assert(fc.property(spec, (s) => {
      expect(check.evaluate({ metadata: {}, spec: s as Record<string, any> }, LATEST)).toEqual(reference(s as Record<string, any>));
    }), { numRuns: 400 });
  });

  test('a hole in the middle of a list keeps the index of what follows it', () => {
    // eslint-disable-next-line no-sparse-arrays
    const containers = [, { name: 'b', securityContext: { privileged: true }, ports: [, { hostPort: 1 }] }];
    const pod = { metadata: {}, spec: { containers } };
    const found = [...PRIVILEGED.evaluate(pod, LATEST) ?? [], ...HOST_PORTS.evaluate(pod, LATEST) ?? []];
    expect(found.map((v) => v.path)).toEqual(['/spec/containers/1/securityContext/privileged', '/spec/containers/1/ports/1/hostPort']);
  });

  test('pointer joins escaped tokens as before', () => {
    expect(pointer('/spec', 'a/b', 'c~d', 3)).toBe(`/spec/${escapePointerToken('a/b')}/${escapePointerToken('c~d')}/3`);
    expect(pointer('/spec', 'a/b', 'c~d', 3)).toBe('/spec/a~1b/c~0d/3');
    expect(pointer('/x')).toBe('/x');
  });
});
