import { canonicalOperator, evaluateOperator } from '../../../src/policy/kyverno/conditions';
import { evaluateConditions } from '../../../src/policy/kyverno/engine';
import { KyvernoContext } from '../../../src/policy/kyverno/variables';

// Cases from Kyverno's own operator tests (pkg/engine/variables/operator/*_test.go) and the docs.
describe('Equals / NotEquals', () => {
  test.each([
    ['a', 'a', true], ['nginx:1.27', 'nginx:*', true], ['nginx', 'ngin?', true], ['a', 'b', false], [1, 1, true], [1, '1', true], [1, 1.5, false],
    [1.5, '1.5', true], [true, true, true], [true, 'true', false], ['1h', '60m', true], ['1h', 3600, true], ['90s', '1m30s', true],
    ['1Gi', '1024Mi', true], ['100m', '0.1', true], [{ a: 1 }, { a: 1 }, true], [{ a: 1 }, { a: 2 }, false], [[1, 2], [1, 2], true],
    [[1, 2], [2, 1], false], [null, null, false], ['', '', true], ['x', 1, false],
  ])('Equals(%j, %j) = %s', (key, value, expected) => {
    expect(evaluateOperator('Equals', key, value)).toBe(expected);
    expect(evaluateOperator('Equal', key, value)).toBe(expected);
    expect(evaluateOperator('equals', key, value)).toBe(expected);
  });

  test.each([
    ['CREATE', 'DELETE', true], ['DELETE', 'DELETE', false], ['nginx:1', 'nginx:*', false], [1, 2, true], [1, '1', false], [true, false, true],
    ['x', 1, true], [{ a: 1 }, 'x', true], ['1h', '3600s', false], ['1Gi', '1G', true], [null, 'x', false],
  ])('NotEquals(%j, %j) = %s', (key, value, expected) => {
    expect(evaluateOperator('NotEquals', key, value)).toBe(expected);
    expect(evaluateOperator('NotEqual', key, value)).toBe(expected);
  });
});

describe('AnyIn / AllIn / AnyNotIn / AllNotIn', () => {
  test.each([
    // key, value, AnyIn, AllIn, AnyNotIn, AllNotIn
    ['kyverno', 'kyverno', true, true, false, false],
    ['kube-system', ['default', 'kube-*'], true, true, false, false],
    ['kyverno', 'default', false, false, true, true],
    [64, '64', true, true, false, false],
    [1, [1, 2, 3], true, true, false, false],
    [3.14, '3.14', true, true, false, false],
    [['kube-system', 'kube-public'], 'kube-*', true, true, false, false],
    [['kube-system', 'default'], 'kube-system', true, false, true, false],
    [['default', 'kyverno'], 'kube-*', false, false, true, true],
    [['default', 'kyverno'], ['kube-*', 'ky*'], true, false, true, false],
    [['default', 'kyverno'], ['kube-*', 'kube-system'], false, false, true, true],
    [[], ['default'], false, true, false, true],
    ['', ['default', 'kyverno'], false, false, true, true],
    ['5', '1-10', true, true, false, false],
    ['0', '1-10', false, false, true, true],
    [['0', '5'], '1-10', true, false, true, false],
    ['apple', '["apple", "banana"]', true, true, false, false],
    [['apple', 'cherry'], '["apple", "banana"]', true, false, true, false],
    [[1, 2, 3], 2, true, false, true, false],
    [[true, false], true, true, false, true, false],
    [{ foo: 'bar' }, 'test', false, false, false, false],
  ])('%j in %j', (key, value, anyIn, allIn, anyNotIn, allNotIn) => {
    expect([
      evaluateOperator('AnyIn', key, value), evaluateOperator('AllIn', key, value),
      evaluateOperator('AnyNotIn', key, value), evaluateOperator('AllNotIn', key, value),
    ]).toEqual([anyIn, allIn, anyNotIn, allNotIn]);
  });

  test('the deprecated In / NotIn: exact membership, a list key must be wholly in the values', () => {
    expect(evaluateOperator('In', 'a', ['a', 'b'])).toBe(true);
    expect(evaluateOperator('In', ['a', 'b'], ['a', 'b', 'c'])).toBe(true);
    expect(evaluateOperator('In', ['a', 'x'], ['a', 'b'])).toBe(false);
    expect(evaluateOperator('NotIn', 'x', ['a', 'b'])).toBe(true);
    expect(evaluateOperator('NotIn', ['a', 'x'], ['a', 'b'])).toBe(true);
    expect(evaluateOperator('In', 'a', true)).toBe(false);
  });
});

describe('GreaterThan / LessThan (numbers, quantities, durations, versions)', () => {
  test.each([
    ['GreaterThan', 10, 5, true], ['GreaterThan', 10, '5.5', true], ['GreaterThan', 25, 20.5, true], ['GreaterThan', 5, 5, false],
    ['LessThan', 5, 10, true], ['LessThan', 100, 50, false], ['GreaterThanOrEquals', 10.5, 10, true], ['GreaterThanOrEquals', 3.14, 3.14, true],
    ['GreaterThanOrEquals', 2.5, 5, false], ['LessThanOrEquals', 64, 64, true],
    ['GreaterThan', '10.5', 10, true], ['GreaterThan', '100', 50, true], ['GreaterThan', '25.5', '20.0', true],
    ['GreaterThan', '200m', '100m', true], ['GreaterThan', '1Gi', '500Mi', true], ['LessThan', '256Mi', '1Gi', true],
    ['GreaterThanOrEquals', '500m', '500m', true], ['LessThanOrEquals', '2Gi', '2Gi', true],
    ['GreaterThan', '1.2.0', '1.1.0', true], ['LessThan', '1.0.0', '2.0.0', true], ['LessThan', '1.0.0-alpha', '1.0.0', true],
    ['GreaterThan', '2h', '90m', true], ['LessThan', '30s', 60, true], ['GreaterThan', 7200, '1h', true],
    ['GreaterThan', true, false, false], ['GreaterThan', null, '100', false], ['GreaterThan', ['a'], '1', false], ['GreaterThan', 10, true, false],
    ['GreaterThan', 10, 'not-a-number', false],
  ])('%s(%j, %j) = %s', (op, key, value, expected) => {
    expect(evaluateOperator(op as string, key, value)).toBe(expected);
  });

  test.each([
    ['DurationGreaterThan', '2h', '1h', true], ['DurationLessThan', '2h', '1h', false], ['DurationGreaterThanOrEquals', '1h', 3600, true],
    ['DurationLessThanOrEquals', 59, '1m', true], ['DurationGreaterThan', 'x', '1h', false],
  ])('%s(%j, %j) = %s', (op, key, value, expected) => {
    expect(evaluateOperator(op as string, key, value)).toBe(expected);
  });

  test('operators are case-insensitive; unknown ones are refused', () => {
    expect(canonicalOperator('anyin')).toBe('AnyIn');
    expect(canonicalOperator('Contains')).toBeUndefined();
    expect(() => evaluateOperator('Contains', 'a', 'a')).toThrow(/unknown condition operator "Contains"/);
  });
});

describe('any / all condition blocks and variables', () => {
  const ctx = new KyvernoContext({ request: { operation: 'CREATE', object: { metadata: { name: 'web', labels: { app: 'web' } } } } });

  test('all: every condition; any: one condition; both: both', () => {
    const yes = { key: '{{ request.operation }}', operator: 'Equals', value: 'CREATE' };
    const no = { key: '{{ request.operation }}', operator: 'Equals', value: 'DELETE' };
    expect(evaluateConditions(ctx, { all: [yes, yes] })).toBe(true);
    expect(evaluateConditions(ctx, { all: [yes, no] })).toBe(false);
    expect(evaluateConditions(ctx, { any: [no, yes] })).toBe(true);
    expect(evaluateConditions(ctx, { any: [no, no] })).toBe(false);
    expect(evaluateConditions(ctx, { any: [yes], all: [no] })).toBe(false);
    expect(evaluateConditions(ctx, [yes, yes])).toBe(true);
    expect(evaluateConditions(ctx, [yes, no])).toBe(false);
    expect(evaluateConditions(ctx, { any: [] })).toBe(false);
    expect(evaluateConditions(ctx, undefined)).toBe(true);
  });

  test('an unresolvable variable in a condition is an empty string (Kyverno), with || defaults available', () => {
    expect(evaluateConditions(ctx, [{ key: '{{ request.object.metadata.labels.team }}', operator: 'Equals', value: '' }])).toBe(true);
    expect(evaluateConditions(ctx, [{ key: '{{ unknown.variable }}', operator: 'Equals', value: '' }])).toBe(true);
    expect(evaluateConditions(ctx, [{ key: "{{ request.object.metadata.labels.team || 'none' }}", operator: 'Equals', value: 'none' }])).toBe(true);
    expect(evaluateConditions(ctx, [{ key: "{{ request.operation || 'BACKGROUND' }}", operator: 'AnyIn', value: ['CREATE', 'UPDATE'] }])).toBe(true);
  });

  test('variables keep their type when they are the whole string, and are written into longer strings', () => {
    expect(evaluateConditions(ctx, [{ key: '{{ request.object.metadata.labels }}', operator: 'Equals', value: { app: 'web' } }])).toBe(true);
    expect(evaluateConditions(ctx, [{ key: 'name={{ request.object.metadata.name }}', operator: 'Equals', value: 'name=web' }])).toBe(true);
    expect(evaluateConditions(ctx, [{ key: 'web', operator: 'AnyIn', value: ['{{ request.object.metadata.name }}', 'api'] }])).toBe(true);
  });
});
