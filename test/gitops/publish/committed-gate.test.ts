import * as fs from 'fs';
import * as path from 'path';
import { git, publish, refusal, repoWithHistory, shop, shopApp, ShopOptions, snapshot } from './helpers';
import { PublishErrorCode } from '../../../src/gitops/publish';
import { tmpdir } from '../../util/tmp';

/**
 * An app command that ignores what is in its output folder, like `cdk8s synth` (which deletes it):
 * it replaces the folder with an output rendered beforehand with no previous output (so the app's
 * own change-safety gate saw nothing).
 */
function wipingApp(o: ShopOptions): string {
  const source = path.join(tmpdir('cdk8s-stateful-wiping-'), 'out');
  shopApp(source, undefined, o).synth();
  const script = path.join(tmpdir('cdk8s-stateful-wiping-app-'), 'app.js');
  fs.writeFileSync(script, `const fs = require('fs');
fs.rmSync(process.env.CDK8S_OUTDIR, { recursive: true, force: true });
fs.cpSync(${JSON.stringify(source)}, process.env.CDK8S_OUTDIR, { recursive: true });
`);
  return `node ${JSON.stringify(script)}`;
}

describe('publish compares the committed output with the new one itself', () => {
  test('an app whose own gate saw no previous output: removing the production queue is refused (CHANGE_SAFETY), the repository unchanged', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop() });
    const before = snapshot(checkout);
    const e = refusal({ repository: checkout, command: wipingApp({ queue: false }) });
    expect(e.code).toBe(PublishErrorCode.CHANGE_SAFETY);
    expect(e.message).toMatch(/^change-safety gate: 1 unapproved risky change\(s\) against the committed output \(main [0-9a-f]{12}\); first: error CHANGE-DataObjectRemoved StatefulSet shop\/mq \(rendered\/prod\/shop\/StatefulSet.mq.yaml\)/);
    expect(snapshot(checkout)).toEqual(before);
  });

  test('approved in the new output, it is published and the commit message gives the reason; an approval only in the committed output does not count', () => {
    const { checkout } = repoWithHistory();
    // the committed output records an approval for removing mq (the app declared it before the removal)
    publish({ repository: checkout, command: wipingApp({ approveQueueRemoval: true }) });
    expect(JSON.parse(git(checkout, 'show', 'HEAD:.cdk8s-stateful/manifest.json')).changeApprovals).toHaveLength(1);
    const head = git(checkout, 'rev-parse', 'HEAD');
    // the new output does not record it: refused
    expect(refusal({ repository: checkout, command: wipingApp({ queue: false }) }).code).toBe(PublishErrorCode.CHANGE_SAFETY);
    expect(git(checkout, 'rev-parse', 'HEAD')).toBe(head);
    // recorded in the new output: published
    const r = publish({ repository: checkout, command: wipingApp({ queue: false, approveQueueRemoval: true }) });
    expect(r.committed).toBe(true);
    const message = git(checkout, 'log', '-1', '--format=%B');
    expect(message).toContain('queue drained and migrated to the managed broker, OPS-42');
    expect(fs.existsSync(path.join(checkout, 'rendered', 'prod', 'shop', 'StatefulSet.mq.yaml'))).toBe(false);
  });

  // left in the code, an approval that let a change through approved the next change of the same rule and object
  // too, with the reason written for the first (change-safety judgeChanges: `used` approvals are spent)
  test('an approval that let a change through is recorded as used and approves no later change, however many publishes later', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop() });
    const approvalsAt = (rev: string) => JSON.parse(git(checkout, 'show', `${rev}:.cdk8s-stateful/manifest.json`)).changeApprovals;
    // declared ahead of its change: recorded, not used, and publish says it matched nothing
    const ahead = publish({ repository: checkout, command: wipingApp({ approveQueueRemoval: true }) });
    expect(ahead.warnings).toContain('approval of CHANGE-DataObjectRemoved for StatefulSet mq in prod at shop-prod ("queue drained and migrated to the '
      + 'managed broker, OPS-42") matched no change: check its kind, name and environment, or remove it');
    expect(approvalsAt('HEAD')).toEqual([expect.not.objectContaining({ used: true })]);
    // the removal, approved: published, the approval recorded as used
    expect(publish({ repository: checkout, command: wipingApp({ queue: false, approveQueueRemoval: true }) }).committed).toBe(true);
    expect(approvalsAt('HEAD')).toEqual([expect.objectContaining({ ruleId: 'CHANGE-DataObjectRemoved', name: 'mq', used: true })]);
    // the queue back (no risky change), the approval left in the code: it stays used, and a publish without change commits nothing
    expect(publish({ repository: checkout, command: wipingApp({ approveQueueRemoval: true }) }).committed).toBe(true);
    expect(approvalsAt('HEAD')).toEqual([expect.objectContaining({ used: true })]);
    expect(publish({ repository: checkout, command: wipingApp({ approveQueueRemoval: true }) }).committed).toBe(false);
    // the same removal again, with the same approval: refused, the approval named
    const head = git(checkout, 'rev-parse', 'HEAD');
    const e = refusal({ repository: checkout, command: wipingApp({ queue: false, approveQueueRemoval: true }) });
    expect(e.code).toBe(PublishErrorCode.CHANGE_SAFETY);
    expect(e.message).toContain('The approval at shop-prod ("queue drained and migrated to the managed broker, OPS-42") let a change of the previous '
      + 'output through and approves no other: approve this change with a reason of its own');
    expect(git(checkout, 'rev-parse', 'HEAD')).toBe(head);
  });

  test('outside production a risky change is published, and each one is listed with its message (the commit message only counts them)', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop({ devCache: true }) });
    const r = publish({ repository: checkout, command: wipingApp({}) });
    expect(r.committed).toBe(true);
    expect(r.warnings).toEqual([
      'risky change, refused in production: warning CHANGE-DataObjectRemoved StatefulSet shop/cache (rendered/dev/shop/StatefulSet.cache.yaml): '
        + 'StatefulSet "shop/cache" was removed: pruning it leaves its volume claims with the data (persistentVolumeClaimRetentionPolicy.whenDeleted: '
        + 'Retain, the default), unused until someone deletes them',
    ]);
    expect(git(checkout, 'log', '-1', '--format=%B')).toContain('warning CHANGE-DataObjectRemoved (1): StatefulSet shop/cache');
  });

  test('an in-process synthesizer\'s synth() leaves the list to publish: each risky change is shown once', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop({ devCache: true }) });
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => (written.push(String(chunk)), true));
    let r;
    try {
      r = publish({ repository: checkout, synthesizer: shop({}) });
    } finally {
      spy.mockRestore();
    }
    expect(r.warnings.filter((w) => w.startsWith('risky change, refused in production: warning CHANGE-DataObjectRemoved StatefulSet shop/cache '))).toHaveLength(1);
    expect(written.join('')).not.toContain('risky change(s) pass as warning(s)');
    // outside publish the same app prints them
    const dir = path.join(tmpdir('cdk8s-stateful-direct-'), 'out');
    shop({ devCache: true }).synthesize(dir, tmpdir('cdk8s-stateful-direct-reports-'));
    const direct: string[] = [];
    const spy2 = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => (direct.push(String(chunk)), true));
    try {
      shop({}).synthesize(dir, tmpdir('cdk8s-stateful-direct-reports-'));
    } finally {
      spy2.mockRestore();
    }
    expect(direct.join('')).toContain('cdk8s-stateful: 1 risky change(s) pass as warning(s) here (refused in production):\n  warning CHANGE-DataObjectRemoved StatefulSet shop/cache');
  });

  test('more than 20 risky changes: 20 are listed, then how many more', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop({ devCaches: 23 }) });
    const r = publish({ repository: checkout, command: wipingApp({}) });
    expect(r.warnings).toHaveLength(21);
    expect(r.warnings.slice(0, 20).every((w) => /^risky change, refused in production: warning CHANGE-DataObjectRemoved StatefulSet shop\/cache-\d+ /.test(w))).toBe(true);
    expect(r.warnings[20]).toBe('… and 3 more risky change(s) (the reports list them all)');
  });

  test('environment branches: each branch is compared with its own committed output', () => {
    const { checkout } = repoWithHistory();
    publish({ repository: checkout, synthesizer: shop(), environmentBranches: true });
    const prod = git(checkout, 'rev-parse', 'env/prod');
    const e = refusal({ repository: checkout, command: wipingApp({ queue: false }), environmentBranches: true });
    expect(e.code).toBe(PublishErrorCode.CHANGE_SAFETY);
    expect(e.details[0]).toMatch(/^env\/prod: error CHANGE-DataObjectRemoved StatefulSet shop\/mq/);
    expect(git(checkout, 'rev-parse', 'env/prod')).toBe(prod);
  });
});
