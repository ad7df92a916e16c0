import { DatabaseAccess, DatabaseEngine } from '../../../src';
import { FixtureOptions, ordersDbFixture } from '../../util/database-fixture';

export { backup, find, manifests } from '../../util/database-fixture';
export type { FixtureOptions } from '../../util/database-fixture';

/**
 * A GitOpsApp with one environment and a ReplicatedDatabase `orders-db` on the MariaDB StatefulSet engine.
 */
export function mariadbFixture(options: FixtureOptions = {}) {
  const fixture = ordersDbFixture(DatabaseEngine.mariadbStatefulSet({ version: options.version ?? '10.11.10' }), options);
  const db = fixture.db;
  if (options.withUsers) {
    // declared after construction: everything derived from them must be computed at synthesis
    db.addDatabase('reports', { owner: 'maintainer' });
    db.addUser('writer', { grants: [{ database: 'app', access: DatabaseAccess.READ_WRITE }] });
    db.addUser('reader', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }], connectionLimit: 10 });
    db.addUser('maintainer', { grants: [{ database: 'reports', access: DatabaseAccess.OWNER }] });
    // "_" is a wildcard in MariaDB grants: the grant on sales_2026 must not cover salesX2026
    db.addDatabase('sales_2026');
    db.grant('reader', 'sales_2026', DatabaseAccess.READ_ONLY);
  }
  return fixture;
}
