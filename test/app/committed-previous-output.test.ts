import * as fs from 'fs';
import * as path from 'path';
import { PolicyViolationError } from '../../src/errors';
import { readPreviousOutput } from '../../src/gitops/change-safety';
import { git, shopApp } from '../gitops/publish/helpers';
import { tmpdir } from '../util/tmp';

/** A Git repository with the shop app's output committed in `gitops/` (prod holds the data-bearing StatefulSet `mq`). */
function committedOutput(): { repo: string; outdir: string } {
  const repo = tmpdir('cdk8s-stateful-committed-');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Test');
  git(repo, 'config', 'user.email', 'test@example.com');
  git(repo, 'config', 'commit.gpgsign', 'false');
  const outdir = path.join(repo, 'gitops');
  shopApp(outdir, undefined).synth();
  fs.writeFileSync(path.join(outdir, 'NOTES.md'), 'ours\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'output');
  return { repo, outdir };
}

function refusal(fn: () => void): PolicyViolationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyViolationError) return e;
    throw e;
  }
  throw new Error('expected a PolicyViolationError');
}

describe('change safety without the output folder (cdk8s synth deletes it)', () => {
  test('a wiped output folder: the previous output is the committed one, and removing a production data object is refused', () => {
    // GIVEN the output committed, then the folder deleted (what `cdk8s synth` does before it runs the app)
    const { repo, outdir } = committedOutput();
    const head = git(repo, 'rev-parse', 'HEAD');
    fs.rmSync(outdir, { recursive: true });

    // THEN the gate still knows the previous output
    const previous = readPreviousOutput(outdir)!;
    expect(previous.source).toBe('git');
    expect(previous.location).toBe(`${head}:gitops`);
    expect(previous.objects.map((o) => `${o.environment}/${o.manifest.kind}/${o.manifest.metadata.name}`)).toContain('prod/StatefulSet/mq');
    expect(previous.tiers.get('prod')).toBe('production');

    // WHEN the app drops the queue: refused, nothing written (the folder stays deleted)
    const error = refusal(() => shopApp(outdir, undefined, { queue: false }).synth());
    expect(error.findings.some((f) => f.ruleId === 'CHANGE-DataObjectRemoved' && f.resource?.name === 'mq' && !f.suppressed)).toBe(true);
    expect(fs.existsSync(outdir)).toBe(false);

    // an empty folder (no manifest) is the same
    fs.mkdirSync(outdir);
    refusal(() => shopApp(outdir, undefined, { queue: false }).synth());
    expect(fs.readdirSync(outdir)).toEqual([]);
  });

  test('approved, it is written, and the approval is recorded in the output manifest', () => {
    const { outdir } = committedOutput();
    fs.rmSync(outdir, { recursive: true });
    const result = shopApp(outdir, undefined, { queue: false, approveQueueRemoval: true }).synthesize();
    expect(result.findings.find((f) => f.ruleId === 'CHANGE-DataObjectRemoved')?.suppressed).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, '.cdk8s-stateful', 'manifest.json'), 'utf8'));
    expect(manifest.changeApprovals).toEqual([{
      ruleId: 'CHANGE-DataObjectRemoved', reason: 'queue drained and migrated to the managed broker, OPS-42', kind: 'StatefulSet', name: 'mq', environment: 'prod', constructPath: 'shop-prod',
    }]);
  });

  test('a folder with an output is compared with itself; outside a repository there is no previous output', () => {
    const { outdir } = committedOutput();
    expect(readPreviousOutput(outdir)!.source).toBe('folder');
    const lone = path.join(tmpdir('cdk8s-stateful-norepo-'), 'out');
    expect(readPreviousOutput(lone)).toBeUndefined();
    shopApp(lone, undefined).synth();
    expect(readPreviousOutput(lone)!.source).toBe('folder');
  });

  test('a folder never committed in the repository: no previous output (a first synthesis)', () => {
    const { repo } = committedOutput();
    expect(readPreviousOutput(path.join(repo, 'elsewhere', 'out'))).toBeUndefined();
  });
});
