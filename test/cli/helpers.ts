import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { CliIo } from '../../src/cli/terminal';
import { tmpdir } from '../util/tmp';

export const ROOT = path.resolve(__dirname, '../..');
export const DIST = path.join(ROOT, 'dist');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process; `io` overrides the terminal facts (not a TTY, empty environment by default). */
export function cli(args: string[], io: Partial<Omit<CliIo, 'stdout' | 'stderr'>> = {}): CliRun {
  let stdout = '';
  let stderr = '';
  const code = main(args, {
    env: {},
    ...io,
    stdout: (s) => { stdout += s; return true; },
    stderr: (s) => { stderr += s; return true; },
  });
  return { code, stdout, stderr };
}

/** A copy of the reference output (never written to: tests edit the copy). */
export function copyDist(): string {
  const dir = path.join(tmpdir('cdk8s-stateful-cli-'), 'gitops');
  fs.cpSync(DIST, dir, { recursive: true });
  // the writer's transient state is not part of the reference output
  for (const name of ['lock', 'journal', 'journal.tmp', 'staging']) fs.rmSync(path.join(dir, '.cdk8s-stateful', name), { recursive: true, force: true });
  return dir;
}

/** Expects a bad-usage outcome: exit 2, one line on stderr matching `message`, no stack trace. */
export function expectUsageError(r: CliRun, message: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
