import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { AspectPriority, Aspects, Environment, EnvironmentChart, GitOpsApp, IAspect, Tier } from '../../src';
import { invokeAspects } from '../../src/aspects/aspects';
import { tmpdir } from '../util/tmp';

class Recorder implements IAspect {
  public readonly seen: string[] = [];
  constructor(private readonly log?: string[], private readonly tag = '') {}
  visit(node: IConstruct): void {
    this.seen.push(node.node.path);
    this.log?.push(`${this.tag}${node.node.path}`);
  }
}

function tree() {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const chart = new EnvironmentChart(app, 'c', { environment: new Environment({ name: 'dev', tier: Tier.DEVELOPMENT }) });
  new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap' });
  return { app, chart };
}

describe('Aspects', () => {
  test('each construct below the scope is visited exactly once, also on a second invocation', () => {
    const { app, chart } = tree();
    const rec = new Recorder();
    Aspects.of(chart).add(rec);
    Aspects.of(chart).add(rec); // adding twice is idempotent
    const visited = new WeakMap();
    invokeAspects(app, visited);
    invokeAspects(app, visited);
    expect(rec.seen.sort()).toEqual(['c', 'c/DefaultDenyNetworkPolicy', 'c/cm']);
  });

  test('constructs added by an aspect are visited too', () => {
    const { app, chart } = tree();
    const rec = new Recorder();
    let added = false;
    Aspects.of(chart).add({
      visit(node: IConstruct) {
        if (!added && node === chart) {
          added = true;
          new Construct(chart, 'AddedLater');
        }
      },
    }, { priority: AspectPriority.MUTATING });
    Aspects.of(chart).add(rec, { priority: AspectPriority.READONLY });
    invokeAspects(app);
    expect(rec.seen.sort()).toEqual(['c', 'c/AddedLater', 'c/DefaultDenyNetworkPolicy', 'c/cm']);
  });

  test('mutating aspects finish over the whole tree before validating ones start', () => {
    const { app, chart } = tree();
    const log: string[] = [];
    Aspects.of(app).add(new Recorder(log, 'validate:'), { priority: AspectPriority.READONLY });
    Aspects.of(chart).add(new Recorder(log, 'mutate:'), { priority: AspectPriority.MUTATING });
    invokeAspects(app);
    const firstValidate = log.findIndex((l) => l.startsWith('validate:'));
    const lastMutate = log.map((l) => l.startsWith('mutate:')).lastIndexOf(true);
    expect(lastMutate).toBeGreaterThanOrEqual(0);
    expect(lastMutate).toBeLessThan(firstValidate);
  });

  test('a mutating aspect changes what GitOpsApp renders', () => {
    const { app, chart } = tree();
    Aspects.of(chart).add({
      visit(node: IConstruct) {
        if (ApiObject.isApiObject(node)) node.metadata.addLabel('team', 'orders');
      },
    }, { priority: AspectPriority.MUTATING });
    const out = app.render();
    const cm = out.objects.find((o) => o.manifest.kind === 'ConfigMap')!;
    expect(cm.manifest.metadata.labels.team).toBe('orders');
  });

  test('an invalid priority is refused', () => {
    const { chart } = tree();
    expect(() => Aspects.of(chart).add(new Recorder(), { priority: NaN })).toThrow(/finite number/);
  });
});
