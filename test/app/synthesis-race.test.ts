import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { shopApp } from '../gitops/publish/helpers';
import { tmpdir } from '../util/tmp';

const ROOT = path.resolve(__dirname, '../..');

/**
 * A second synthesis in its own process (the shop app without the prod StatefulSet `mq`) that stops
 * right before it first opens the output lock and waits (bounded) for `go`: the other synthesis
 * runs exactly in that window. With the lock taken after the previous output is read (the old
 * order), this process compared with the output as it was before the other write.
 */
function pausedSynthesis(outdir: string, control: string): { done: Promise<{ code: number | null; stderr: string }>; exited: () => boolean } {
  const script = path.join(control, 'child.js');
  fs.writeFileSync(script, `
require(${JSON.stringify(require.resolve('ts-node'))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(ROOT, 'test/tsconfig.json'))} });
const fs = require('fs');
const path = require('path');
const control = ${JSON.stringify(control)};
const realOpen = fs.openSync;
let paused = false;
fs.openSync = function (p, flags, ...rest) {
  if (!paused && flags === 'wx' && String(p).endsWith(path.join('.cdk8s-stateful', 'lock'))) {
    paused = true;
    fs.writeFileSync(path.join(control, 'paused'), '');
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 1200 && !fs.existsSync(path.join(control, 'go')); i++) Atomics.wait(sleeper, 0, 0, 50);
  }
  return realOpen.call(fs, p, flags, ...rest);
};
global.afterAll = () => undefined; // the test helpers register clean-ups with jest
const { shopApp } = require(${JSON.stringify(path.join(ROOT, 'test/gitops/publish/helpers'))});
shopApp(${JSON.stringify(outdir)}, undefined, { queue: false }).synth();
`);
  const child = spawn(process.execPath, [script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let exited = false;
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => {
    exited = true;
    resolve({ code, stderr });
  }));
  return { done, exited: () => exited };
}

async function waitFor(file: string, exited: () => boolean): Promise<void> {
  for (let i = 0; i < 1200 && !fs.existsSync(file) && !exited(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!fs.existsSync(file)) throw new Error(`timed out waiting for ${file}`);
}

describe('concurrent syntheses into one output directory', () => {
  test('the lock is taken before the previous output is read: a synthesis racing a write compares with that write', async () => {
    const outdir = path.join(tmpdir('cdk8s-stateful-race-'), 'out');
    const control = tmpdir('cdk8s-stateful-race-control-');
    const mq = path.join(outdir, 'rendered', 'prod', 'shop', 'StatefulSet.mq.yaml');

    // GIVEN a synthesis without the queue, stopped just before it takes the lock
    const other = pausedSynthesis(outdir, control);
    await waitFor(path.join(control, 'paused'), other.exited);
    if (other.exited()) throw new Error(`the other synthesis ended before the lock: ${(await other.done).stderr}`);
    // WHEN a synthesis with the production queue writes in that window
    shopApp(outdir, undefined).synth();
    expect(fs.existsSync(mq)).toBe(true);
    fs.writeFileSync(path.join(control, 'go'), '');
    const { code, stderr } = await other.done;

    // THEN the stopped one sees the queue as previous output: removing it in production is refused
    expect(stderr).toMatch(/CHANGE-DataObjectRemoved/);
    expect(code).not.toBe(0);
    expect(fs.existsSync(mq)).toBe(true);
  }, 120_000);
});
