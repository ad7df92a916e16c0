/**
 * Jest setup file: every fast-check property of a test run starts from one seed, derived from the
 * code under test (the Git trees of `src/` and `test/` at HEAD), so a CI run is reproducible: the
 * same commit checked out anywhere replays exactly the cases CI ran (`npm test` or `.ci/run` before
 * pushing shows what CI will see), a commit that changes only documentation or benchmarks keeps them,
 * and every change of the code or the tests explores new cases. `ROBUSTNESS_SEED=S` replays a seed
 * that a failure printed; outside a Git checkout fast-check keeps its own random seed.
 */
import * as child from 'child_process';
import * as crypto from 'crypto';
import * as path from 'path';
import * as fc from 'fast-check';

/** The seed for this run: `ROBUSTNESS_SEED`, else the first 28 bits of the HEAD commit id, else undefined. */
export function propertySeed(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (env.ROBUSTNESS_SEED !== undefined && env.ROBUSTNESS_SEED !== '') return Number(env.ROBUSTNESS_SEED);
  try {
    const trees = child.execFileSync('git', ['rev-parse', 'HEAD:src', 'HEAD:test'], {
      cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000,
    }).trim();
    if (!/^[0-9a-f]{40,64}\n[0-9a-f]{40,64}$/.test(trees)) return undefined;
    return parseInt(crypto.createHash('sha256').update(trees).digest('hex').slice(0, 7), 16);
  } catch {
    return undefined;
  }
}

const seed = propertySeed();
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
