import { DatabaseAccess, DatabaseEngine } from '../../../src';
import { FixtureOptions, ordersDbFixture } from '../../util/database-fixture';

export { backup, find, manifests } from '../../util/database-fixture';
export type { FixtureOptions } from '../../util/database-fixture';

/**
 * A GitOpsApp with one environment and a ReplicatedDatabase `orders-db` on the StatefulSet engine.
 */
export function statefulSetFixture(options: FixtureOptions = {}) {
  const fixture = ordersDbFixture(DatabaseEngine.postgresStatefulSet({ version: options.version ?? '15.8' }), options);
  const db = fixture.db;
  if (options.withUsers) {
    // declared after construction: everything derived from them must be computed at synthesis
    db.addDatabase('reports');
    db.addUser('writer', { grants: [{ database: 'app', access: DatabaseAccess.READ_WRITE }] });
    db.addUser('reader', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }], connectionLimit: 10 });
    db.grant('reader', 'reports', DatabaseAccess.READ_ONLY);
    db.addUser('maintainer', { grants: [{ database: 'reports', access: DatabaseAccess.OWNER }] });
  }
  return fixture;
}
