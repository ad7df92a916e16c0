import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { runKyvernoTests } from '../../../src/policy/kyverno/test-runner';

/** `$CONFORMANCE_FIXTURES/kyverno-cel`, or `../shared/fixtures/kyverno-cel` next to the checkout. */
const DIR = path.join(process.env.CONFORMANCE_FIXTURES ?? path.resolve(__dirname, '../../../../shared/fixtures'), 'kyverno-cel');
const available = fs.existsSync(DIR) && fs.statSync(DIR).isDirectory();
if (!available) {
  // eslint-disable-next-line no-console
  console.warn(`Kyverno CEL conformance: skipped: fixtures not found in ${DIR}; set CONFORMANCE_FIXTURES to the directory holding kyverno-cel/`);
}
const describeIf = available ? describe : describe.skip;

/** kyverno/policies b9c4317c: 63 test folders (ValidatingPolicy and validate.cel), 301 result entries. */
const EXPECTED_TESTS = 63;
const EXPECTED_ENTRIES = 301;

const run = available ? runKyvernoTests(DIR) : undefined;

describeIf('Kyverno CEL conformance (kyverno/policies pod-security / best-practices, vpol and cel)', () => {
  test('inventory: every test file, every result entry and resource, all kinds of results', () => {
    expect(run!.testFiles).toHaveLength(EXPECTED_TESTS);
    const entries = run!.testFiles.reduce((n, f) => n + parseAllDocuments(fs.readFileSync(path.join(DIR, f), 'utf8'))[0].toJS().results.length, 0);
    expect(entries).toBe(EXPECTED_ENTRIES);
    const names = new Set(run!.rows.map((r) => `${r.file} ${r.policy}/${r.rule} ${r.kind}/${r.resource}`));
    expect(names.size).toBeGreaterThanOrEqual(EXPECTED_ENTRIES);
    const kinds = new Set(run!.rows.map((r) => `${r.rule === '' ? 'vpol' : 'cel'}:${r.kind}:${r.expected}`));
    for (const k of ['vpol:Pod:pass', 'vpol:Pod:fail', 'vpol:Deployment:fail', 'vpol:CronJob:fail', 'cel:Pod:fail', 'cel:Deployment:fail', 'cel:CronJob:pass']) expect(kinds).toContain(k);
    expect(run!.rows.some((r) => r.expected === 'skip')).toBe(true);
    // eslint-disable-next-line no-console
    console.log(`Kyverno CEL conformance: ${run!.passed}/${run!.rows.length} expected results match (${run!.testFiles.length} kyverno-test.yaml) from ${DIR}`);
  });

  test.each((run?.rows ?? []).map((r) => [`${r.file}: ${r.policy}${r.rule ? `/${r.rule}` : ''} ${r.kind}/${r.resource} expected ${r.expected}`, r] as const))('%s', (_name, row) => {
    expect(row.got).not.toBe('unsupported');
    if (!row.ok) throw new Error(`expected ${row.expected}, got ${row.got}: ${row.message}`);
  });
});
