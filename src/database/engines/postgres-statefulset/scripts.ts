/**
 * Shell scripts of the StatefulSet engine, rendered into the `<name>-scripts` ConfigMap and run by
 * bash in the official PostgreSQL image (and the AWS CLI image for object-store transfers).
 *
 * Every path and host comes from the environment (set in the pod spec), so that the same scripts
 * run unchanged outside Kubernetes: the real-engine test starts them against a local PostgreSQL.
 * They never print, log or pass a password on a command line: passwords are read from the mounted
 * Secret files into `0600` pgpass files under `$TMPDIR` or into psql variables.
 */

import { downloadScript, UPLOAD_SCRIPT } from '../../../private/statefulset-backup';

/** Where things are in the pods (the environment variables point here). */
export const PATHS = {
  /** The volume claim mount. */
  dataMount: '/var/lib/postgresql/data',
  /** PGDATA: a sub-directory, so that the volume's lost+found is not in it. */
  pgdata: '/var/lib/postgresql/data/pgdata',
  /** Unix socket directory (emptyDir). */
  run: '/var/run/postgresql',
  /** The scripts ConfigMap. */
  scripts: '/etc/postgresql-stateful/scripts',
  /** Users' Secrets: `<user>/password`. */
  users: '/etc/postgresql-stateful/users',
  /** Replication Secret: `password`. */
  replication: '/etc/postgresql-stateful/replication',
  /** Scratch (emptyDir). */
  tmp: '/tmp',
  /** Backup output (emptyDir of the backup job). */
  backup: '/var/lib/postgresql/backup',
  /** Downloaded backup to restore from (emptyDir). */
  restore: '/var/lib/postgresql/restore',
};

/** Shared shell functions, sourced by the other scripts. */
const COMMON = `# Shared functions of the cdk8s-stateful PostgreSQL scripts (sourced).
log() { printf '%s [%s] %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "\${SCRIPT_NAME:-postgres}" "$*" >&2; }
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

# Writes a pgpass file for the replication role (mode 0600) and prints its path.
replication_passfile() {
  local file="\${TMPDIR:-/tmp}/pgpass-replication"
  [ -s "$REPLICATION_DIR/password" ] || die "the replication password ($REPLICATION_DIR/password) is missing or empty"
  ( umask 077
    # pgpass escapes: backslash and colon
    printf '*:*:*:%s:%s\\n' "\${REPLICATION_USER:-replicator}" "$(sed -e 's/\\\\/\\\\\\\\/g' -e 's/:/\\\\:/g' "$REPLICATION_DIR/password")" > "$file.new"
    mv -f "$file.new" "$file" )
  printf '%s' "$file"
}
`;

/**
 * bootstrap.sh (init container): creates the data directory when it is empty. Ordinal 0 runs
 * initdb (or restores the downloaded backup when RESTORE_DIR holds one); the other ordinals clone
 * the primary with pg_basebackup and become streaming replicas. An existing data directory is
 * kept as is (after a check of its major version).
 */
const BOOTSTRAP = `#!/bin/bash
# bootstrap.sh: create the data directory of this instance if it is empty (init container).
set -euo pipefail
SCRIPT_NAME=bootstrap
. "$SCRIPTS_DIR/common.sh"

ord="$(ordinal)"
if [ -s "$PGDATA/PG_VERSION" ]; then
  have="$(cat "$PGDATA/PG_VERSION")"
  [ "$have" = "$PG_MAJOR_VERSION" ] || die "the data directory holds PostgreSQL $have, the image runs $PG_MAJOR_VERSION: upgrade with pg_upgrade (not automated)"
  log "data directory exists (PostgreSQL $have): nothing to do"
  exit 0
fi

partial="$PGDATA.partial"
rm -rf "$partial"

if [ "$ord" = 0 ]; then
  # An empty primary while replicas run means the primary's volume was lost: never start a new or
  # restored database over a live cluster (see the engine's documentation for the recovery).
  for peer in \${REPLICA_HOSTS:-}; do
    rc=0
    pg_isready -q -h "\${peer%:*}" -p "\${peer##*:}" -t 3 || rc=$?
    if [ "$rc" -le 1 ]; then
      die "the data directory is empty but replica $peer is running: refusing to initialise a new empty primary. Promote or copy a replica (see the engine documentation)."
    fi
  done
  if [ -n "\${RESTORE_DIR:-}" ]; then
    [ -s "$RESTORE_DIR/base.tar.gz" ] || die "recovery is declared but $RESTORE_DIR/base.tar.gz is missing"
    log "restoring the base backup from $RESTORE_DIR"
    mkdir -m 0700 "$partial"
    tar -xzf "$RESTORE_DIR/base.tar.gz" -C "$partial"
    if [ -s "$RESTORE_DIR/pg_wal.tar.gz" ]; then
      mkdir -p -m 0700 "$partial/pg_wal"
      tar -xzf "$RESTORE_DIR/pg_wal.tar.gz" -C "$partial/pg_wal"
    fi
    rm -f "$partial/standby.signal" "$partial/recovery.signal"
  else
    log "initialising a new database cluster"
    initdb -D "$partial" --username=postgres --encoding=UTF8 --no-locale --data-checksums \\
      --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
else
  passfile="$(replication_passfile)"
  deadline=$(( $(date +%s) + \${BOOTSTRAP_TIMEOUT_SECONDS:-900} ))
  until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -t 5; do
    [ "$(date +%s)" -lt "$deadline" ] || die "the primary $PRIMARY_HOST:$PRIMARY_PORT did not become ready"
    log "waiting for the primary $PRIMARY_HOST:$PRIMARY_PORT"
    sleep 2
  done
  log "cloning the primary $PRIMARY_HOST:$PRIMARY_PORT"
  PGPASSFILE="$passfile" pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "\${REPLICATION_USER:-replicator}" -w \\
    -D "$partial" -X stream -c fast
  touch "$partial/standby.signal"
fi

chmod 0700 "$partial"
mv "$partial" "$PGDATA"
log "data directory ready"
`;

/**
 * entrypoint.sh (main container): starts PostgreSQL with the rendered configuration; on the
 * primary, runs the reconcile script once the server accepts connections and again whenever the
 * script or a mounted password changes (Secret and ConfigMap volumes are updated in place), so
 * grants, databases and password rotations apply without a restart (a new user's Secret joins the
 * pod's projected volume: that is a rolling restart); on a replica, rewrites the replication passfile
 * when the replication password changes (the walreceiver reads it at each connection: without this a
 * rotated password locks the replica out at its next reconnect) and runs `retired-sessions.sql` at
 * each interval while it names retired users (their NOLOGIN replicates, their sessions do not end
 * with it). Marks the instance ready for the readiness probe: the primary once reconciled, a replica
 * while it streams from the primary (`pg_stat_wal_receiver`), so that the `-ro` Service never sends
 * reads to a replica that has stopped following it (one that was streaming stays ready for
 * `REPLICA_STREAM_GRACE_SECONDS`, default 300, so that a primary restart does not empty the `-ro` Service). SIGTERM is turned into a fast shutdown.
 */
const ENTRYPOINT = `#!/bin/bash
# entrypoint.sh: run PostgreSQL (primary at ordinal 0, streaming replica otherwise).
set -uo pipefail
SCRIPT_NAME=entrypoint
. "$SCRIPTS_DIR/common.sh"

ord="$(ordinal)" || exit 1
[ -s "$PGDATA/PG_VERSION" ] || die "$PGDATA is not initialised (bootstrap.sh runs first)"
chmod 0700 "$PGDATA"
ready="$PGHOST/.instance-ready"
rm -f "$ready"

args=(-D "$PGDATA"
  -c "config_file=$SCRIPTS_DIR/postgresql.conf"
  -c "hba_file=$SCRIPTS_DIR/pg_hba.conf"
  -c "ident_file=$SCRIPTS_DIR/pg_ident.conf"
  -c "port=$PGPORT"
  -c "unix_socket_directories=$PGHOST"
  -c "cluster_name=$POD_NAME")
[ -z "\${LISTEN_ADDRESSES:-}" ] || args+=(-c "listen_addresses=$LISTEN_ADDRESSES")

if [ "$ord" = 0 ]; then
  [ ! -f "$PGDATA/standby.signal" ] || log "WARNING: ordinal 0 has standby.signal and starts as a standby: remove it (or pg_ctl promote) to make it the primary"
else
  # hashed before the file is written: a password changing in between is written again by the loop below
  passfile_state="$(cat "$REPLICATION_DIR/password" 2>/dev/null | sha256sum)"
  passfile="$(replication_passfile)" || exit 1
  [ -f "$PGDATA/standby.signal" ] || { log "ordinal $ord is a replica: adding standby.signal"; touch "$PGDATA/standby.signal"; }
  args+=(-c "primary_conninfo=host=$PRIMARY_HOST port=$PRIMARY_PORT user=\${REPLICATION_USER:-replicator} passfile=$passfile application_name=$POD_NAME")
fi

postgres "\${args[@]}" &
pid=$!
running() { running_job "$pid"; }
trap 'log "shutting down"; if running; then kill -INT "$pid" 2>/dev/null; fi' TERM INT

state() { cat "$SCRIPTS_DIR/reconcile.sql" "$REPLICATION_DIR/password" "$USERS_DIR"/*/password 2>/dev/null | sha256sum; }
applied="" behind=0 stopped="" unready=""
while running; do
  delay=1 failed=""
  if [ "$ord" != 0 ]; then
    # the walreceiver reads the passfile at each connection: a rotated replication password (the primary applies it
    # at once) must reach it before the replication connection next breaks, or the replica never logs in again
    now="$(cat "$REPLICATION_DIR/password" 2>/dev/null | sha256sum)"
    if [ "$now" != "$passfile_state" ]; then
      if ( replication_passfile >/dev/null ); then
        passfile_state="$now"
        log "replication password file updated"
      else
        failed=1
      fi
    fi
  fi
  if pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 5; then
    if [ "$ord" = 0 ]; then
      now="$(state)"
      if [ "$now" != "$applied" ]; then
        if bash "$SCRIPTS_DIR/reconcile.sh"; then
          applied="$now"
          log "roles, databases and grants reconciled"
        else
          failed=1
          log "reconcile failed: retrying in \${RECONCILE_RETRY_SECONDS:-10} s"
        fi
      fi
      [ -z "$applied" ] || touch "$ready"
    else
      # a replica ends the sessions of retired users (their NOLOGIN replicates, their open sessions stay)
      if grep -q '^SELECT' "$SCRIPTS_DIR/retired-sessions.sql" 2>/dev/null; then
        if ended="$(psql -X -q -At -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -f "$SCRIPTS_DIR/retired-sessions.sql" 2>&1)"; then
          [ "$ended" = 0 ] || log "ended $ended session(s) of retired users"
        else
          log "ending the sessions of retired users failed: $ended"
        fi
      fi
      # ready once it streams from the primary: a standby that cannot (the primary has removed the WAL it needs, after it
      # was scaled away or down for longer than wal_keep_size covers) keeps answering reads with ever older data. One
      # that was streaming stays ready for REPLICA_STREAM_GRACE_SECONDS after it stopped: the primary restarting (a rolling
      # update ends with ordinal 0, a drain, a reschedule) must not empty the -ro Service of every instance at once
      receiver="$(psql -X -q -At -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -c 'SELECT status FROM pg_catalog.pg_stat_wal_receiver' 2>/dev/null)"
      if [ "$receiver" = streaming ]; then
        [ -z "$unready" ] || log "streaming from the primary again: ready"
        behind=0 stopped="" unready=""
        touch "$ready"
      else
        [ -n "$stopped" ] || stopped=$SECONDS
        behind=$(( behind + 1 ))
        # never streamed since it started: not ready at all (said once it has not for 30 checks: a replica that has just
        # started connects within seconds); streamed before: ready until the grace period is over
        if [ -f "$ready" ]; then over=$(( SECONDS - stopped >= \${REPLICA_STREAM_GRACE_SECONDS:-300} )); else over=$(( behind >= 30 )); fi
        if [ -z "$unready" ] && [ "$over" = 1 ]; then
          rm -f "$ready"
          unready=1
          log "not streaming from the primary $PRIMARY_HOST:$PRIMARY_PORT for $(( SECONDS - stopped )) s: not ready. If the log says the requested WAL segment has already been removed, this replica fell further behind than the primary keeps WAL (wal_keep_size): re-clone it (delete its volume claim and its pod)"
        fi
      fi
    fi
  fi
  if [ -n "$failed" ]; then delay="\${RECONCILE_RETRY_SECONDS:-10}"; elif [ -f "$ready" ]; then delay="\${RECONCILE_INTERVAL_SECONDS:-15}"; fi
  sleep "$delay" &
  wait $! 2>/dev/null || true
done
wait "$pid"
rc=$?
log "PostgreSQL exited with status $rc"
exit "$rc"
`;

/** reconcile.sh: applies reconcile.sql as the superuser through the local socket. */
const RECONCILE = `#!/bin/bash
# reconcile.sh: roles, passwords, databases and grants (idempotent; primary only).
set -euo pipefail
SCRIPT_NAME=reconcile
. "$SCRIPTS_DIR/common.sh"
export USERS_DIR REPLICATION_DIR
# an empty password would clear the role's password: reconcile.sql stops on a missing, unreadable or empty password
# file before any role, database or grant changes, after retiring users (which reads no password; the files come
# from the Secrets)
exec psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -f "$SCRIPTS_DIR/reconcile.sql"
`;

/** probe.sh: startup, readiness and liveness probes. */
const PROBE = `#!/bin/bash
# probe.sh startup|ready|live
set -u
rc=0
pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 4 || rc=$?
case "\${1:-ready}" in
  startup) [ "$rc" -eq 0 ] ;;
  ready) [ "$rc" -eq 0 ] && [ -f "$PGHOST/.instance-ready" ] ;;
  # accepting (0) or rejecting connections while starting or stopping (1) is alive; no answer (2) is not
  live) [ "$rc" -le 1 ] ;;
  *) echo "usage: probe.sh startup|ready|live" >&2; exit 2 ;;
esac
`;

/**
 * backup.sh (backup job, init container): a compressed tar-format base backup of the primary with
 * the WAL needed to make it consistent, into $BACKUP_DIR/<UTC timestamp>/. Restorable with
 * bootstrap.sh (RESTORE_DIR) or by hand: extract base.tar.gz into an empty data directory and
 * pg_wal.tar.gz into its pg_wal/, then start PostgreSQL.
 */
const BACKUP = `#!/bin/bash
# backup.sh: base backup of the primary into $BACKUP_DIR/<timestamp>/ (base.tar.gz, pg_wal.tar.gz, backup_manifest).
set -euo pipefail
SCRIPT_NAME=backup
. "$SCRIPTS_DIR/common.sh"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$BACKUP_DIR/$stamp"
passfile="$(replication_passfile)"
log "base backup of $BACKUP_HOST:$BACKUP_PORT into $out"
PGPASSFILE="$passfile" pg_basebackup -h "$BACKUP_HOST" -p "$BACKUP_PORT" -U "\${REPLICATION_USER:-replicator}" -w \\
  -D "$out" -F tar -z -X stream -c fast -l "cdk8s-stateful $stamp"
[ -s "$out/base.tar.gz" ] || die "pg_basebackup wrote no base.tar.gz"
printf '%s\\n' "$stamp" > "$BACKUP_DIR/LATEST"
log "backup $stamp written ($(du -sh "$out" | cut -f1))"
`;

/** Every script, by ConfigMap key. */
export function renderScripts(): { [file: string]: string } {
  return {
    'common.sh': COMMON,
    'bootstrap.sh': BOOTSTRAP,
    'entrypoint.sh': ENTRYPOINT,
    'reconcile.sh': RECONCILE,
    'probe.sh': PROBE,
    'backup.sh': BACKUP,
    'upload.sh': UPLOAD_SCRIPT,
    'download.sh': downloadScript('[ -s "$PGDATA/PG_VERSION" ]'),
  };
}
