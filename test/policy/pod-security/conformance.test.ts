import { loadPssFixtures, PSS_FIXTURES_DIR, pssFixturesAvailable, readFixture } from './fixtures';
import { evaluatePacks } from '../../../src/policy/engine';
import { PolicyPacks } from '../../../src/policy/packs/policy-packs';
import {
  checksInForce, evaluatePodSecurity, findPodSecurityCheck, overridingCheck, parsePssVersion, podTemplates,
} from '../../../src/policy/pod-security';

/** Number of files in the shared copy (kubernetes/pod-security-admission 8f84a87c, test/testdata, v1.28). */
const EXPECTED_FIXTURE_COUNT = 126;

const available = pssFixturesAvailable();
if (!available) {
  // eslint-disable-next-line no-console
  console.warn(`Pod Security Standards conformance: skipped: fixtures not found in ${PSS_FIXTURES_DIR}; `
    + 'set CONFORMANCE_FIXTURES to the directory holding pod-security/');
}
const describeConformance = available ? describe : describe.skip;
const fixtures = available ? loadPssFixtures() : [];
const passing = fixtures.filter(f => f.expect === 'pass');
const failing = fixtures.filter(f => f.expect === 'fail');

function describeResults(results: ReturnType<typeof evaluatePodSecurity>): string {
  return results.map(r => `${r.check.id}: ${r.violation.message} @ ${r.violation.pointer}`).join('\n');
}

describeConformance('Pod Security Standards conformance (kubernetes/pod-security-admission fixtures)', () => {
  test('fixture inventory', () => {
    // eslint-disable-next-line no-console
    console.log(`Pod Security Standards conformance: ${fixtures.length} fixtures (${passing.length} pass, ${failing.length} fail) `
      + `from ${PSS_FIXTURES_DIR}`);
    expect(fixtures.length).toBe(EXPECTED_FIXTURE_COUNT);
    expect(passing.length).toBeGreaterThan(0);
    expect(failing.length).toBeGreaterThan(0);
  });

  test.each(fixtures.map(f => [f.relativePath, f] as const))('%s is a v1 Pod named after its file', (_name, fixture) => {
    const pod = readFixture(fixture);
    expect(pod.apiVersion).toBe('v1');
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata.name).toBe(fixture.name);
    expect(podTemplates(pod)).toHaveLength(1);
  });

  test.each(passing.map(f => [f.relativePath, f] as const))('%s is allowed', (_name, fixture) => {
    const results = evaluatePodSecurity(readFixture(fixture), fixture.level, parsePssVersion(fixture.version));
    if (results.length > 0) {
      throw new Error(`expected no violation, got:\n${describeResults(results)}`);
    }
  });

  test.each(failing.map(f => [f.relativePath, f] as const))('%s is denied by its own check', (_name, fixture) => {
    const version = parsePssVersion(fixture.version);
    const pod = readFixture(fixture);
    const results = evaluatePodSecurity(pod, fixture.level, version);
    expect(results.length).toBeGreaterThan(0);

    // The fixture family names a check of the standard, which exists in this version...
    const named = findPodSecurityCheck(fixture.prefix);
    expect(named?.upstreamId.toLowerCase()).toBe(fixture.prefix);
    expect(named!.existsIn(version)).toBe(true);
    // ...which flags the pod on its own...
    const own = named!.evaluate(podTemplates(pod)[0].pod, version);
    expect(own?.length ?? 0).toBeGreaterThan(0);
    // ...and the check reporting it is that check, or the restricted check that replaces it at this level and
    // version (upstream OverrideCheckIDs, e.g. capabilities_restricted for capabilities_baseline).
    const reporting = overridingCheck(named!, fixture.level, version) ?? named!;
    const violated = new Set(results.map(r => r.check.upstreamId));
    if (!violated.has(reporting.upstreamId)) {
      throw new Error(`expected a ${reporting.upstreamId} violation for ${fixture.prefix}, got:\n${describeResults(results)}`);
    }
  });

  test.each(['baseline', 'restricted'] as const)('every %s check in force at v1.28 has a failing fixture', (level) => {
    const families = new Set(failing.filter(f => f.level === level).map(f => findPodSecurityCheck(f.prefix)?.upstreamId));
    const inForce = checksInForce(level, 'v1.28').map(c => c.upstreamId);
    const uncovered = inForce.filter(id => !families.has(id));
    expect(uncovered).toEqual([]);
  });
});

// The same fixtures through the packs users apply (PolicyPacks + the engine), not only the checks.
describeConformance('Pod Security packs conformance (PolicyPacks through the policy engine)', () => {
  test.each(fixtures.map(f => [f.relativePath, f] as const))('%s', (_name, fixture) => {
    const pack = fixture.level === 'baseline'
      ? PolicyPacks.podSecurityBaseline({ version: fixture.version.replace(/^v/, '') })
      : PolicyPacks.podSecurityRestricted({ version: fixture.version.replace(/^v/, '') });
    const findings = evaluatePacks([pack], [{ manifest: readFixture(fixture) }]).findings;
    if (fixture.expect === 'pass') expect(findings).toEqual([]);
    else expect(findings.length).toBeGreaterThan(0);
  });
});
