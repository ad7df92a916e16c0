/** Turns the cross-run cache (and the code cache) off when set to `off` (or `0`, `false`, `no`). */
export const CACHE_ENV_VAR = 'CDK8S_STATEFUL_CACHE';

/** Whether the cross-run cache is on: the app's option (default on), unless `$CDK8S_STATEFUL_CACHE` turns it off. */
export function cacheEnabled(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[CACHE_ENV_VAR];
  if (v !== undefined && /^(off|0|false|no)$/i.test(v.trim())) return false;
  return option ?? true;
}
