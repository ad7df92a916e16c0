/**
 * Property tests of ReplicatedDatabase on both engines (CloudNativePG, Postgres StatefulSet), with
 * users, grants and databases added after construction. See harness.ts for the oracle.
 */
import { buildDatabase, databaseCase } from './database-case';
import { checkCase, runProperty } from './harness';
import { describeWithCrds, sharedValidator } from '../util/crds';

describeWithCrds('property: ReplicatedDatabase', () => {
  beforeAll(() => sharedValidator());

  test.each(['cnpg', 'sts'] as const)('engine %s: valid objects or a ValidationError', (engine) => {
    runProperty(databaseCase(engine), (c) => checkCase((app) => {
      buildDatabase(app, c, engine);
    }));
  });
});
