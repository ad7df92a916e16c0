import * as path from 'path';
import { buildPlatform } from './app';

// usage: ts-node examples/platform/main.ts [outdir]   (npm run synth renders into dist/)
const outdir = path.resolve(process.argv[2] ?? 'dist');
const result = buildPlatform({ outdir }).synthesize();
console.log(`synthesized ${result.objectCount} objects into ${path.relative(process.cwd(), outdir) || '.'}: ` +
  `${result.written.length} written, ${result.unchanged.length} unchanged, ${result.deleted.length} deleted`);
