/**
 * The rendering memo (src/app/render-memo.ts): a re-synthesis renders again only the objects whose
 * inputs changed, and never gives another result than rendering everything: every input of
 * `ApiObject.toJson()` is in the fingerprint, and objects that run code at rendering are rendered
 * every time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart, JsonPatch, Lazy } from 'cdk8s';
import { IntOrString, KubeDeployment, Quantity } from 'cdk8s-plus-28/lib/imports/k8s';
import fc from 'fast-check';
import { buildPlatform } from '../../examples/platform/app';
import { Environment, EnvironmentChart, GitOpsApp, GitOpsAppProps, Suppressions, Tier } from '../../src';
import { RenderMemo, RenderMemoStats } from '../../src/app/render-memo';
import { cacheFileName, writeCache } from '../../src/gitops/writer/cache-store';
import { stateDir } from '../../src/gitops/writer/origin';
import { SUPPRESSIONS_ANNOTATION } from '../../src/policy/suppressions';
import { lazyValue } from '../../src/private/lazy';
import { readTree, tmpdir } from '../util/tmp';

/** Runs `fn` and gives the rendering memo's statistics of the synthesis it ran (the last one). */
function withStats<T>(fn: () => T): { result: T; stats: RenderMemoStats | undefined } {
  let stats: RenderMemoStats | undefined;
  const original = RenderMemo.prototype.save;
  const save = jest.spyOn(RenderMemo.prototype, 'save').mockImplementation(function (this: RenderMemo) {
    original.call(this);
    stats = this.stats;
  });
  try {
    return { result: fn(), stats };
  } finally {
    save.mockRestore();
  }
}

/** The rendered files of an output folder (path below rendered/ → bytes). */
function filesOf(outdir: string): Record<string, string> {
  return readTree(path.join(outdir, 'rendered'));
}

const ENV = () => new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'team', cluster: 'dev-cluster' });

/** An app with one environment whose objects `addObjects` adds. */
function appWith(outdir: string, addObjects: (chart: Chart) => void, props: Partial<GitOpsAppProps> = {}): GitOpsApp {
  const app = new GitOpsApp({ outdir, ...props });
  addObjects(new EnvironmentChart(app, 'dev', { environment: ENV() }));
  return app;
}

/** The outcome of a synthesis: its files, or its error message. */
function outcome(outdir: string, app: () => GitOpsApp): { files: Record<string, string> } | { error: string } {
  try {
    app().synthesize();
    return { files: filesOf(outdir) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('a no-change re-synthesis renders nothing again', () => {
  test('the reference platform: every object of a construct of this library or of a generated class is reused, the files are the same', () => {
    const outdir = tmpdir();
    const first = withStats(() => buildPlatform({ outdir }).synthesize());
    expect(first.stats!.hits).toBe(0);
    const before = filesOf(outdir);
    const toJson = jest.spyOn(ApiObject.prototype, 'toJson');
    let again: ReturnType<typeof withStats>;
    try {
      again = withStats(() => buildPlatform({ outdir }).synthesize());
    } finally {
      toJson.mockRestore();
    }
    const stats = again.stats!;
    expect((again.result as any).written).toEqual([]);
    expect(filesOf(outdir)).toEqual(before);
    // the memo was used for all it could hold (the ExternalSecret class of this library is not
    // identifiable under jest, which keeps no module registry in require.cache: it is rendered)
    expect(stats.misses).toBe(0);
    expect(stats.hits).toBe(first.stats!.misses);
    expect(stats.hits).toBeGreaterThan(100);
    expect(toJson.mock.calls.length).toBe(stats.uncacheable);
  });

  test('off with the option or $CDK8S_STATEFUL_CACHE=off: no memo at all', () => {
    const outdir = tmpdir();
    buildPlatform({ outdir }).synthesize();
    expect(withStats(() => buildPlatform({ outdir, synthesisCache: false }).synthesize()).stats).toBeUndefined();
    const saved = process.env.CDK8S_STATEFUL_CACHE;
    process.env.CDK8S_STATEFUL_CACHE = 'off';
    try {
      expect(withStats(() => buildPlatform({ outdir }).synthesize()).stats).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.CDK8S_STATEFUL_CACHE;
      else process.env.CDK8S_STATEFUL_CACHE = saved;
    }
  });
});

/** One object of each memoizable shape, each input settable. */
interface Inputs {
  readonly value: string;
  readonly port: number;
  readonly label?: string;
  readonly annotation?: string;
  readonly finalizer?: string;
  readonly owner?: string;
  readonly namespace?: string;
  readonly attribute?: string;
  readonly patch?: string;
  readonly lazy: string;
  readonly replicas: number;
  readonly memory: string;
}

const BASE: Inputs = { value: 'one', port: 8080, lazy: 'a', replicas: 2, memory: '1Gi' };

function build(inputs: Inputs): (chart: Chart) => void {
  return (chart) => {
    const cm = new ApiObject(chart, 'config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'config', namespace: inputs.namespace },
      data: { value: inputs.value, nested: lazyValue(() => `lazy-${inputs.lazy}`) },
    });
    if (inputs.label) cm.metadata.addLabel('example.com/label', inputs.label);
    if (inputs.annotation) cm.metadata.addAnnotation('example.com/note', inputs.annotation);
    if (inputs.finalizer) cm.metadata.addFinalizers(inputs.finalizer);
    if (inputs.owner) cm.metadata.addOwnerReference({ apiVersion: 'v1', kind: 'ConfigMap', name: inputs.owner, uid: '1' });
    if (inputs.attribute) cm.metadata.add('generateName', inputs.attribute);
    if (inputs.patch) cm.addJsonPatch(JsonPatch.add('/data/patched', inputs.patch));
    new KubeDeployment(chart, 'web', {
      metadata: { name: 'web' },
      spec: {
        replicas: inputs.replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{
              name: 'web',
              image: 'registry.example.com/web@sha256:' + 'a'.repeat(64),
              ports: [{ containerPort: inputs.port }],
              readinessProbe: { httpGet: { port: IntOrString.fromNumber(inputs.port) } },
              resources: { limits: { memory: Quantity.fromString(inputs.memory) } },
            }],
          },
        },
      },
    });
  };
}

describe('every input of a rendering is seen', () => {
  const changes: Array<[string, Partial<Inputs>]> = [
    ['a prop value', { value: 'two' }],
    ['a label', { label: 'x' }],
    ['an annotation', { annotation: 'x' }],
    ['a finalizer', { finalizer: 'example.com/keep' }],
    ['an owner reference', { owner: 'parent' }],
    ['the namespace', { namespace: 'other' }],
    ['another metadata attribute', { attribute: 'config-' }],
    ['a JSON patch', { patch: 'yes' }],
    ['the value a pure Lazy produces', { lazy: 'b' }],
    ['a number in a generated class', { replicas: 3 }],
    ['an IntOrString', { port: 9090 }],
    ['a Quantity', { memory: '2Gi' }],
  ];
  test.each(changes)('%s: the changed object is rendered again, the files are those of a synthesis without the memo', (_what, change) => {
    const withMemo = tmpdir();
    const without = tmpdir();
    appWith(withMemo, build(BASE)).synthesize();
    const changed = { ...BASE, ...change };
    const { stats } = withStats(() => appWith(withMemo, build(changed)).synthesize());
    appWith(without, build(changed), { synthesisCache: false }).synthesize();
    expect(filesOf(withMemo)).toEqual(filesOf(without));
    expect(stats!.misses).toBeGreaterThanOrEqual(1);
    expect(stats!.hits).toBeGreaterThanOrEqual(1); // the default-deny NetworkPolicy did not change
  });

  test('a changed JSON patch value is seen', () => {
    const withMemo = tmpdir();
    const without = tmpdir();
    appWith(withMemo, build({ ...BASE, patch: 'one' })).synthesize();
    appWith(withMemo, build({ ...BASE, patch: 'two' })).synthesize();
    appWith(without, build({ ...BASE, patch: 'two' }), { synthesisCache: false }).synthesize();
    expect(filesOf(withMemo)).toEqual(filesOf(without));
    expect(filesOf(withMemo)['dev/team/ConfigMap.config.yaml']).toContain('patched: two');
  });

  test.each([
    ['a suppression added', (chart: Chart) => Suppressions.add(chart.node.findChild('config'), { ruleId: 'PSS-Privileged', reason: 'kept on purpose' })],
    ['a suppression of the whole chart', (chart: Chart) => Suppressions.add(chart, { ruleId: 'PROD-MemoryLimit', reason: 'sized by hand' })],
  ])('what the synthesis adds to a rendering is seen too: %s', (_what, suppress) => {
    const withMemo = tmpdir();
    const without = tmpdir();
    const suppressed = (chart: Chart) => {
      build(BASE)(chart);
      suppress(chart);
    };
    appWith(withMemo, build(BASE)).synthesize();
    const { stats } = withStats(() => appWith(withMemo, suppressed).synthesize());
    appWith(without, suppressed, { synthesisCache: false }).synthesize();
    expect(filesOf(withMemo)).toEqual(filesOf(without));
    expect(JSON.stringify(filesOf(withMemo))).toContain(SUPPRESSIONS_ANNOTATION);
    expect(stats!.misses).toBeGreaterThanOrEqual(1);
    // and back: the memoized suppressed rendering is not given for the unsuppressed object
    appWith(withMemo, build(BASE)).synthesize();
    appWith(without, build(BASE), { synthesisCache: false }).synthesize();
    expect(filesOf(withMemo)).toEqual(filesOf(without));
  });

  test.each([
    ['Argo CD wiring turned off and on', { argoCd: undefined, operators: undefined }],
    ['Flux wiring turned off and on', { flux: undefined }],
  ])('%s: the data objects lose and get back their annotations as without the memo', (_what, change) => {
    const withMemo = tmpdir();
    const without = tmpdir();
    for (const props of [{}, change, {}]) {
      buildPlatform({ outdir: withMemo, ...props }).synthesize();
      buildPlatform({ outdir: without, synthesisCache: false, ...props }).synthesize();
      expect(filesOf(withMemo)).toEqual(filesOf(without));
    }
  });

  test('$CDK8S_DISABLE_SORT changes every fingerprint', () => {
    const outdir = tmpdir();
    appWith(outdir, build(BASE)).synthesize();
    const saved = process.env.CDK8S_DISABLE_SORT;
    process.env.CDK8S_DISABLE_SORT = '1';
    try {
      const { stats } = withStats(() => appWith(outdir, build(BASE)).synthesize());
      expect(stats!.hits).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.CDK8S_DISABLE_SORT;
      else process.env.CDK8S_DISABLE_SORT = saved;
    }
  });
});

describe('objects that run code at rendering are rendered every time', () => {
  class OwnToJson extends ApiObject {
    public toJson(): any {
      return { ...super.toJson(), extra: { at: 'render' } };
    }
  }
  const cases: Array<[string, (chart: Chart, n: number) => void]> = [
    ['a Lazy of another producer', (chart, n) => new ApiObject(chart, 'x', { apiVersion: 'v1', kind: 'ConfigMap', data: { v: Lazy.any({ produce: () => `n${n}` }) } })],
    ['a token (a value with resolve())', (chart, n) => new ApiObject(chart, 'x', { apiVersion: 'v1', kind: 'ConfigMap', data: { v: { resolve: () => `n${n}` } } })],
    ['a subclass with its own toJson', (chart, n) => new OwnToJson(chart, 'x', { apiVersion: 'v1', kind: 'ConfigMap', data: { v: 'same' }, n } as any)],
    ['an instance whose toJson was replaced', (chart, n) => {
      const o = new ApiObject(chart, 'x', { apiVersion: 'v1', kind: 'ConfigMap', data: { v: 'same' } });
      const original = o.toJson.bind(o);
      (o as any).toJson = () => ({ ...original(), data: { v: `n${n}` } });
    }],
  ];
  test.each(cases)('%s', (_what, add) => {
    const outdir = tmpdir();
    appWith(outdir, (chart) => add(chart, 1)).synthesize();
    const { stats } = withStats(() => appWith(outdir, (chart) => add(chart, 2)).synthesize());
    expect(stats!.uncacheable).toBe(1);
    const without = tmpdir();
    appWith(without, (chart) => add(chart, 2), { synthesisCache: false }).synthesize();
    expect(filesOf(outdir)).toEqual(filesOf(without));
  });

  test('an app with other resolvers than the default ones renders everything', () => {
    const outdir = tmpdir();
    const custom = (): GitOpsApp => {
      const app = appWith(outdir, build(BASE));
      app.resolvers.push({ resolve: () => undefined });
      return app;
    };
    custom().synthesize();
    const { stats } = withStats(() => custom().synthesize());
    expect(stats!.hits).toBe(0);
    expect(withStats(() => appWith(outdir, build(BASE)).synthesize()).stats!.hits).toBe(0);
    expect(withStats(() => appWith(outdir, build(BASE)).synthesize()).stats!.hits).toBeGreaterThan(0);
  });

  test('a value rendering refuses (a non-finite number) fails the same way with the memo', () => {
    const bad = (chart: Chart) => new ApiObject(chart, 'x', { apiVersion: 'v1', kind: 'ConfigMap', data: { v: NaN } as any });
    const withMemo = tmpdir();
    const without = tmpdir();
    appWith(withMemo, build(BASE)).synthesize();
    expect(outcome(withMemo, () => appWith(withMemo, bad))).toEqual(outcome(without, () => appWith(without, bad, { synthesisCache: false })));
  });

  test('a producer that throws fails the synthesis as without the memo', () => {
    const throwing = (chart: Chart) => new ApiObject(chart, 'x', {
      apiVersion: 'v1', kind: 'ConfigMap', data: { v: lazyValue(() => { throw new Error('producer failed'); }) },
    });
    const withMemo = tmpdir();
    const without = tmpdir();
    const a = outcome(withMemo, () => appWith(withMemo, throwing));
    expect(a).toEqual(outcome(without, () => appWith(without, throwing, { synthesisCache: false })));
    expect(JSON.stringify(a)).toContain('producer failed');
  });
});

describe('a memo that cannot be trusted is not used', () => {
  test('malformed entries or another code digest: everything is rendered, the files are the same', () => {
    const outdir = tmpdir();
    appWith(outdir, build(BASE)).synthesize();
    const file = path.join(stateDir()!, 'cache', cacheFileName('render', outdir));
    expect(fs.existsSync(file)).toBe(true);
    const before = filesOf(outdir);
    for (const data of [{ code: 'other', entries: [] }, { code: undefined, entries: [['x', 'y']] }, 'garbage']) {
      writeCache('render', outdir, data);
      const { stats } = withStats(() => appWith(outdir, build(BASE)).synthesize());
      expect(stats!.hits).toBe(0);
      expect(filesOf(outdir)).toEqual(before);
    }
  });
});

describe('differential: random props and edits, with and without the memo', () => {
  // JSON-like values cdk8s renders, with the shapes resolve treats specially
  const leaf = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.constant(null), fc.constant(undefined),
    fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(-0));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'value', 'emptyDir', 'selector', '1', '0', 'z'), tie('value'), { maxKeys: 3 }),
      fc.oneof(fc.integer({ min: 0, max: 9 }), fc.string({ maxLength: 3 })).map((v) => (typeof v === 'number' ? IntOrString.fromNumber(v) : IntOrString.fromString(v))),
      fc.string({ maxLength: 3 }).map((v) => lazyValue(() => ({ produced: v })))),
  }));
  const objectModel = fc.record({
    name: fc.constantFrom('a', 'b', 'c'),
    data: fc.dictionary(fc.constantFrom('k1', 'k2', 'k3'), value, { maxKeys: 3 }),
    label: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
    patch: fc.option(fc.constantFrom('p', 'q'), { nil: undefined }),
  });
  const model = fc.uniqueArray(objectModel, { selector: (o) => o.name, maxLength: 3 });

  test('each synthesis of a random sequence gives the outcome of a synthesis without the memo', () => {
    fc.assert(fc.property(fc.array(model, { minLength: 1, maxLength: 4 }), (steps) => {
      const withMemo = tmpdir();
      const without = tmpdir();
      const add = (objects: typeof steps[number]) => (chart: Chart) => {
        for (const o of objects) {
          const obj = new ApiObject(chart, o.name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: o.name }, data: o.data });
          if (o.label) obj.metadata.addLabel('example.com/l', o.label);
          if (o.patch) obj.addJsonPatch(JsonPatch.add('/data/patched', o.patch));
        }
      };
      for (const objects of steps) {
        const expected = outcome(without, () => appWith(without, add(objects), { synthesisCache: false }));
        expect(outcome(withMemo, () => appWith(withMemo, add(objects)))).toEqual(expected);
      }
    }), { numRuns: 40 });
  });
});
