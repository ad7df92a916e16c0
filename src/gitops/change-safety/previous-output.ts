import * as fs from 'fs';
import * as path from 'path';
import { parseYaml } from '../../private/yaml-read';
import { readOwnedManifest } from '../writer';

/** An object of the previous output. */
export interface PreviousObject {
  readonly file: string;
  readonly manifest: any;
  /** Environment (for `rendered/<env>/` files). */
  readonly environment?: string;
  /** Cluster (for `platform/<cluster>/` files). */
  readonly cluster?: string;
}

/** The previous output: the owned manifest files under `rendered/` and `platform/`, and the recorded tiers and clusters. */
export interface PreviousOutput {
  readonly objects: PreviousObject[];
  /** Environment name → the tier it was written with. */
  readonly tiers: Map<string, string>;
  /** Environment name → the cluster it was written for. */
  readonly clusters: Map<string, string>;
}

/**
 * Reads the objects this library wrote last time (the owned-files manifest lists them). Files that
 * are missing or unparsable are skipped: `verify` reports them.
 */
export function readPreviousOutput(outdir: string): PreviousOutput | undefined {
  let manifest;
  try {
    manifest = readOwnedManifest(outdir);
  } catch {
    return undefined;
  }
  if (!manifest) return undefined;
  const objects: PreviousObject[] = [];
  for (const { path: file } of manifest.files) {
    const m = /^(rendered|platform)\/([^/]+)\/.+\.yaml$/.exec(file);
    if (!m) continue;
    let parsed: any;
    try {
      parsed = parseYaml(fs.readFileSync(path.join(outdir, file), 'utf8'));
    } catch {
      continue;
    }
    if (!parsed || typeof parsed.kind !== 'string' || typeof parsed.metadata?.name !== 'string') continue;
    objects.push({ file, manifest: parsed, environment: m[1] === 'rendered' ? m[2] : undefined, cluster: m[1] === 'platform' ? m[2] : undefined });
  }
  const tiers = new Map<string, string>(manifest.environments.map((e) => [e.name, e.tier]));
  const clusters = new Map<string, string>(manifest.environments.map((e) => [e.name, e.cluster]));
  return { objects, tiers, clusters };
}
