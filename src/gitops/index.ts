export * from './output-layout';
export * from './pipeline';
export * from './wiring-options';
export * from './change-safety/approvals';
export * from './platform-operator';
