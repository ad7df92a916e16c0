export * from './severity';
export * from './finding';
export * from './rule';
export * from './pack';
export * from './suppressions';
export * from './packs/policy-packs';
export * from './report-format';
export * from './kyverno';
