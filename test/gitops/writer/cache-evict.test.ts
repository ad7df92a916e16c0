import * as fs from 'fs';
import * as path from 'path';
import { CACHE_FILES_SLACK, cacheFileName, MAX_CACHE_FILES, readCache, writeCache } from '../../../src/gitops/writer/cache-store';
import { tmpdir } from '../../util/tmp';

/**
 * The cross-run cache folder stays bounded: above MAX_CACHE_FILES + CACHE_FILES_SLACK files it is
 * trimmed to the MAX_CACHE_FILES most recently written; temporary files of interrupted writes go
 * after an hour, a running write's stay.
 */
describe('cache folder trim', () => {
  const saved = process.env.CDK8S_STATEFUL_STATE_DIR;
  let state: string;
  let outs: string[];
  const cacheDir = () => path.join(state, 'cache');
  const fileOf = (outdir: string) => path.join(cacheDir(), cacheFileName('findings', outdir));
  const base = Date.now() / 1000 - 100_000;
  /** Writes the cache of output `i`, dated `i` seconds after `base` (so the order is known). */
  const write = (i: number) => {
    writeCache('findings', outs[i], { i });
    fs.utimesSync(fileOf(outs[i]), base + i, base + i);
  };
  const kept = () => outs.map((o, i) => (readCache('findings', o)?.i === i ? i : -1)).filter((i) => i >= 0);

  beforeEach(() => {
    state = tmpdir('cache-evict-state-');
    process.env.CDK8S_STATEFUL_STATE_DIR = state;
    const root = tmpdir('cache-evict-out-');
    outs = Array.from({ length: MAX_CACHE_FILES + CACHE_FILES_SLACK + 2 }, (_, i) => {
      const dir = path.join(root, `out-${i}`);
      fs.mkdirSync(dir);
      return dir;
    });
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CDK8S_STATEFUL_STATE_DIR; else process.env.CDK8S_STATEFUL_STATE_DIR = saved;
  });

  test('nothing is removed up to the slack; one more file trims the folder to the most recent', () => {
    const limit = MAX_CACHE_FILES + CACHE_FILES_SLACK;
    for (let i = 0; i < limit; i++) write(i);
    expect(fs.readdirSync(cacheDir())).toHaveLength(limit);
    expect(kept()).toEqual(Array.from({ length: limit }, (_, i) => i));
    // an older file rewritten is not a new file: no trim
    write(3);
    expect(fs.readdirSync(cacheDir())).toHaveLength(limit);
    // one more: the MAX_CACHE_FILES most recent stay (3 was rewritten last but is dated as before)
    write(limit);
    expect(fs.readdirSync(cacheDir())).toHaveLength(MAX_CACHE_FILES);
    expect(kept()).toEqual(Array.from({ length: MAX_CACHE_FILES }, (_, i) => limit + 1 - MAX_CACHE_FILES + i));
  });

  test('temporary files: an hour old removed, a running write\'s kept; folders and links never removed', () => {
    write(0);
    const stale = path.join(cacheDir(), 'findings-x.json.123.ab.tmp');
    const running = path.join(cacheDir(), 'findings-y.json.456.cd.tmp');
    fs.writeFileSync(stale, 'partial');
    fs.writeFileSync(running, 'partial');
    fs.utimesSync(stale, Date.now() / 1000 - 3700, Date.now() / 1000 - 3700);
    fs.mkdirSync(path.join(cacheDir(), 'a-folder'));
    fs.symlinkSync(fileOf(outs[0]), path.join(cacheDir(), 'a-link.json'));
    for (let i = 1; i <= MAX_CACHE_FILES + CACHE_FILES_SLACK; i++) write(i);
    const names = fs.readdirSync(cacheDir());
    expect(names).not.toContain(path.basename(stale));
    expect(names).toContain(path.basename(running));
    expect(names).toEqual(expect.arrayContaining(['a-folder', 'a-link.json']));
    // trimmed (the folder and the link count as entries, they are never removed): of the
    // MAX_CACHE_FILES + CACHE_FILES_SLACK + 1 cache files written, the most recent are there
    const caches = names.filter((n) => n.startsWith('findings-') && n.endsWith('.json')).length;
    expect(caches).toBeGreaterThanOrEqual(MAX_CACHE_FILES);
    expect(caches).toBeLessThan(MAX_CACHE_FILES + CACHE_FILES_SLACK + 1);
    expect(kept().slice(-MAX_CACHE_FILES)).toEqual(Array.from({ length: MAX_CACHE_FILES }, (_, i) => CACHE_FILES_SLACK + 1 + i));
  });
});
