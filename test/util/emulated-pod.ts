/**
 * Helpers of the real-server tests that run a StatefulSet engine's rendered scripts the way its pods
 * run them (PostgreSQL and MariaDB): an emulated pod directory built from the rendered volumes and
 * mounts, kubelet-like file replacement, and a stand-in `aws` CLI on a local directory.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** The OS user (uid / gid) the database's scripts run as. */
export interface OsUser { readonly uid: number; readonly gid: number }

/** A test password with the characters that need escaping in SQL literals, pgpass and option files. */
export function testPassword(): string {
  return `${randomBytes(12).toString('base64url')}:'\\"x`;
}

/** A rendered pod volume. */
export interface Volume { readonly name: string; readonly [k: string]: any }

/**
 * One emulated pod: its root directory holds the container's volume mounts (the rendered ConfigMap,
 * the Secrets with generated test passwords, emptyDirs), owned by `owner` (the database's OS user)
 * when the tests run as root.
 */
export class EmulatedPod {
  public readonly root: string;
  public proc?: ChildProcess;
  public readonly logFile: string;

  public constructor(public readonly name: string, parent: string, private readonly volumes: Volume[], private readonly cm: Record<string, string>,
    private readonly secrets: Map<string, string>, private readonly owner: OsUser | undefined, directory = name) {
    this.root = path.join(parent, directory);
    fs.mkdirSync(this.root, { recursive: true });
    this.logFile = path.join(this.root, 'container.log');
  }

  /** Creates the directories and files of a container's mounts (idempotent). */
  public mount(container: any): void {
    for (const m of container.volumeMounts ?? []) {
      const dir = this.path(m.mountPath);
      if (fs.existsSync(dir)) continue;
      fs.mkdirSync(dir, { recursive: true });
      const v = this.volumes.find((x) => x.name === m.name);
      if (v?.configMap) {
        for (const [file, content] of Object.entries(this.cm)) fs.writeFileSync(path.join(dir, file), content, { mode: 0o555 });
      } else if (v?.secret) {
        this.writeSecret(dir, v.secret.secretName, v.secret.items);
      } else if (v?.projected) {
        for (const s of v.projected.sources) this.writeSecret(dir, s.secret.name, s.secret.items);
      }
    }
    chownTree(this.owner, this.root);
  }

  /** A pod path, inside the root. */
  public path(p: string): string {
    return path.join(this.root, p);
  }

  /** The container's environment with paths under its mounts moved into the root. */
  public env(container: any, overrides: Record<string, string>): Record<string, string> {
    const mounts: string[] = (container.volumeMounts ?? []).map((m: any) => m.mountPath);
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = this.mapValue(e.value, mounts);
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = this.name;
      else if (e.valueFrom?.secretKeyRef) env[e.name] = `test-${e.valueFrom.secretKeyRef.key.toLowerCase()}`;
    }
    return { ...env, ...overrides };
  }

  /** The container's command with paths under its mounts moved into the root. */
  public command(container: any): string[] {
    const mounts: string[] = (container.volumeMounts ?? []).map((m: any) => m.mountPath);
    return (container.command as string[]).map((arg) => this.mapValue(arg, mounts));
  }

  private mapValue(value: string, mounts: string[]): string {
    return mounts.some((m) => value === m || value.startsWith(`${m}/`)) ? this.path(value) : value;
  }

  private writeSecret(dir: string, secretName: string, items: { key: string; path: string }[]): void {
    for (const item of items) {
      if (item.key !== 'password') throw new Error(`unexpected Secret key ${item.key}`);
      if (!this.secrets.has(secretName)) this.secrets.set(secretName, testPassword());
      const file = path.join(dir, item.path);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, this.secrets.get(secretName)!, { mode: 0o440 });
    }
  }
}

/** Gives `dir` (recursively) to `owner`; nothing without an owner (the tests run as that user). */
/** A client session a test holds open (a long query): its process, what it wrote to stderr, its exit. */
export interface HeldSession {
  readonly child: ChildProcess;
  readonly err: () => string;
  readonly exit: Promise<number | null>;
}

/** Starts a client `command` that holds a session open while the test changes the server under it. */
export function holdSession(command: string, args: string[], env: Record<string, string>): HeldSession {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += String(d); });
  return { child, err: () => err, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

export function chownTree(owner: OsUser | undefined, dir: string): void {
  if (!owner) return;
  const r = spawnSync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir]);
  if (r.status !== 0) throw new Error(`chown ${dir}: ${r.stderr}`);
}

/** Replaces a (read-only) mounted file as the kubelet does: a new file renamed over the old one. */
export function replaceMountedFile(owner: OsUser | undefined, file: string, content: string): void {
  fs.writeFileSync(`${file}.new`, content, { mode: 0o440 });
  chownTree(owner, `${file}.new`);
  fs.renameSync(`${file}.new`, file);
}

/**
 * A stand-in `aws` CLI for the object-store scripts: `s3 cp|ls|rm` on a local directory
 * ($FAKE_S3_ROOT), logging its arguments to `$FAKE_S3_ROOT.calls`. There is no S3 here: the upload
 * and download scripts run unchanged against it.
 */
export const FAKE_AWS = `#!/bin/bash
set -euo pipefail
printf '%s\\n' "$*" >> "$FAKE_S3_ROOT.calls"
if [ "$1" = --endpoint-url ]; then shift 2; fi
[ "$1" = s3 ] || { echo "fake aws: only s3 is supported" >&2; exit 2; }
shift; cmd="$1"; shift
recursive=0; args=()
for a in "$@"; do case "$a" in --recursive) recursive=1 ;; --only-show-errors) ;; *) args+=("$a") ;; esac; done
local_path() { case "$1" in s3://*) printf '%s/%s' "$FAKE_S3_ROOT" "\${1#s3://}" ;; *) printf '%s' "$1" ;; esac; }
case "$cmd" in
  cp)
    src="\${args[0]}"; dst="$(local_path "\${args[1]}")"
    if [ "$src" = - ]; then mkdir -p "$(dirname "$dst")"; cat > "$dst"
    elif [ "$recursive" = 1 ]; then mkdir -p "$dst"; cp -R "$(local_path "$src")/." "$dst/"
    else mkdir -p "$(dirname "$dst")"; cp "$(local_path "$src")" "$dst"; fi ;;
  ls)
    p="$(local_path "\${args[0]}")"
    if [[ "\${args[0]}" == */ ]]; then
      [ -d "$p" ] || exit 1
      for e in "$p"/*; do
        [ -e "$e" ] || continue
        if [ -d "$e" ]; then printf '                           PRE %s/\\n' "$(basename "$e")"
        else printf '2024-01-01 00:00:00 %10d %s\\n' "$(stat -c %s "$e")" "$(basename "$e")"; fi
      done
    else
      [ -f "$p" ] || exit 1
      printf '2024-01-01 00:00:00 %10d %s\\n' "$(stat -c %s "$p")" "$(basename "$p")"
    fi ;;
  rm) [ "$recursive" = 1 ] || exit 2; rm -rf "$(local_path "\${args[0]}")" ;;
  *) echo "fake aws: s3 $cmd is not supported" >&2; exit 2 ;;
esac
`;
