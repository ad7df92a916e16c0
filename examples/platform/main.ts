import * as path from 'path';
import { buildPlatform } from './app';

// usage: ts-node examples/platform/main.ts [outdir]   (npm run synth renders into dist/)
const outdir = path.resolve(process.argv[2] ?? process.env.CDK8S_OUTDIR ?? 'dist');
// policy reports (SARIF for code scanning, JUnit, Markdown...) go next to, not into, the GitOps output
const result = buildPlatform({ outdir, reports: { directory: path.resolve('reports') } }).synthesize();
console.log(`synthesized ${result.objectCount} objects into ${path.relative(process.cwd(), outdir) || '.'}: ` +
  `${result.written.length} written, ${result.unchanged.length} unchanged, ${result.deleted.length} deleted`);
const warnings = result.findings.filter((f) => !f.suppressed);
console.log(`policy: ${result.findings.length} finding(s), ${warnings.length} unsuppressed (none blocking); reports in reports/`);
