/**
 * One-service app from process start to written output (bench/run.ts times the whole child
 * process, module loading included). Variants:
 *   prepare            (untimed) renders the one-service app with plain cdk8s and saves its objects as JSON
 *   plain              plain cdk8s only (no import of this library): the saved objects as ApiObjects, `App.synth()`
 *   plainL1            `plain`, loading first the Kubernetes L1 classes the app is written with (bench/fleet.ts, as
 *                      `cdk8s import k8s` generates them): what the same app on plain cdk8s loads besides cdk8s
 *   plainWithLibrary   plain cdk8s `App.synth()` of the app built with this library's constructs
 *   packs              GitOpsApp with every built-in pack, change safety on, empty output directory
 *
 *   node startup.js --variant packs --fleet data --dir /tmp/out [--objects /tmp/objects.json]
 *
 * Modules are required inside each variant, so `plain` loads cdk8s and nothing else.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import * as fs from 'fs';
import { parseArgs } from 'util';

export const STARTUP_VARIANTS = ['plain', 'plainL1', 'plainWithLibrary', 'packs'] as const;
export type StartupVariant = typeof STARTUP_VARIANTS[number];

export function startup(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { variant: { type: 'string' }, fleet: { type: 'string' }, dir: { type: 'string' }, objects: { type: 'string' } },
  });
  const dir = values.dir!;
  switch (values.variant) {
    case 'prepare': {
      const { App } = require('cdk8s') as typeof import('cdk8s');
      const { fleet } = require('./fleet') as typeof import('./fleet');
      const app = new App({ outdir: dir });
      fleet(app, 1, { kind: values.fleet as any, chartPerService: false });
      // per chart, its objects as plain cdk8s renders them
      const charts = app.charts.map((c) => ({ id: c.node.id, objects: c.toJson() }));
      fs.writeFileSync(values.objects!, JSON.stringify(charts));
      break;
    }
    case 'plain':
    case 'plainL1': {
      if (values.variant === 'plainL1') require('cdk8s-plus-28/lib/imports/k8s');
      const { ApiObject, App, Chart } = require('cdk8s') as typeof import('cdk8s');
      const charts: Array<{ id: string; objects: any[] }> = JSON.parse(fs.readFileSync(values.objects!, 'utf8'));
      const app = new App({ outdir: dir });
      for (const c of charts) {
        const chart = new Chart(app, c.id);
        c.objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o));
      }
      app.synth();
      break;
    }
    case 'plainWithLibrary': {
      const { App } = require('cdk8s') as typeof import('cdk8s');
      const { fleet } = require('./fleet') as typeof import('./fleet');
      const app = new App({ outdir: dir });
      fleet(app, 1, { kind: values.fleet as any, chartPerService: false });
      app.synth();
      break;
    }
    case 'packs': {
      const { AspectPriority, Aspects, GitOpsApp, PolicyPacks } = require('../src') as typeof import('../src');
      const { fleet } = require('./fleet') as typeof import('./fleet');
      const app = new GitOpsApp({ outdir: dir });
      fleet(app, 1, { kind: values.fleet as any });
      for (const p of PolicyPacks.all()) Aspects.of(app).add(p, { priority: AspectPriority.READONLY });
      app.synth();
      break;
    }
    default:
      throw new Error(`unknown variant ${values.variant}`);
  }
}

if (require.main === module) startup(process.argv.slice(2));
