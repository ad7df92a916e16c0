/**
 * The StatefulSet engines' entrypoints run the server as a background job of a bash script that polls it
 * and forwards the pod's SIGTERM to it. Once a job has exited, bash has already reaped it and its pid may
 * name another process: the scripts ask bash's job table (`running_job`), never `kill -0 <pid>`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { renderMariadbScripts } from '../../src/database/engines/mariadb-statefulset/scripts';
import { renderScripts } from '../../src/database/engines/postgres-statefulset/scripts';
import { tmpdir } from '../util/tmp';

const engines: Array<[string, { [file: string]: string }]> = [['PostgreSQL', renderScripts()], ['MariaDB', renderMariadbScripts()]];

describe.each(engines)('%s scripts: a server job is signalled only while it is this shell\'s running job', (_name, scripts) => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'common.sh'), scripts['common.sh']);
  const bash = (script: string) => spawnSync('bash', ['-c', `. "${path.join(dir, 'common.sh')}"\n${script}`], { encoding: 'utf8', timeout: 30_000 });

  test('running_job: true while the job runs, false once it has exited, false for a live process that is not its job', () => {
    const r = bash([
      'sleep 30 & pid=$!',
      'running_job "$pid" && echo running',
      'kill "$pid"; wait "$pid" 2>/dev/null',
      'running_job "$pid" || echo exited',
      // the parent is alive (kill -0 would say so) but is no job of this shell
      'kill -0 "$PPID" && ! running_job "$PPID" && echo not-a-job',
    ].join('\n'));
    expect(r.stdout.split('\n').filter((l) => l)).toEqual(['running', 'exited', 'not-a-job']);
  });

  test('the entrypoint polls and signals its server through running_job only', () => {
    expect(scripts['entrypoint.sh']).toMatch(/^running\(\) \{ running_job "\$pid"; \}$/m);
    expect(scripts['entrypoint.sh']).toMatch(/^while running; do$/m);
    expect(scripts['entrypoint.sh']).toMatch(/^trap 'log "shutting down"; if running; then kill -(TERM|INT) "\$pid" 2>\/dev\/null; fi' TERM INT$/m);
    for (const script of Object.values(scripts)) expect(script).not.toMatch(/kill -0 "\$pid"/);
  });
});
