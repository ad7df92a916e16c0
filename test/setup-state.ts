/**
 * Jest setup (every test file): the per-user state (journal key, cross-run cache) goes to a
 * temporary folder of this test run, never to the real home directory. A test that needs
 * another one sets `CDK8S_STATEFUL_STATE_DIR` itself (and puts it back).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

if (!process.env.CDK8S_STATEFUL_STATE_DIR) {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const dir = path.join(os.tmpdir(), `cdk8s-stateful-test-state-${uid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.CDK8S_STATEFUL_STATE_DIR = dir;
}
