import * as fs from 'fs';
import { CORE_VALIDATORS_FILE, generateCoreValidators } from '../../projenrc/core-validators';
import { findCoreValidator, objectMetaValidator } from '../../src/validation/core';

describe('schemas/core-validators.js (generated from kubernetes-models)', () => {
  test('is up to date: `npx projen core-validators` regenerates the committed file', () => {
    expect(fs.readFileSync(CORE_VALIDATORS_FILE, 'utf8') === generateCoreValidators()).toBe(true);
  });

  test('has the top-level kinds, not their lists or sub-definitions', () => {
    expect(findCoreValidator('apps/v1', 'StatefulSet')).toBeInstanceOf(Function);
    expect(findCoreValidator('policy/v1', 'PodDisruptionBudget')).toBeInstanceOf(Function);
    expect(findCoreValidator('v1', 'PodList')).toBeUndefined();
    expect(findCoreValidator('apps/v1', 'StatefulSetSpec')).toBeUndefined();
    expect(findCoreValidator('v1', 'constructor')).toBeUndefined();
    expect(objectMetaValidator()({ name: 'a', labels: { a: 1 } })).toBe(false);
  });

  test('formats that kubernetes-models defines itself (quantity, byte) are checked', () => {
    const validate = findCoreValidator('v1', 'Secret')!;
    expect(validate({ apiVersion: 'v1', kind: 'Secret', data: { a: 'not base64!' } })).toBe(false);
    expect(validate({ apiVersion: 'v1', kind: 'Secret', data: { a: 'YWJj' } })).toBe(true);
    const pvc = findCoreValidator('v1', 'PersistentVolumeClaim')!;
    expect(pvc({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { resources: { requests: { storage: '10Gi' } } } })).toBe(true);
    expect(pvc({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { resources: { requests: { storage: '10 gigs' } } } })).toBe(false);
  });
});
