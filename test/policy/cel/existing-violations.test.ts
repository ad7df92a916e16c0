import { evaluateCelValidations } from '../../../src/policy/cel/evaluate';
import { allowExistingViolations } from '../../../src/policy/cel/existing-violations';

describe('allowExistingViolations', () => {
  const body = {
    matchConditions: [{ name: 'named', expression: "object.metadata.name != 'object'" }],
    variables: [{ name: 'spec', expression: 'object.spec' }, { name: 'objects', expression: 'variables.spec.?object.orValue([])' }],
    validations: [{ expression: "variables.objects.all(o, o != \"object\") && object.kind == 'Thing'", message: 'no "object"' }],
  };

  test('object and the variables are read from oldObject; string literals and fields named object are kept', () => {
    const r = allowExistingViolations(body);
    expect(r.matchConditions).toEqual(body.matchConditions);
    expect(r.variables.slice(2)).toEqual([{ name: 'oldSpec', expression: 'oldObject.spec' }, { name: 'oldObjects', expression: 'variables.oldSpec.?object.orValue([])' }]);
    expect(r.validations[0].expression).toBe("(variables.objects.all(o, o != \"object\") && object.kind == 'Thing') || (request.operation == 'UPDATE'"
      + " && (oldObject.metadata.name != 'object') && !(variables.oldObjects.all(o, o != \"object\") && oldObject.kind == 'Thing'))");
    expect(r.validations[0].message).toBe('no "object"');
  });

  test('evaluated: CREATE strict, UPDATE of an object that failed admitted, of one that passed or was not matched denied', () => {
    const r = allowExistingViolations(body);
    const thing = (name: string, object: string[]) => ({ apiVersion: 'v1', kind: 'Thing', metadata: { name }, spec: { object } });
    const status = (object: any, oldObject?: any) => evaluateCelValidations(r, { object, oldObject, operation: oldObject ? 'UPDATE' : 'CREATE' }).status;
    expect(status(thing('a', ['object']))).toBe('fail');
    expect(status(thing('a', ['object']), thing('a', ['object', 'x']))).toBe('pass');
    expect(status(thing('a', ['object']), thing('a', ['x']))).toBe('fail');
    expect(status(thing('a', ['object']), thing('object', ['object']))).toBe('fail');
    expect(status(thing('a', ['x']), thing('a', ['object']))).toBe('pass');
  });

  test('a reference to an undeclared variable, or a declared old name, is a programming error', () => {
    expect(() => allowExistingViolations({ ...body, validations: [{ expression: 'variables.other', message: 'm' }] })).toThrow(/variables.other/);
    expect(() => allowExistingViolations({ ...body, variables: [...body.variables, { name: 'oldSpec', expression: 'true' }] })).toThrow(/oldSpec/);
  });
});
