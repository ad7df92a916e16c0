import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** A PostgreSQL server installation the real-server tests can run. */
export interface PostgresInstall {
  readonly bindir: string;
  readonly version: string;
  readonly major: number;
  /** uid/gid to run PostgreSQL as (undefined: the current user is `postgres`). */
  readonly as?: { uid: number; gid: number };
}

/**
 * Finds PostgreSQL server binaries (`$PG_BINDIR`, else the newest `/usr/lib/postgresql/<major>/bin`
 * holding every one of `needed`) and who to run them as, or says why the tests cannot run.
 */
export function detectPostgres(needed: readonly string[], majors?: { min: number; max: number }): PostgresInstall | string {
  const roots = process.env.PG_BINDIR ? [process.env.PG_BINDIR] : (() => {
    try {
      return fs.readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin`);
    } catch {
      return [];
    }
  })();
  const bindir = roots.find((dir) => needed.every((b) => fs.existsSync(path.join(dir, b))));
  if (!bindir) return `no PostgreSQL server binaries (${needed.join(', ')}) under /usr/lib/postgresql/*/bin or $PG_BINDIR: apt-get install -y postgresql`;
  const out = spawnSync(path.join(bindir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const m = /(\d+)\.(\d+)/.exec(out.stdout ?? '');
  if (!m) return `cannot read the version of ${bindir}/postgres: ${out.stderr || out.error}`;
  const major = Number(m[1]);
  if (majors && (major < majors.min || major > majors.max)) return `PostgreSQL ${m[0]} is not a major the engine supports (${majors.min}-${majors.max})`;
  const version = `${m[1]}.${m[2]}`;
  if (os.userInfo().username === 'postgres') return { bindir, version, major };
  if (process.getuid?.() !== 0) return 'the tests run neither as root nor as postgres (PostgreSQL refuses root; root runs it as the postgres user)';
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return 'no "postgres" OS user to run PostgreSQL as';
  return { bindir, version, major, as: { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } };
}

/**
 * The installation for a real-server test file, and its `describe` (skipped, with a warning, where
 * none can run). With REQUIRE_REAL_POSTGRES=1 (CI, after installing PostgreSQL) a missing server is a
 * failing test instead: a skip there would hide a broken install.
 */
export function realPostgres(
  needed: readonly string[],
  majors?: { min: number; max: number },
): { PG?: PostgresInstall; describeReal: jest.Describe } {
  const detected = detectPostgres(needed, majors);
  if (typeof detected !== 'string') return { PG: detected, describeReal: describe };
  // eslint-disable-next-line no-console
  console.warn(`real PostgreSQL tests skipped: ${detected}`);
  if (process.env.REQUIRE_REAL_POSTGRES === '1') {
    test('a real PostgreSQL is available (REQUIRE_REAL_POSTGRES=1)', () => {
      throw new Error(detected);
    });
  }
  return { describeReal: describe.skip };
}

/** A TCP port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
