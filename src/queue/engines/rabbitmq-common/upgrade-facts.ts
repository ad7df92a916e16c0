/**
 * RabbitMQ's version upgradability table (rabbitmq-website docs/upgrade.md, "RabbitMQ Version Upgradability"): the release
 * series a series upgrades to in place. A rolling upgrade skips no series (docs/rolling-upgrade.md): each one requires the
 * stable feature flags of the one before it (`stability => required`, deps/rabbit/src/rabbit_core_ff.erl), and a node whose
 * cluster lacks one refuses to start ("required feature flag not enabled").
 */
const UPGRADES_TO: Record<string, readonly string[]> = {
  '3.8': ['3.9'],
  '3.9': ['3.10'],
  '3.10': ['3.11'],
  '3.11': ['3.12'],
  '3.12': ['3.13'],
  '3.13': ['4.0', '4.1', '4.2'],
  '4.0': ['4.1', '4.2'],
  '4.1': ['4.2'],
  '4.2': ['4.3'],
};
/** 3.12 upgrades only from 3.11.18 on, whose `classic_queue_type_delivery_support` flag 3.12 requires. */
const MINIMUM_PATCH = new Map<string, number>([['3.11', 18]]);

/** The series to go through from `from` to `to` (neither included), or undefined when the table has no path. */
function seriesBetween(from: string, to: string): string[] | undefined {
  const previous = new Map<string, string>([[from, '']]);
  const queue = [from];
  while (queue.length > 0) {
    const series = queue.shift()!;
    if (series === to) {
      const path: string[] = [];
      for (let s = previous.get(to)!; s !== from; s = previous.get(s)!) path.unshift(s);
      return path;
    }
    for (const next of UPGRADES_TO[series] ?? []) {
      if (!previous.has(next)) {
        previous.set(next, series);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/**
 * Why RabbitMQ cannot be upgraded in place from `from` to the newer `to`, with the series to go through first, or undefined:
 * a patch release, a path of the table, or a series the table does not know.
 */
export function rabbitmqUpgradePath(from: readonly number[], to: readonly number[]): string | undefined {
  const [a, b] = [`${from[0]}.${from[1]}`, `${to[0]}.${to[1]}`];
  if (a === b || UPGRADES_TO[a] === undefined) return undefined;
  const minimum = MINIMUM_PATCH.get(a);
  const tooOld = minimum !== undefined && from[2] < minimum ? `${a}.${minimum}` : undefined;
  if (UPGRADES_TO[a].includes(b) && tooOld === undefined) return undefined;
  const through = seriesBetween(a, b);
  if (through === undefined) return undefined;
  const steps = [...(tooOld ? [`${tooOld} or a later ${a}.x`] : []), ...through.map((s) => `${s}.x`)];
  return `RabbitMQ upgrades in place from ${tooOld ? `${a} before ${tooOld}` : a} only to ${tooOld ? 'its later patch releases' : UPGRADES_TO[a].join(', ')} `
    + '(its version upgradability table): each release series requires the feature flags of the one before it enabled, so the first broker '
    + `restarted on ${b} refuses to start ("required feature flag not enabled") and the rolling restart stops with it down. Upgrade through `
    + `${steps.join(', then ')} first, one published version at a time, each running on every broker before the next (the engine enables `
    + 'its feature flags), or move to a new cluster on the new version (blue-green)';
}
