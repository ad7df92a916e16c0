import { INPUT, NASTY } from './fixture';
import { findAll, parseXml, XmlElement } from './xml-parse';
import { renderReport, ReportInput } from '../../../src/policy/reports';
import { Severity } from '../../../src/policy/severity';

describe('xml-parse (the test helper) rejects malformed XML', () => {
  test.each([
    ['<a><b></a></b>', /Mismatched/],
    ['<a x="1" x="2"/>', /Duplicate attribute/],
    ['<a x="<"/>', /'<' in attribute/],
    ['<a>&foo;</a>', /Unknown entity/],
    ['<a>AT&T</a>', /Unterminated reference|Unknown entity/],
    ['<a/><b/>', /Second root/],
    ['<a>', /Unclosed/],
    ['<a>\u0001</a>', /forbids/],
    ['<a x=1/>', /Unquoted/],
  ])('%s', (xml, error) => {
    expect(() => parseXml(xml)).toThrow(error);
  });

  test('accepts and decodes well-formed input', () => {
    const root = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="&quot;&#10;&apos;">&lt;&amp;&gt;&#x1F418;<b/></a>\n');
    expect(root.attributes.x).toBe('"\n\'');
    expect(root.text).toBe('<&>🐘');
    expect(root.children.map(c => c.name)).toEqual(['b']);
  });
});

describe('junit report', () => {
  const xml = renderReport('junit', INPUT);
  const root = parseXml(xml);
  const suites = findAll(root, 'testsuite');
  const cases = findAll(root, 'testcase');
  const has = (el: XmlElement, child: string) => el.children.some(c => c.name === child);

  test('is well-formed XML with a declaration, LF line ends and a trailing newline', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(xml.endsWith('</testsuites>\n')).toBe(true);
    expect(xml).not.toContain('\r');
    expect(root.name).toBe('testsuites');
  });

  test('one testsuite per pack, sorted, with the pack version as a property', () => {
    expect(suites.map(s => s.attributes.name)).toEqual(['data-protection', 'gitops-hygiene', 'pod-security-restricted', 'production-readiness']);
    const pss = suites.find(s => s.attributes.name === 'pod-security-restricted')!;
    expect(findAll(pss, 'property').map(p => p.attributes)).toEqual([{ name: 'pack.version', value: 'v1.31' }]);
    expect(findAll(suites.find(s => s.attributes.name === 'gitops-hygiene')!, 'properties')).toEqual([]);
  });

  test('one failing test per unsuppressed error or warning finding (plus unused suppressions)', () => {
    const failing = cases.filter(c => has(c, 'failure'));
    const findingFailures = failing.filter(c => findAll(c, 'failure')[0].attributes.type !== 'unused-suppression');
    const expected = INPUT.findings.filter(f => !f.suppressed && f.severity !== Severity.INFO);
    expect(findingFailures).toHaveLength(expected.length);
    expect(findingFailures.map(c => c.attributes.classname).sort()).toEqual(expected.map(f => `${f.packId}.${f.ruleId}`).sort());
    const unused = failing.filter(c => findAll(c, 'failure')[0].attributes.type === 'unused-suppression');
    expect(unused.map(c => [c.attributes.classname, c.attributes.name])).toEqual([
      ['gitops-hygiene.GITOPS-NamespaceScoped', 'unused suppression on ClusterRole legacy-admin'],
      ['pod-security-restricted.PSS-Privileged', 'unused suppression on App/prod/Queue'],
    ]);
    expect(findAll(unused[1], 'failure')[0].attributes.message)
      .toBe('unused suppression of PSS-Privileged (suppresses no finding): Legacy <broker> needs "privileged" & more');
  });

  test('a failure names the severity and message, and details the object, location and fix', () => {
    const c = cases.find(x => x.attributes.name === 'StatefulSet db/orders-pg (dist/prod/orders.k8s.yaml:42)'
      && x.attributes.classname === 'pod-security-restricted.PSS-RunAsNonRoot')!;
    const failure = findAll(c, 'failure')[0];
    expect(failure.attributes).toEqual({ message: 'Container "postgres" does not set securityContext.runAsNonRoot: true', type: 'error' });
    expect(failure.text).toContain('Object: apps/v1 StatefulSet db/orders-pg');
    expect(failure.text).toContain('Location: dist/prod/orders.k8s.yaml:42');
    expect(failure.text).toContain('Field: /spec/template/spec/containers/0/securityContext');
    expect(failure.text).toContain('Fix: Set securityContext.runAsNonRoot: true and a non-zero runAsUser.');
  });

  test('unusual characters are escaped and survive a round trip in attributes and text', () => {
    const c = cases.find(x => x.attributes.classname === 'production-readiness.PROD-ResourceLimits')!;
    const failure = findAll(c, 'failure')[0];
    expect(failure.attributes.message).toBe(NASTY);
    expect(failure.attributes.type).toBe('warning');
    expect(failure.text.startsWith(NASTY)).toBe(true);
    expect(failure.text).toContain('<limits> & "requests"');
    expect(xml).not.toMatch(/<tag attr/);
  });

  test('suppressed findings are skipped with the reason; infos pass with their message; not-evaluable rules are skipped', () => {
    const skipped = cases.filter(c => has(c, 'skipped'));
    expect(skipped.map(c => findAll(c, 'skipped')[0].attributes.message)).toEqual([
      'not evaluable: Model rule: needs the ReplicatedDatabase construct, not plain YAML',
      'suppressed: Dev only: throwaway credentials for the local kind cluster',
      'suppressed: The exporter image runs as root upstream; tracked in OPS-1234 <until 2025-12>',
    ]);
    const info = cases.find(c => c.attributes.classname === 'production-readiness.PROD-ImageDigest')!;
    expect(has(info, 'failure') || has(info, 'skipped')).toBe(false);
    expect(findAll(info, 'system-out')[0].text).toMatch(/^Image "postgres:17\.2" is pinned by tag/);
    const notEvaluable = cases.find(c => c.attributes.classname === 'data-protection.DATA-RetainOnDelete')!;
    expect(has(notEvaluable, 'skipped')).toBe(true);
  });

  test('a rule without findings is one passing test case', () => {
    const passing = cases.filter(c => c.attributes.name === 'no findings');
    expect(passing.map(c => c.attributes.classname)).toEqual(['pod-security-restricted.PSS-Privileged']);
    expect(passing[0].children).toEqual([]);
  });

  test('counts on testsuites and every testsuite match their test cases', () => {
    for (const el of [root, ...suites]) {
      const own = findAll(el, 'testcase');
      expect(Number(el.attributes.tests)).toBe(own.length);
      expect(Number(el.attributes.failures)).toBe(own.filter(c => has(c, 'failure')).length);
      expect(Number(el.attributes.skipped)).toBe(own.filter(c => has(c, 'skipped')).length);
      expect(el.attributes.errors).toBe('0');
      expect(el.attributes).not.toHaveProperty('timestamp');
    }
    expect(root.attributes).toMatchObject({ tests: '11', failures: '6', skipped: '3' });
  });

  test('test case names are unique within a class name', () => {
    const dup = { ...INPUT.findings[0], message: 'other container, same line' };
    const r = parseXml(renderReport('junit', { ...INPUT, findings: [...INPUT.findings, dup] }));
    const keys = findAll(r, 'testcase').map(c => `${c.attributes.classname}/${c.attributes.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('pod-security-restricted.PSS-RunAsNonRoot/StatefulSet db/orders-pg (dist/prod/orders.k8s.yaml:42) #2');
  });

  test('characters XML cannot carry are replaced; line breaks in attributes are kept as references', () => {
    const evil: ReportInput = {
      ...INPUT,
      findings: [{ ruleId: 'X-Evil', packId: 'x', severity: Severity.ERROR, message: 'a\u0000b\u001bc\ud800d\nnext\ttab', suppressed: false }],
    };
    const out = renderReport('junit', evil);
    const failure = findAll(parseXml(out), 'failure').find(f => f.attributes.type === 'error')!;
    expect(failure.attributes.message).toBe('a\ufffdb\ufffdc\ufffdd\nnext\ttab');
    expect(out).toContain('&#10;next&#9;tab');
  });

  test('the timestamp appears on testsuites and testsuite only when given', () => {
    const r = parseXml(renderReport('junit', { ...INPUT, timestamp: '2025-01-02T03:04:05' }));
    expect(r.attributes.timestamp).toBe('2025-01-02T03:04:05');
    expect(findAll(r, 'testsuite').every(s => s.attributes.timestamp === '2025-01-02T03:04:05')).toBe(true);
  });

  test('an empty run is a valid, empty document', () => {
    const out = renderReport('junit', { findings: [], rules: [], packs: [], objectsChecked: 0, toolVersion: '1' });
    const r = parseXml(out);
    expect(r.attributes).toMatchObject({ tests: '0', failures: '0', skipped: '0' });
    expect(r.children).toEqual([]);
  });
});
