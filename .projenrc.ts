import { cdk8s, DependencyType, javascript } from 'projen';

// Versions are pinned on purpose: projen's defaults resolve to cdk8s v1 (fails to install),
// and several current majors are ESM-only or need Node 22 while jsii emits CommonJS on Node 20.
const CDK8S_VERSION = '2.70.106';
const CONSTRUCTS_VERSION = '10.4.2';
const CDK8S_PLUS = 'cdk8s-plus-28@2.5.6';
// What a user's project may have (peerDependencies): ranges whose lowest and newest versions the
// consumer test (test/consumer/run.sh, in .ci/run) installs and synthesizes with. The lowest cdk8s
// is the lowest that cdk8s-plus-28 2.5.6 accepts (^2.68.11; 2.68.11 itself was never published);
// constructs 10.3.0 refuses a construct with a synthesize() method (GitOpsApp has one).
export const PEER_RANGES = { 'cdk8s': '^2.68.12', 'constructs': '^10.3.1', 'cdk8s-plus-28': '^2.5.6' };

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
  // the devDependencies below stay pinned to the newest versions (tests, dist/): the consumer test
  // proves the lowest ones
  peerDependencyOptions: { pinnedDevDependency: false },
  devDeps: [
    CDK8S_PLUS,
    'cdk8s-cli@2.207.60',
    'fast-check@^4',
    'amqplib@^2.3.1',
    '@types/amqplib',
    'eslint-import-resolver-typescript@~3.6.3',
    // the only npm package shipping the SARIF 2.1.0 JSON schema as a file (report schema test)
    '@microsoft/jest-sarif@1.0.0-beta.0',
    // source of schemas/core-validators.js (`npx projen core-validators`): not shipped, 4,500 files
    'kubernetes-models@4.5.1',
  ],
  // Non-jsii runtime dependencies of a jsii library must be bundled.
  bundledDeps: [
    'yaml@2.9.1',
    'ajv@^8.17.1',
    'ajv-formats@^3.0.1',
    // CEL with optional types (`.?`, `[?]`, optional.of/orValue/hasValue), macros and custom overloads: see src/policy/cel/environment.ts
    '@marcbachmann/cel-js@^8.0.0',
    'commander@^14.0.3',
    'fast-json-patch@^3.1.1',
    '@jmespath-community/jmespath@^1.3.0',
    // RE2 semantics (linear time, Go syntax) for Kyverno's regex functions: JavaScript's
    // backtracking RegExp takes exponential time on patterns like ^(a+)+$
    're2js@^2.10.0',
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
      // no coverage in `npm test`: V8's precise coverage nearly doubles the suite on 2 cores (332 s
      // against 602 s), past the 10 minutes `npm test` must stay under; `npm run test:coverage` collects it
      collectCoverage: false,
      testTimeout: 120_000,
      // both cores (jest's default leaves one idle): the real-server tests use unique ports, names and
      // directories, so files run side by side (npm test: ~5 min instead of ~10 on 2 cores)
      maxWorkers: '100%',
      coverageReporters: ['text-summary'],
      testPathIgnorePatterns: ['/node_modules/', '/artifacts/'],
      // @marcbachmann/cel-js is ESM-only: Node >= 20.19 require()s it natively, jest's module
      // loader does not, so tests compile it to CommonJS
      transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
      // one fast-check seed per commit: CI runs are reproducible (ROBUSTNESS_SEED replays a failure);
      // the per-user state (journal key, cross-run cache) of tests in a temporary folder, not in the home directory
      setupFiles: ['<rootDir>/test/util/property-seed.ts', '<rootDir>/test/setup-state.ts'],
    },
  },
  // no inline source maps in lib/: with the TypeScript sources inlined they were 2.8 MB of lib's
  // 3.9 MB of JavaScript (the package must stay small); stack traces point at lib/*.js
  tsconfig: { compilerOptions: { inlineSourceMap: false, inlineSources: false } },
  tsconfigDev: {
    include: ['../examples/**/*.ts', '../bench/**/*.ts'],
    // the consumer test's apps import the packed library by its name: they compile in their own project
    exclude: ['consumer'],
    compilerOptions: {},
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', '.projenrc.ts', 'projenrc'],
    ignorePatterns: ['test/consumer/**', 'src/imports/**', '*.js', '*.d.ts', 'node_modules/', 'artifacts/'],
  },
  gitignore: ['/artifacts/', '/.tmp/', '/reports/'],
  // API.md is read on the repository (Construct Hub renders its own from .jsii): 0.5 MB less to install
  npmIgnoreOptions: { ignorePatterns: ['/dist/', '/examples/', '/bench/', '/.ci/', '/API.md'] },
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

// The core kinds' OpenAPI validators, copied out of kubernetes-models into one shipped file.
project.addTask('core-validators', {
  description: 'Regenerate schemas/core-validators.js from kubernetes-models (core kinds\' OpenAPI validators)',
  exec: 'ts-node --transpile-only --project projenrc/tsconfig.json projenrc/core-validators.ts',
});

// jsii does not remove what an earlier build wrote: a module file of an old layout (engines/x.js)
// would shadow the folder that replaced it (engines/x/index.js) in the package
project.compileTask.prependExec('node -e "require(\'fs\').rmSync(\'lib\', { recursive: true, force: true })"');
// lib/index.js as jsii compiles it loads every module of the library at the first require; the
// rewrite loads each on first use (same names and values; see projenrc/lazy-index.ts)
project.compileTask.exec('ts-node --transpile-only --project projenrc/tsconfig.json projenrc/lazy-index.ts lib');

project.addTask('test:coverage', {
  description: 'The tests with coverage (a summary; `npm test` runs them without: twice as fast)',
  exec: 'jest --passWithNoTests --ci --coverage',
  receiveArgs: true,
});

project.addTask('bench', {
  description: 'Synthesis benchmark (GitOpsApp against plain cdk8s, several sizes)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json bench/run.ts',
  receiveArgs: true,
});
project.addTask('bench:hostile', {
  description: 'Hostile-input benchmark (100k-key YAML map, exponential regex, wildcard backtracking): each under 2 s',
  exec: 'ts-node --transpile-only --project test/tsconfig.json bench/hostile.ts',
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
// peers are ranges; the dev install stays pinned (the tests and dist/ use it)
for (const [name, range] of Object.entries(PEER_RANGES)) {
  project.deps.removeDependency(name, DependencyType.PEER);
  project.deps.addDependency(`${name}@${range}`, DependencyType.PEER);
}
project.addDevDeps(`cdk8s@${CDK8S_VERSION}`, `constructs@${CONSTRUCTS_VERSION}`);
project.gitignore.removePatterns('/dist/');
// the writer's lock, journal and staging are transient; only the owned-files manifest is committed
project.gitignore.addPatterns('/dist/.cdk8s-stateful/*', '!/dist/.cdk8s-stateful/manifest.json');
project.synth();
