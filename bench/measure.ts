/**
 * One measurement of the synthesis benchmark, in its own process (run by bench/run.ts, which reads
 * the JSON line this prints): the construct tree is built, then only the measured step is timed.
 * Peak memory is the process's maximum resident set (`process.resourceUsage().maxRSS`), module
 * loading included — the same for every variant, since every variant loads the library.
 *
 *   node measure.js --variant packs --fleet data --services 100 --dir /tmp/out
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { App } from 'cdk8s';
import * as YAML from 'yaml';
import { AspectPriority, Aspects, GitOpsApp, PolicyPacks, Tier } from '../src';
import { fleet, FleetKind } from './fleet';
import { main as cli } from '../src/cli/main';
import { CheckedObject, evaluatePacks } from '../src/policy/engine';

export const VARIANTS = ['plain', 'plainManyCharts', 'bare', 'packs', 'resynth', 'resynthGit', 'fewCharts', 'parse', 'policy', 'check'] as const;
export type Variant = typeof VARIANTS[number];

/** What one measurement reports. */
export interface Measurement {
  readonly ms: number;
  readonly peakRssMiB: number;
  /** Rendered objects (synthesis variants) or objects parsed / checked. */
  readonly objects?: number;
  /** Files written (GitOpsApp variants). */
  readonly written?: number;
  /**
   * `policy`: a second evaluation of the same objects in the same process, after the timed first one:
   * the cost per object once the rule code is compiled (`ms` includes compiling it on first use).
   */
  readonly warmMs?: number;
}

const TIER_OF: Record<string, Tier> = { dev: Tier.DEVELOPMENT, staging: Tier.STAGING, prod: Tier.PRODUCTION };

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p)); else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out.sort();
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Builds the variant's tree (untimed), then times the measured step. */
export function measure(variant: Variant, kind: FleetKind, services: number, dir: string): Measurement {
  const gitops = (packs: boolean, chartPerService: boolean) => {
    // change safety on, as by default
    const app = new GitOpsApp({ outdir: dir });
    fleet(app, services, { chartPerService, kind });
    if (packs) for (const p of PolicyPacks.all()) Aspects.of(app).add(p, { priority: AspectPriority.READONLY });
    return app;
  };
  let objects: number | undefined;
  let warmMs: number | undefined;
  let written: number | undefined;
  let ms: number;
  switch (variant) {
    case 'plain':
    case 'plainManyCharts': {
      // plain cdk8s: one chart per environment (its best case) or one per service (its worst case:
      // cdk8s resolves every chart against all the others)
      const app = new App({ outdir: dir });
      fleet(app, services, { chartPerService: variant === 'plainManyCharts', kind });
      ms = time(() => app.synth());
      break;
    }
    case 'bare':
    case 'packs':
    case 'resynth':
    case 'resynthGit':
    case 'fewCharts': {
      const app = gitops(variant !== 'bare', variant !== 'fewCharts');
      ms = time(() => {
        const result = app.synthesize();
        objects = result.objectCount;
        written = result.written.length;
      });
      break;
    }
    case 'parse':
    case 'policy': {
      const rendered = path.join(dir, 'rendered');
      const files = yamlFiles(rendered);
      if (variant === 'parse') {
        ms = time(() => { for (const f of files) YAML.parseAllDocuments(fs.readFileSync(f, 'utf8')); });
        objects = files.length;
        break;
      }
      // policy evaluation alone: every built-in pack over the rendered objects, with their tiers
      const checked: CheckedObject[] = files.map((f) => ({
        manifest: YAML.parse(fs.readFileSync(f, 'utf8')),
        tier: TIER_OF[path.relative(rendered, f).split(path.sep)[0]],
      }));
      objects = checked.length;
      // the packs are made before the clock starts, as the construct tree is for the synthesis variants
      // (an app makes them when it adds them): only their evaluation is timed
      const packs = PolicyPacks.all();
      ms = time(() => evaluatePacks(packs, checked));
      warmMs = time(() => evaluatePacks(packs, checked));
      break;
    }
    case 'check':
      ms = time(() => cli(['check', path.join(dir, 'rendered'), '--quiet'], { stdout: () => true, stderr: () => true }));
      break;
    default:
      throw new Error(`unknown variant ${variant}`);
  }
  return { ms, peakRssMiB: process.resourceUsage().maxRSS / 1024, objects, written, warmMs };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { variant: { type: 'string' }, fleet: { type: 'string' }, services: { type: 'string' }, dir: { type: 'string' } } });
  const result = measure(values.variant as Variant, values.fleet as FleetKind, Number(values.services), values.dir!);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
