import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A MariaDB server installation the real-server tests can run. */
export interface MariadbInstall {
  /** Directories holding the server and client binaries (put on PATH). */
  readonly path: string[];
  /** `MAJOR.MINOR.PATCH`. */
  readonly version: string;
  /** `MAJOR.MINOR`. */
  readonly series: string;
  /** uid/gid to run MariaDB as (undefined: the current user is `mysql`). */
  readonly as?: { uid: number; gid: number };
}

const NEEDED = ['mariadbd', 'mariadb', 'mariadb-admin', 'mariadb-dump', 'mariadb-install-db'];

/**
 * Finds the MariaDB server and client binaries (`$MARIADB_BINDIR`, else /usr/sbin and /usr/bin) and
 * who to run them as, or says why the tests cannot run.
 */
export function detectMariadb(): MariadbInstall | string {
  const dirs = process.env.MARIADB_BINDIR ? [process.env.MARIADB_BINDIR] : ['/usr/sbin', '/usr/bin', '/usr/local/bin'];
  const missing = NEEDED.filter((b) => !dirs.some((d) => fs.existsSync(path.join(d, b))));
  if (missing.length > 0) return `no MariaDB binaries (${missing.join(', ')}) under ${dirs.join(', ')} or $MARIADB_BINDIR: apt-get install -y mariadb-server mariadb-client`;
  const server = dirs.map((d) => path.join(d, 'mariadbd')).find((f) => fs.existsSync(f))!;
  const out = spawnSync(server, ['--version'], { encoding: 'utf8' });
  const m = /Ver (\d+)\.(\d+)\.(\d+)/.exec(out.stdout ?? '');
  if (!m) return `cannot read the version of ${server}: ${out.stderr || out.error}`;
  const install = { path: dirs, version: `${m[1]}.${m[2]}.${m[3]}`, series: `${m[1]}.${m[2]}` };
  if (os.userInfo().username === 'mysql') return install;
  if (process.getuid?.() !== 0) return 'the tests run neither as root nor as mysql (MariaDB refuses root; root runs it as the mysql user)';
  const uid = spawnSync('id', ['-u', 'mysql'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'mysql'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return 'no "mysql" OS user to run MariaDB as';
  return { ...install, as: { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } };
}

/**
 * The installation for a real-server test file, and its `describe` (skipped, with a warning, where
 * none can run). With REQUIRE_REAL_MARIADB=1 (CI, after installing MariaDB) a missing server is a
 * failing test instead: a skip there would hide a broken install.
 */
export function realMariadb(): { MARIADB?: MariadbInstall; describeReal: jest.Describe } {
  const detected = detectMariadb();
  if (typeof detected !== 'string') return { MARIADB: detected, describeReal: describe };
  // eslint-disable-next-line no-console
  console.warn(`real MariaDB test skipped: ${detected}`);
  if (process.env.REQUIRE_REAL_MARIADB === '1') {
    test('a real MariaDB is available (REQUIRE_REAL_MARIADB=1)', () => {
      throw new Error(detected);
    });
  }
  return { describeReal: describe.skip };
}
