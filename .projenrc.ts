import { cdk8s, javascript } from 'projen';

// Versions are pinned on purpose: projen's defaults resolve to cdk8s v1 (fails to install),
// and several current majors are ESM-only or need Node 22 while jsii emits CommonJS on Node 20.
const CDK8S_VERSION = '2.70.106';
const CONSTRUCTS_VERSION = '10.4.2';
const CDK8S_PLUS = 'cdk8s-plus-28@2.5.6';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-stateful',
  packageName: 'cdk8s-stateful',
  description: 'Stateful services (databases, message queues) on Kubernetes through GitOps, with compliance policies enforced at synthesis time.',
  author: 'cdk8s-stateful maintainers',
  authorAddress: 'maintainers@users.noreply.h-seed-7bd5f79a.example',
  repositoryUrl: 'https://github.com/maintainers/cdk8s-stateful.git',
  defaultReleaseBranch: 'main',
  keywords: ['cdk8s', 'kubernetes', 'gitops', 'postgresql', 'rabbitmq', 'kafka', 'compliance'],
  license: 'Apache-2.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // 20.19: require() of ES modules (@marcbachmann/cel-js is ESM-only)
  minNodeVersion: '20.19.0',

  cdk8sVersion: CDK8S_VERSION,
  cdk8sVersionPinning: true,
  constructsVersion: CONSTRUCTS_VERSION,
  constructsVersionPinning: true,
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',

  // `dist/` is the committed reference GitOps output of examples/platform, so jsii's
  // packaging output goes elsewhere.
  artifactsDirectory: 'artifacts',

  peerDeps: [CDK8S_PLUS],
  devDeps: [
    CDK8S_PLUS,
    'cdk8s-cli@2.207.60',
    'fast-check@^4',
    'amqplib@^2.3.1',
    '@types/amqplib',
    'eslint-import-resolver-typescript@~3.6.3',
    // the only npm package shipping the SARIF 2.1.0 JSON schema as a file (report schema test)
    '@microsoft/jest-sarif@1.0.0-beta.0',
  ],
  // Non-jsii runtime dependencies of a jsii library must be bundled.
  bundledDeps: [
    'yaml@2.9.1',
    'ajv@^8.17.1',
    'ajv-formats@^3.0.1',
    'kubernetes-models@4.5.1',
    // CEL with optional types (`.?`, `[?]`, optional.of/orValue/hasValue), macros and custom overloads: see src/policy/cel/environment.ts
    '@marcbachmann/cel-js@^8.0.0',
    'commander@^14.0.3',
    'fast-json-patch@^3.1.1',
    '@jmespath-community/jmespath@^1.3.0',
  ],

  bin: { 'cdk8s-stateful': 'lib/cli/main.js' },

  // CI is `.ci/run` on a fresh clone, not GitHub workflows.
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,

  jestOptions: {
    // jest 30 and eslint-import-resolver-typescript 4 depend on unrs-resolver, whose per-platform
    // optional packages npm 11 leaves out of package-lock.json here, which breaks `npm ci`.
    jestVersion: '^29.7.0',
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    coverageText: false,
    jestConfig: {
      testTimeout: 120_000,
      coverageReporters: ['text-summary'],
      testPathIgnorePatterns: ['/node_modules/', '/artifacts/'],
      // @marcbachmann/cel-js is ESM-only: Node >= 20.19 require()s it natively, jest's module
      // loader does not, so tests compile it to CommonJS
      transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
    },
  },
  tsconfigDev: {
    include: ['../examples/**/*.ts', '../bench/**/*.ts'],
    compilerOptions: {},
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', '.projenrc.ts', 'projenrc'],
    ignorePatterns: ['src/imports/**', '*.js', '*.d.ts', 'node_modules/', 'artifacts/'],
  },
  gitignore: ['/artifacts/', '/.tmp/', '/reports/'],
  npmIgnoreOptions: { ignorePatterns: ['/dist/', '/examples/', '/bench/', '/.ci/'] },
});

// Reference platform: rendered into dist/ (committed; CI checks a fresh synth for drift).
project.addTask('synth', {
  description: 'Render the reference platform (examples/platform) into dist/',
  exec: 'ts-node --transpile-only --project test/tsconfig.json examples/platform/main.ts dist',
});

// Operator bindings: regenerated from ../shared/crds, one `cdk8s import` per API group.
project.addTask('import', {
  description: 'Regenerate src/imports/ from ../shared/crds with cdk8s import',
  exec: 'ts-node --transpile-only --project projenrc/tsconfig.json projenrc/import-crds.ts',
});

project.addTask('bench', {
  description: 'Synthesis benchmark (GitOpsApp against plain cdk8s, several sizes)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json bench/run.ts',
  receiveArgs: true,
});
project.addTask('bench:policy', {
  description: 'Policy evaluation benchmark (every built-in pack over ~10k objects, against rendering them to YAML)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json bench/policy.ts',
  receiveArgs: true,
});

project.jest?.config && Object.assign(project.jest.config.transform ??= {}, {
  '^.+/node_modules/@marcbachmann/cel-js/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, isolatedModules: true }],
});
// projen derives these from jestVersion as ^29.7.0, a version neither package has
project.addDevDeps('ts-jest@^29.4.0', '@types/jest@^29.5.14');
// the cdk8s CLI validation plugin is a plain module outside the jsii surface; `exports` also keeps
// the documented deep import of the TypeScript-only errors
project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './plugin': { types: './lib/plugin/index.d.ts', default: './lib/plugin/index.js' },
  './lib/errors': { types: './lib/errors/index.d.ts', default: './lib/errors/index.js' },
  './lib/*': { types: './lib/*.d.ts', default: './lib/*.js' },
  './package.json': './package.json',
  './.jsii': './.jsii',
});
project.gitignore.removePatterns('/dist/');
// the writer's lock, journal and staging are transient; only the owned-files manifest is committed
project.gitignore.addPatterns('/dist/.cdk8s-stateful/*', '!/dist/.cdk8s-stateful/manifest.json');
project.synth();
