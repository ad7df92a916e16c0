/**
 * Shell scripts of the MariaDB StatefulSet engine, rendered into the `<name>-scripts` ConfigMap and
 * run by bash in the official MariaDB image (and the AWS CLI image for object-store transfers).
 *
 * Every path and host comes from the environment (set in the pod spec), so that the same scripts
 * run unchanged outside Kubernetes: the real-server test runs them against a local mariadbd. They
 * never print, log or pass a password on a command line: passwords are read from the mounted Secret
 * files into `0600` client option files under `$TMPDIR`, or piped to the client on stdin.
 */

import { downloadScript, UPLOAD_SCRIPT } from '../../../private/statefulset-backup';

/** Where things are in the pods (the environment variables point here). */
export const PATHS = {
  /** The volume claim mount. */
  dataMount: '/var/lib/mysql',
  /** The data directory: a sub-directory, so that the volume's lost+found is not in it. */
  datadir: '/var/lib/mysql/data',
  /** Socket and pid file (emptyDir). */
  run: '/run/mysqld',
  /** The scripts ConfigMap. */
  scripts: '/etc/mariadb-stateful/scripts',
  /** Users' Secrets: `<user>/password`. */
  users: '/etc/mariadb-stateful/users',
  /** Replication Secret: `password`. */
  replication: '/etc/mariadb-stateful/replication',
  /** Scratch (emptyDir). */
  tmp: '/tmp',
  /** Backup output (emptyDir of the backup job). */
  backup: '/var/lib/mysql-backup',
  /** Downloaded backup to restore from (emptyDir). */
  restore: '/var/lib/mysql-restore',
};

/** Shared shell functions, sourced by the other scripts. */
const COMMON = `# Shared functions of the cdk8s-stateful MariaDB scripts (sourced).
log() { printf '%s [%s] %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "\${SCRIPT_NAME:-mariadb}" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# Whether pid $1 is still a running background job of this shell. Once a job has exited, bash has reaped it
# and its pid may already name another process (pids are reused): never signal a job's pid without this.
running_job() { local p; for p in $(jobs -pr); do [ "$p" = "$1" ] && return 0; done; return 1; }

# The StatefulSet ordinal of this pod, from POD_NAME (<name>-<ordinal>).
ordinal() {
  local o="\${POD_NAME##*-}"
  [[ "$o" =~ ^[0-9]+$ ]] || die "POD_NAME \\"\${POD_NAME:-}\\" does not end with a StatefulSet ordinal"
  printf '%s' "$o"
}

# A SQL string literal of the content of file $1 (quotes doubled, backslashes escaped).
sql_literal_of() {
  local v
  v="$(cat "$1")"
  v="\${v//\\\\/\\\\\\\\}"
  v="\${v//\\'/\\'\\'}"
  printf "'%s'" "$v"
}

# Writes a client option file for the replication account (mode 0600) and prints its path.
replication_cnf() {
  local file="\${TMPDIR:-/tmp}/replication.cnf" pw
  [ -s "$REPLICATION_DIR/password" ] || die "the replication password ($REPLICATION_DIR/password) is missing or empty"
  pw="$(cat "$REPLICATION_DIR/password")"
  # option files: backslash escapes inside double quotes
  pw="\${pw//\\\\/\\\\\\\\}"
  pw="\${pw//\\"/\\\\\\"}"
  ( umask 077
    printf '[client]\\nuser=%s\\npassword="%s"\\n' "\${REPLICATION_USER:-replicator}" "$pw" > "$file.new"
    mv -f "$file.new" "$file" )
  printf '%s' "$file"
}

# The local superuser: the OS user running the scripts (mysql in the image), through the socket
# (unix_socket authentication: no password).
LOCAL_USER="$(id -un)"
local_sql() { mariadb --no-defaults --protocol=socket -S "\${1:-$SOCKET}" -u "$LOCAL_USER" --batch --skip-column-names "\${@:2}"; }
local_admin() { mariadb-admin --no-defaults --protocol=socket -S "$1" -u "$LOCAL_USER" --connect-timeout=4 "\${@:2}"; }

# Starts a temporary server on $1 (a data directory) without networking or binary log, socket $2.
start_temporary() {
  mariadbd --defaults-file="$SCRIPTS_DIR/my.cnf" --datadir="$1" --socket="$2" --pid-file="$2.pid" \\
    --skip-networking --skip-log-bin --skip-slave-start --tmpdir="\${TMPDIR:-/tmp}" \\
    --rpl-semi-sync-master-enabled=OFF --rpl-semi-sync-slave-enabled=OFF >&2 &
  TEMPORARY_PID=$!
  # a failed bootstrap never leaves the temporary server running
  trap 'if [ -n "\${TEMPORARY_PID:-}" ] && running_job "$TEMPORARY_PID"; then kill -KILL "$TEMPORARY_PID" 2>/dev/null; fi' EXIT
  local i
  for i in $(seq 1 120); do
    if local_admin "$2" ping >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  die "the temporary server on $1 did not start"
}

# The version of the mariadbd on PATH (the image's): MAJOR.MINOR.PATCH.
server_version() {
  local v
  v="$(mariadbd --version 2>/dev/null)" || return 1
  local re='Ver ([0-9]+[.][0-9]+[.][0-9]+)'
  [[ "$v" =~ $re ]] || return 1
  printf '%s' "\${BASH_REMATCH[1]}"
}

# The version that last installed or upgraded the system tables of data directory $1, as mariadb-install-db
# and mariadb-upgrade record it (mysql_upgrade_info; mariadb_upgrade_info from 11.x: the newer of the two);
# empty when neither holds one.
recorded_version() {
  local f v best=""
  for f in "$1/mariadb_upgrade_info" "$1/mysql_upgrade_info"; do
    [ -r "$f" ] || continue
    v="$(head -c 100 "$f" | tr -d '[:cntrl:]')"
    series_key "$v" >/dev/null || continue
    if [ -z "$best" ] || [ "$(series_key "$v")" -gt "$(series_key "$best")" ]; then best="$v"; fi
  done
  printf '%s' "$best"
}

# A number ordering versions by their series (MAJOR.MINOR: a major release of MariaDB).
series_key() {
  [[ "$1" =~ ^([0-9]+)[.]([0-9]+)[.] ]] || return 1
  printf '%d' $(( 10#\${BASH_REMATCH[1]} * 1000 + 10#\${BASH_REMATCH[2]} ))
}

stop_temporary() {
  local_admin "$1" shutdown || die "cannot stop the temporary server"
  local i
  for i in $(seq 1 120); do [ -e "$1.pid" ] || { TEMPORARY_PID=""; return 0; }; sleep 1; done
  die "the temporary server did not stop"
}
`;

/**
 * bootstrap.sh (init container): creates the data directory when it is empty. Ordinal 0 installs a
 * new one (or loads the downloaded dump when RESTORE_DIR holds one); the other ordinals clone the
 * primary with a consistent dump that carries its GTID position, and become replicas.
 */
const BOOTSTRAP = `#!/bin/bash
# bootstrap.sh: create the data directory of this instance if it is empty (init container).
set -euo pipefail
SCRIPT_NAME=bootstrap
. "$SCRIPTS_DIR/common.sh"

ord="$(ordinal)"
if [ -f "$DATADIR/.initialised" ]; then
  log "data directory exists: nothing to do"
  exit 0
fi

partial="$DATADIR.partial"
rm -rf "$partial"
mkdir -p -m 0700 "$partial"
socket="\${TMPDIR:-/tmp}/bootstrap.sock"

if [ "$ord" = 0 ]; then
  # An empty primary while replicas run means the primary's volume was lost: never start a new or
  # restored database over a live cluster (see the engine's documentation for the recovery).
  for peer in \${REPLICA_HOSTS:-}; do
    if mariadb-admin --no-defaults --connect-timeout=3 -h "\${peer%:*}" -P "\${peer##*:}" ping >/dev/null 2>&1; then
      die "the data directory is empty but replica $peer is running: refusing to initialise a new empty primary. Promote or copy a replica (see the engine documentation)."
    fi
  done
fi

log "installing the system tables"
mariadb-install-db --no-defaults --datadir="$partial" --auth-root-authentication-method=socket --auth-root-socket-user="$LOCAL_USER" --skip-test-db \\
  --skip-name-resolve >/dev/null
start_temporary "$partial" "$socket"
# no anonymous accounts, no test database (what mariadb-secure-installation does)
local_sql "$socket" <<'SQL'
DELETE FROM mysql.global_priv WHERE User = '';
DELETE FROM mysql.db WHERE User = '' OR Db LIKE 'test%';
DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
FLUSH PRIVILEGES;
DROP DATABASE IF EXISTS test;
SQL

if [ "$ord" = 0 ]; then
  if [ -n "\${RESTORE_DIR:-}" ]; then
    [ -s "$RESTORE_DIR/dump.sql.gz" ] || die "recovery is declared but $RESTORE_DIR/dump.sql.gz is missing"
    log "restoring the dump from $RESTORE_DIR"
    gunzip -c "$RESTORE_DIR/dump.sql.gz" | local_sql "$socket"
    # the dumped GTID position was the source's: a restored primary starts a history of its own
    local_sql "$socket" -e "SET GLOBAL gtid_slave_pos = ''; FLUSH PRIVILEGES;"
  fi
else
  cnf="$(replication_cnf)"
  deadline=$(( $(date +%s) + \${BOOTSTRAP_TIMEOUT_SECONDS:-900} ))
  until mariadb --defaults-extra-file="$cnf" -h "$PRIMARY_HOST" -P "$PRIMARY_PORT" --connect-timeout=5 -e 'SELECT 1' >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "the primary $PRIMARY_HOST:$PRIMARY_PORT did not become ready"
    log "waiting for the primary $PRIMARY_HOST:$PRIMARY_PORT"
    sleep 2
  done
  log "cloning the primary $PRIMARY_HOST:$PRIMARY_PORT"
  # one consistent snapshot with its GTID position (SET GLOBAL gtid_slave_pos in the dump)
  mariadb-dump --defaults-extra-file="$cnf" -h "$PRIMARY_HOST" -P "$PRIMARY_PORT" \\
    --all-databases --single-transaction --gtid --master-data=1 --routines --events --triggers \\
    --ignore-table=mysql.gtid_slave_pos > "\${TMPDIR:-/tmp}/clone.sql"
  grep -q "gtid_slave_pos" "\${TMPDIR:-/tmp}/clone.sql" || die "the clone holds no GTID position"
  local_sql "$socket" < "\${TMPDIR:-/tmp}/clone.sql"
  rm -f "\${TMPDIR:-/tmp}/clone.sql"
  local_sql "$socket" -e "FLUSH PRIVILEGES;"
fi
stop_temporary "$socket"
touch "$partial/.initialised"
rm -rf "$DATADIR"
mv "$partial" "$DATADIR"
log "data directory ready"
`;

/**
 * entrypoint.sh (main container): starts mariadbd with the rendered configuration (server id from
 * the ordinal, read-only on replicas); on the primary, runs the reconcile script once the server
 * answers and again whenever the script or a mounted password changes (Secret and ConfigMap volumes
 * are updated in place); on a replica, points replication at the primary (GTID, `slave_pos`) and
 * again when the replication password changes, and runs `retired-sessions.sql` at each interval
 * while it names retired users (their ACCOUNT LOCK replicates, their connections are not killed with
 * it). After a change to a newer series (MAJOR.MINOR), runs `mariadb-upgrade` once the server answers
 * and before anything else, keeping the instance not ready (and retrying) until it succeeds; refuses
 * to start an older series on a data directory a newer one upgraded. Marks the instance ready for the
 * readiness probe. SIGTERM is a clean shutdown.
 */
const ENTRYPOINT = `#!/bin/bash
# entrypoint.sh: run MariaDB (primary at ordinal 0, GTID replica otherwise).
set -uo pipefail
SCRIPT_NAME=entrypoint
. "$SCRIPTS_DIR/common.sh"

ord="$(ordinal)" || exit 1
[ -f "$DATADIR/.initialised" ] || die "$DATADIR is not initialised (bootstrap.sh runs first)"
ready="$RUN_DIR/.instance-ready"
rm -f "$ready"

args=(--defaults-file="$SCRIPTS_DIR/my.cnf"
  --datadir="$DATADIR"
  --socket="$SOCKET"
  --pid-file="$RUN_DIR/mariadbd.pid"
  --port="$PORT"
  --bind-address="\${BIND_ADDRESS:-0.0.0.0}"
  --tmpdir="\${TMPDIR:-/tmp}"
  --server-id=$(( ord + \${SERVER_ID_OFFSET:-1} ))
  --report-host="$POD_NAME"
  --skip-slave-start)
if [ "$ord" != 0 ]; then
  # a replica writes what it applies to its own binary log (log_slave_updates) and nothing replicates from it: it is no
  # semi-synchronous primary (my.cnf makes every instance one), so its SQL thread never waits for an acknowledgement
  # no one sends. It still acknowledges its primary (rpl_semi_sync_slave_enabled)
  args+=(--read-only=ON --rpl-semi-sync-master-enabled=OFF)
fi

# A new series of the server (10.6 -> 10.11, 10.11 -> 11.4) needs mariadb-upgrade for the system tables, as the
# official image's entrypoint decides it (docker-entrypoint.sh \`_check_if_upgrade_is_needed\`: data directory's
# MAJOR.MINOR older than the server's, or no version recorded). It runs once the server answers, before the
# reconcile or replication and before the instance is ready; each instance upgrades its own tables.
server="$(server_version)" || die "cannot read the version of mariadbd (mariadbd --version)"
recorded="$(recorded_version "$DATADIR")"
upgrade=""
if [ -z "$recorded" ]; then
  upgrade=1
  log "the data directory records no version (mysql_upgrade_info, mariadb_upgrade_info): mariadb-upgrade runs once the server is up"
elif [ "$(series_key "$recorded")" -lt "$(series_key "$server")" ]; then
  upgrade=1
  log "the data directory was last upgraded by MariaDB $recorded, the server is $server: mariadb-upgrade runs once the server is up"
elif [ "$(series_key "$recorded")" -gt "$(series_key "$server")" ]; then
  # mariadb-upgrade refuses it too ("Trying to downgrade from a higher to lower version is not supported")
  die "the data directory was upgraded by MariaDB $recorded, the server is $server: refusing to start an older series on it (a downgrade is not supported). Set the version back to \${recorded%.*}.x or restore a logical backup into an empty instance."
fi
upgrade_system_tables() {
  log "running mariadb-upgrade --upgrade-system-tables (data directory: \${recorded:-no version recorded}, server: $server)"
  # (no --write-binlog: nothing reaches the binary log, so a replica's GTID position stays the primary's. The local
  # superuser holds every privilege, READ_ONLY ADMIN included (mariadb-install-db stores its access as ~0, which
  # sql_acl.cpp User_table_json::get_access reads as all of the server's): a read-only replica upgrades as well.)
  mariadb-upgrade --no-defaults --protocol=socket -S "$SOCKET" -u "$LOCAL_USER" --tmpdir="\${TMPDIR:-/tmp}" --upgrade-system-tables >&2 || return 1
  local now
  now="$(recorded_version "$DATADIR")"
  if [ -z "$now" ] || [ "$(series_key "$now")" -lt "$(series_key "$server")" ]; then
    log "mariadb-upgrade ended, but the data directory records \${now:-no version}"
    return 1
  fi
  log "mariadb-upgrade done: the data directory records MariaDB $now"
}

mariadbd "\${args[@]}" &
pid=$!
running() { running_job "$pid"; }
trap 'log "shutting down"; if running; then kill -TERM "$pid" 2>/dev/null; fi' TERM INT

# what the primary's reconcile reads; a replica only re-points replication when its password changes
if [ "$ord" = 0 ]; then
  state() { cat "$SCRIPTS_DIR/reconcile.sql" "$REPLICATION_DIR/password" "$USERS_DIR"/*/password 2>/dev/null | sha256sum; }
else
  state() { cat "$REPLICATION_DIR/password" 2>/dev/null | sha256sum; }
fi
applied=""
while running; do
  delay=1 failed=""
  if local_admin "$SOCKET" ping >/dev/null 2>&1; then
    if [ -n "$upgrade" ]; then
      if upgrade_system_tables; then
        upgrade=""
      else
        failed=1
        log "mariadb-upgrade failed: the instance stays not ready; retrying in \${RECONCILE_RETRY_SECONDS:-10} s"
      fi
    fi
    now="$(state)"
    if [ -z "$upgrade" ] && [ "$now" != "$applied" ]; then
      if [ "$ord" = 0 ]; then step="$SCRIPTS_DIR/reconcile.sh"; else step="$SCRIPTS_DIR/replicate.sh"; fi
      if bash "$step"; then
        applied="$now"
        log "$(basename "$step" .sh) applied"
      else
        failed=1
        log "$(basename "$step" .sh) failed: retrying in \${RECONCILE_RETRY_SECONDS:-10} s"
      fi
    fi
    [ -z "$applied" ] || touch "$ready"
    # a replica ends the sessions of retired users (their ACCOUNT LOCK replicates, their open sessions stay)
    if [ "$ord" != 0 ] && grep -q '^KILL' "$SCRIPTS_DIR/retired-sessions.sql" 2>/dev/null; then
      if ended="$(local_sql "$SOCKET" < "$SCRIPTS_DIR/retired-sessions.sql" 2>&1)"; then
        [ "$ended" = 0 ] || log "ended $ended session(s) of retired users"
      else
        log "ending the sessions of retired users failed: $ended"
      fi
    fi
  fi
  if [ -n "$failed" ]; then delay="\${RECONCILE_RETRY_SECONDS:-10}"; elif [ -f "$ready" ]; then delay="\${RECONCILE_INTERVAL_SECONDS:-15}"; fi
  sleep "$delay" &
  wait $! 2>/dev/null || true
done
wait "$pid"
rc=$?
log "mariadbd exited with status $rc"
exit "$rc"
`;

/**
 * reconcile.sh: applies reconcile.sql as the local superuser through the socket, after session
 * variables holding the passwords read from the mounted Secrets (on stdin: never on a command line,
 * and the SQL keeps them out of the binary log).
 */
const RECONCILE = `#!/bin/bash
# reconcile.sh: accounts, passwords, databases and grants (idempotent; primary only).
set -euo pipefail
SCRIPT_NAME=reconcile
. "$SCRIPTS_DIR/common.sh"
# An empty password would clear the account's password. A missing, unreadable or empty file sets no variable:
# reconcile.sql retires users first (it reads no password), then stops on the unset variable before any account,
# database or grant changes, and this step fails; the log names the file (the files come from the Secrets).
usable() { [ -r "$1" ] && [ -s "$1" ]; }
unusable=""
for f in "$REPLICATION_DIR/password" "$USERS_DIR"/*/password; do
  # (an unmatched pattern stays as it is written: no user has a Secret mounted)
  [ "$f" != "$USERS_DIR/*/password" ] || continue
  usable "$f" || { log "the password file $f is missing, unreadable or empty: check its Secret"; unusable="$unusable $f"; }
done
{
  if usable "$REPLICATION_DIR/password"; then
    printf 'SET @pw_%s = %s;\\n' "\${REPLICATION_USER:-replicator}" "$(sql_literal_of "$REPLICATION_DIR/password")"
  fi
  for f in "$USERS_DIR"/*/password; do
    usable "$f" || continue
    user="$(basename "$(dirname "$f")")"
    printf 'SET @pw_%s = %s;\\n' "$user" "$(sql_literal_of "$f")"
  done
  cat "$SCRIPTS_DIR/reconcile.sql"
} | local_sql "$SOCKET"
[ -z "$unusable" ] || die "the password file(s)$unusable are missing, unreadable or empty: check their Secrets"
`;

/**
 * replicate.sh (replicas): points replication at the primary with GTID (`MASTER_USE_GTID =
 * slave_pos`) and the replication password from its Secret, and starts it. MariaDB keeps that
 * password in the data directory (`master.info`).
 */
const REPLICATE = `#!/bin/bash
# replicate.sh: (re)configure and start GTID replication from the primary (replicas only).
set -euo pipefail
SCRIPT_NAME=replicate
. "$SCRIPTS_DIR/common.sh"
[ -s "$REPLICATION_DIR/password" ] || die "the replication password ($REPLICATION_DIR/password) is missing or empty"
literal="$(sql_literal_of "$REPLICATION_DIR/password")"
{
  echo "STOP SLAVE;"
  printf '%s\\n' "CHANGE MASTER TO MASTER_HOST = '$PRIMARY_HOST', MASTER_PORT = $PRIMARY_PORT, MASTER_USER = '\${REPLICATION_USER:-replicator}', MASTER_PASSWORD = $literal, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10;"
  echo "START SLAVE;"
} | local_sql "$SOCKET"
`;

/** probe.sh: startup, readiness and liveness probes. */
const PROBE = `#!/bin/bash
# probe.sh startup|ready|live
set -u
rc=0
mariadb-admin --no-defaults --protocol=socket -S "$SOCKET" -u "$(id -un)" --connect-timeout=4 ping >/dev/null 2>&1 || rc=$?
case "\${1:-ready}" in
  startup) [ "$rc" -eq 0 ] ;;
  ready)
    [ "$rc" -eq 0 ] && [ -f "$RUN_DIR/.instance-ready" ] || exit 1
    # a replica is ready while both replication threads run
    if [ "\${POD_NAME##*-}" != 0 ]; then
      status="$(mariadb --no-defaults --protocol=socket -S "$SOCKET" -u "$(id -un)" -e 'SHOW SLAVE STATUS\\G' 2>/dev/null)" || exit 1
      grep -q 'Slave_IO_Running: Yes' <<<"$status" && grep -q 'Slave_SQL_Running: Yes' <<<"$status"
    fi ;;
  # (the startup probe covers crash recovery, when the socket does not answer yet)
  live) [ "$rc" -eq 0 ] ;;
  *) echo "usage: probe.sh startup|ready|live" >&2; exit 2 ;;
esac
`;

/**
 * backup.sh (backup job, init container): a consistent logical dump of the primary (every database,
 * routines, events, triggers; `--single-transaction`, with the GTID position as a comment), into
 * $BACKUP_DIR/<UTC timestamp>/dump.sql.gz. Restorable with bootstrap.sh (RESTORE_DIR) or by hand:
 * `gunzip -c dump.sql.gz | mariadb`.
 */
const BACKUP = `#!/bin/bash
# backup.sh: logical backup of the primary into $BACKUP_DIR/<timestamp>/dump.sql.gz.
set -euo pipefail
SCRIPT_NAME=backup
. "$SCRIPTS_DIR/common.sh"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$BACKUP_DIR/$stamp"
mkdir -p "$out"
cnf="$(replication_cnf)"
log "logical backup of $BACKUP_HOST:$BACKUP_PORT into $out"
mariadb-dump --defaults-extra-file="$cnf" -h "$BACKUP_HOST" -P "$BACKUP_PORT" \\
  --all-databases --single-transaction --gtid --master-data=2 --routines --events --triggers \\
  --ignore-table=mysql.gtid_slave_pos | gzip -c > "$out/dump.sql.gz.partial"
gunzip -c "$out/dump.sql.gz.partial" | tail -n 1 | grep -q '^-- Dump completed' || die "the dump is incomplete"
mv "$out/dump.sql.gz.partial" "$out/dump.sql.gz"
printf '%s\\n' "$stamp" > "$BACKUP_DIR/LATEST"
log "backup $stamp written ($(du -sh "$out" | cut -f1))"
`;

/** Every script, by ConfigMap key. */
export function renderMariadbScripts(): { [file: string]: string } {
  return {
    'common.sh': COMMON,
    'bootstrap.sh': BOOTSTRAP,
    'entrypoint.sh': ENTRYPOINT,
    'reconcile.sh': RECONCILE,
    'replicate.sh': REPLICATE,
    'probe.sh': PROBE,
    'backup.sh': BACKUP,
    'upload.sh': UPLOAD_SCRIPT,
    'download.sh': downloadScript('[ -f "$DATADIR/.initialised" ]'),
  };
}
