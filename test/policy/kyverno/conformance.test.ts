import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { describeWithKyvernoFixtures, KYVERNO_FIXTURES_DIR, kyvernoFixturesAvailable } from './fixtures';
import { evaluatePacks } from '../../../src/policy/engine';
import { KyvernoPolicies } from '../../../src/policy/kyverno';
import { runKyvernoTests } from '../../../src/policy/kyverno/test-runner';

/** kyverno/policies b9c4317c: 16 policies, each with its .kyverno-test folder. */
const EXPECTED_TESTS = 16;
/** Expected results (one per result row and resource) in those tests. */
const EXPECTED_ROWS = 215;

/**
 * Rows that cannot match, with the reason. Empty: every expected result of the fixtures matches.
 * (A row listed here still runs; the test fails if it starts matching, so the list stays honest.)
 */
const KNOWN_GAPS: Record<string, string> = {};

const run = kyvernoFixturesAvailable() ? runKyvernoTests(KYVERNO_FIXTURES_DIR) : undefined;
const rowKey = (r: { policy: string; rule: string; kind: string; resource: string }) => `${r.policy}/${r.rule} ${r.kind}/${r.resource}`;

describeWithKyvernoFixtures('Kyverno conformance (kyverno/policies .kyverno-test fixtures)', () => {
  test('inventory: every policy folder has its test, every test its rows', () => {
    const folders = fs.readdirSync(KYVERNO_FIXTURES_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders).toHaveLength(EXPECTED_TESTS);
    expect(run!.testFiles).toEqual(folders.sort().map((f) => `${f}/.kyverno-test/kyverno-test.yaml`));
    expect(run!.rows).toHaveLength(EXPECTED_ROWS);
    const matched = run!.rows.filter((r) => r.ok).length;
    // eslint-disable-next-line no-console
    console.log(`Kyverno conformance: ${matched}/${run!.rows.length} expected results match (${run!.testFiles.length} kyverno-test.yaml, `
      + `${Object.keys(KNOWN_GAPS).length} known gaps) from ${KYVERNO_FIXTURES_DIR}`);
    // every result kind is exercised: pass and fail on Pods, autogen rules on Deployments and CronJobs
    const kinds = new Set(run!.rows.map((r) => `${r.kind}:${r.expected}`));
    for (const k of ['Pod:pass', 'Pod:fail', 'Deployment:pass', 'Deployment:fail', 'CronJob:pass', 'CronJob:fail']) expect(kinds).toContain(k);
  });

  test.each((run?.rows ?? []).map((r) => [`${r.file}: ${rowKey(r)} expected ${r.expected}`, r] as const))('%s', (_name, row) => {
    const gap = KNOWN_GAPS[rowKey(row)];
    if (gap) {
      expect(row.ok).toBe(false);
      return;
    }
    if (!row.ok) throw new Error(`expected ${row.expected}, got ${row.got}: ${row.message}`);
  });

  test('the same policies as PolicyPacks give a finding exactly on the resources expected to fail', () => {
    for (const file of run!.testFiles) {
      const testFile = path.join(KYVERNO_FIXTURES_DIR, file);
      const dir = path.dirname(testFile);
      const spec = parseAllDocuments(fs.readFileSync(testFile, 'utf8'))[0].toJS();
      const pack = KyvernoPolicies.fromFile(path.resolve(dir, spec.policies[0]));
      const objects = spec.resources.flatMap((r: string) => parseAllDocuments(fs.readFileSync(path.resolve(dir, r), 'utf8'))
        .map((d) => d.toJS()).filter((o: any) => o && o.kind));
      const result = evaluatePacks([pack], objects.map((manifest: any) => ({ manifest })));
      expect(pack.unsupportedFeatures).toEqual([]);
      for (const row of spec.results) {
        for (const name of row.resources) {
          const bare = name.includes('/') ? name.split('/')[1] : name;
          const findings = result.findings.filter((f) => f.resource?.kind === row.kind && f.resource?.name === bare
            && f.message.startsWith(`${row.policy}/${row.rule}`));
          if (row.result === 'fail') expect(findings.length).toBeGreaterThan(0);
          else expect(findings).toEqual([]);
        }
      }
    }
  });
});
