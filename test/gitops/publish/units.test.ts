import * as fs from 'fs';
import * as path from 'path';
import { emptyRepo, git, GIT_ENV } from './helpers';
import { GitOpsPublisher, PublishError, PublishErrorCode } from '../../../src/gitops/publish';
import { failureReason } from '../../../src/gitops/publish/app';
import { ComplianceFinding, complianceLines } from '../../../src/gitops/publish/compliance';
import { Git, gitReason, redactCredentials } from '../../../src/gitops/publish/git';
import { commitMessage, findingScope, MessageInput, ScopeChanges } from '../../../src/gitops/publish/message';

const finding = (over: Partial<ComplianceFinding>): ComplianceFinding => ({
  ruleId: 'PROD-LivenessProbe', packId: 'production-readiness', severity: 'warning', message: 'no probe', suppressed: false, ...over,
});

describe('publish: credentials and git messages', () => {
  test.each([
    ['https://robot:tok3n@github.com/acme/gitops.git', 'https://***@github.com/acme/gitops.git'],
    ['fatal: unable to access \'https://x-access-token:ghs_abc@github.com/a/b.git/\': 403', 'fatal: unable to access \'https://***@github.com/a/b.git/\': 403'],
    ['ssh://git@host:22/repo.git', 'ssh://***@host:22/repo.git'],
    ['git@github.com:acme/gitops.git', 'git@github.com:acme/gitops.git'],
    ['/srv/git/gitops.git', '/srv/git/gitops.git'],
  ])('redactCredentials(%j)', (input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
  });

  test('gitReason keeps the fatal / error line, drops hints, one line', () => {
    expect(gitReason('hint: Updates were rejected\nhint: see docs\nerror: failed to push some refs to \'https://u:p@h/r\'\n')).toBe('error: failed to push some refs to \'https://***@h/r\'');
    expect(gitReason('warning: x\nsomething else\n')).toBe('something else');
    expect(gitReason('')).toBe('no message');
  });

  test('failureReason: the app\'s error line, and for a PolicyViolationError its first blocking finding', () => {
    const stderr = [
      '/app/node_modules/cdk8s-stateful/lib/app/gitops-app.js:240',
      '      throw new PolicyViolationError(output.findings);',
      '      ^',
      '',
      'PolicyViolationError: policy violations: 2 unsuppressed error-level finding(s); nothing was written',
      '  GITOPS-NoSecretData Secret shop/creds (rendered/prod/shop/Secret.creds.yaml:9, shop-prod/creds): Secret "creds" has stringData (password)',
      '  CHANGE-DataObjectRemoved StatefulSet shop/mq (rendered/prod/shop/StatefulSet.mq.yaml): removed',
      '    at GitOpsApp.synthesize (/app/gitops-app.js:240:13)',
      '',
      'Node.js v20.11.0',
    ].join('\n');
    expect(failureReason(stderr)).toMatch(/^PolicyViolationError: policy violations: 2 unsuppressed error-level finding\(s\); nothing was written; first: GITOPS-NoSecretData Secret shop\/creds /);
    expect(failureReason('Error: boom\n    at x (y.js:1:1)\n')).toBe('Error: boom');
    // run through `cdk8s synth`: its closing line about the exit code is not the reason, the app's error is
    const cdk8s = '/app/node_modules/cdk8s-stateful/lib/private/names.js:24\n    return new ValidationError({ code });\n           ^\n'
      + "ValidationError: [INVALID_VALUE] orders-prod/Events: invalid replicas 0: an integer from 1 to 9\n  code: 'INVALID_VALUE',\n}\n"
      + '    at invalid (names.js:24:12)\nError: command "npx ts-node main.ts " at /app returned a non-zero exit code 1\n';
    expect(failureReason(cdk8s)).toBe('ValidationError: [INVALID_VALUE] orders-prod/Events: invalid replicas 0: an integer from 1 to 9');
    // without an error of the app's own, the closing line is all there is
    expect(failureReason('Error: command "npx ts-node main.ts " at /app returned a non-zero exit code 1\n'))
      .toBe('Error: command "npx ts-node main.ts " at /app returned a non-zero exit code 1');
  });
});

describe('publish: Git.run', () => {
  test('git exiting before it reads its standard input (EPIPE) is a failed git command with its reason, not "cannot run git"', () => {
    const { checkout } = emptyRepo();
    fs.writeFileSync(path.join(git(checkout, 'rev-parse', '--absolute-git-dir'), 'index.lock'), '');
    // far more than a pipe buffer: git refuses on the lock before it reads them
    const r = new Git(checkout, GIT_ENV).run(['add', '-A', '--pathspec-from-file=-', '--pathspec-file-nul'], { input: 'a.yaml\0'.repeat(200_000) });
    expect(r.status).toBe(128);
    expect(gitReason(r.stderr)).toMatch(/^fatal: Unable to create '.*index\.lock': File exists\.$/);
  });
});

describe('publish: the commit message', () => {
  const env = (name: string, tier = 'production') => ({ name, tier, cluster: 'main', namespace: 'shop', packs: ['gitops-hygiene'] });
  const changes = (o: Partial<ScopeChanges>): ScopeChanges => ({ added: [], removed: [], changed: [], renamed: [], ...o });
  const base = (over: Partial<MessageInput> = {}): MessageInput => ({
    environments: [env('prod'), env('dev', 'development')],
    platformClusters: ['main'],
    changes: new Map([
      ['env:prod', changes({ changed: [{ object: 'Deployment shop/api', fields: ['/spec/replicas', '/spec/template/spec/containers/0/image', '/metadata/labels/a', '/metadata/labels/b'] }] })],
      ['env:dev', changes({ added: ['ConfigMap shop/b', 'ConfigMap shop/a'], renamed: [{ from: 'Cluster shop/db', to: 'db2' }] })],
    ]),
    otherFiles: [],
    fileCount: 4,
    compliance: {
      source: 'app-report',
      reports: new Map(),
      findings: [
        finding({ environment: 'dev', object: 'Deployment shop/z' }),
        finding({ environment: 'dev', object: 'Deployment shop/a' }),
        finding({ environment: 'dev', ruleId: 'PROD-ZoneSpread', suppressed: true, reason: 'single zone\n lab', object: 'Deployment shop/a' }),
        finding({ environment: 'prod', packId: 'change-safety', ruleId: 'CHANGE-ImmutableField', severity: 'error', suppressed: true, reason: 'recreated on purpose', object: 'StatefulSet shop/mq' }),
        finding({ file: 'platform/main/Namespace.shop.yaml', ruleId: 'GITOPS-Info', severity: 'info' }),
        finding({ ruleId: 'DATA-Model', severity: 'warning' }),
      ],
    },
    libraryVersion: '1.2.3',
    ...over,
  });

  test('summary line, objects per environment (fields capped), compliance with reasons, platform, findings outside environments', () => {
    expect(commitMessage(base())).toBe([
      'cdk8s-stateful: publish dev, prod (2 added, 1 changed, 1 renamed)',
      '',
      'Environment dev (development; cluster main, namespace shop): 2 added, 1 renamed',
      '  + ConfigMap shop/a',
      '  + ConfigMap shop/b',
      '  > Cluster shop/db renamed to db2',
      '  Compliance: packs gitops-hygiene',
      '    findings: 0 errors, 2 warnings, 0 infos; 1 suppressed; 0 change approvals',
      '    warning PROD-LivenessProbe (2): Deployment shop/a, Deployment shop/z',
      '    suppressed PROD-ZoneSpread on Deployment shop/a: single zone lab',
      '',
      'Environment prod (production; cluster main, namespace shop): 1 changed',
      '  ~ Deployment shop/api: /spec/replicas, /spec/template/spec/containers/0/image, /metadata/labels/a (+1 more)',
      '  Compliance: packs gitops-hygiene',
      '    findings: 0 errors, 0 warnings, 0 infos; 0 suppressed; 1 change approval',
      '    approved CHANGE-ImmutableField on StatefulSet shop/mq: recreated on purpose',
      '',
      'Platform main (cluster-scoped prerequisites): no object changed',
      '  Compliance: packs gitops-hygiene',
      '    findings: 0 errors, 0 warnings, 1 info; 0 suppressed; 0 change approvals',
      '    info GITOPS-Info (1): platform/main/Namespace.shop.yaml',
      '',
      'Findings outside any environment:',
      '    findings: 0 errors, 1 warning, 0 infos; 0 suppressed; 0 change approvals',
      '    warning DATA-Model (1): model',
      '',
      'Policy gate passed: no unsuppressed error-level finding (compliance: the app\'s policy report).',
      'Published by cdk8s-stateful 1.2.3.',
      '',
    ].join('\n'));
  });

  test('the same input in another order gives the same bytes', () => {
    const a = base();
    const b = base({
      environments: [...a.environments].reverse(),
      compliance: { ...a.compliance, findings: [...a.compliance.findings].reverse() },
      changes: new Map([...a.changes].reverse()),
    });
    expect(commitMessage(b)).toBe(commitMessage(a));
  });

  test('more than three environments are counted; only other files changed; an environment branch', () => {
    const many = ['a', 'b', 'c', 'd'].map((n) => env(n));
    const m = commitMessage(base({ environments: many, changes: new Map(many.map((e) => [`env:${e.name}`, changes({ added: ['ConfigMap shop/x'] })])) }));
    expect(m.split('\n')[0]).toBe('cdk8s-stateful: publish 4 environments (4 added)');
    // the first publish: three environments and the platform layer are not "4 environments"
    const three = ['dev', 'prod', 'staging'].map((n) => env(n));
    const first = commitMessage(base({
      environments: three,
      changes: new Map([...three.map((e) => [`env:${e.name}`, changes({ added: ['ConfigMap shop/x'] })] as const), ['platform:main', changes({ added: ['Namespace shop'] })]]),
    }));
    expect(first.split('\n')[0]).toBe('cdk8s-stateful: publish 3 environments and platform (4 added)');
    const files = commitMessage(base({ changes: new Map(), fileCount: 1, otherFiles: [{ path: 'README.md', change: 'changed' as any }] }));
    expect(files.split('\n')[0]).toBe('cdk8s-stateful: publish output (1 file changed)');
    expect(files).toContain('Other files: 1 file\n  ~ README.md\n');
    const branch = commitMessage(base({ environments: [env('dev')], platformClusters: [], environmentBranch: 'dev', changes: new Map(), fileCount: 1 }));
    expect(branch.split('\n')[0]).toBe('cdk8s-stateful: publish dev (1 file changed)');
    expect(branch).not.toMatch(/Platform|outside any environment/);
  });

  test('long compliance sections are capped (the report has the rest)', () => {
    const findings = Array.from({ length: 60 }, (_, i) => finding({ environment: 'dev', ruleId: `PROD-Rule${String(i).padStart(2, '0')}` }));
    const lines = complianceLines(['production-readiness'], findings);
    expect(lines).toHaveLength(42);
    expect(lines[lines.length - 1]).toBe('    ... and 21 more lines (see the policy report)');
  });

  test('findingScope: environment, platform folder, rendered folder, other', () => {
    const envs = new Set(['dev']);
    expect(findingScope(finding({ environment: 'dev' }), envs)).toBe('env:dev');
    expect(findingScope(finding({ environment: 'platform/main' }), envs)).toBe('platform:main');
    expect(findingScope(finding({ file: 'platform/local/Namespace.x.yaml' }), envs)).toBe('platform:local');
    expect(findingScope(finding({ file: 'rendered/dev/x/ConfigMap.y.yaml' }), envs)).toBe('env:dev');
    expect(findingScope(finding({ environment: 'gone' }), envs)).toBe('other');
  });
});

describe('publish: errors', () => {
  test('GitOpsPublisher.errorCode recognises publish errors (for jsii languages), and isUsageError tells exit 2 from 1', () => {
    const refused = new PublishError(PublishErrorCode.HAND_EDITED, 'x');
    expect(GitOpsPublisher.errorCode(refused)).toBe('HAND_EDITED');
    expect(GitOpsPublisher.errorCode({ name: 'PublishError', code: 'POLICY_GATE', message: 'm' })).toBe('POLICY_GATE');
    expect(GitOpsPublisher.errorCode(new Error('x'))).toBeUndefined();
    expect(GitOpsPublisher.errorCode(undefined)).toBeUndefined();
    expect(refused.isUsageError).toBe(false);
    expect(new PublishError(PublishErrorCode.INVALID_OUTPUT, 'x').isUsageError).toBe(true);
    expect(refused).toBeInstanceOf(Error);
  });
});
