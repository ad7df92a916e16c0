#!/usr/bin/env bash
# Consumer test: the README's "Use it in your own project", step by step, on the packed library.
# Installs the tarball into fresh cdk8s TypeScript projects (cdk8s.yaml, tsconfig.json and main.ts of
# test/consumer/{app,plugin}) with the lowest and the newest peer versions package.json allows, and
# runs `npx cdk8s synth`: it must render, and refuse a violating change (exit non-zero, one block
# per finding with its fix, no dump of the error object).
#
#   test/consumer/run.sh [library.tgz]   (default: artifacts/js/*.tgz from `npx projen package-all`,
#                                          else `npm pack` of the built tree)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/test/consumer"
export CDK8S_CHECK_UPGRADE=false   # the cdk8s CLI's version check needs the network
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-consumer.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "CONSUMER TEST FAILED: $*"; exit 1; }

tarball=${1:-}
if [ -z "$tarball" ]; then
  tarball=$(ls "$ROOT"/artifacts/js/*.tgz 2>/dev/null | head -1 || true)
  [ -n "$tarball" ] || { [ -f "$ROOT/lib/index.js" ] || fail "no built library: run 'npx projen compile' first"; tarball="$WORK/$(cd "$ROOT" && npm pack --silent --pack-destination "$WORK")"; }
fi
[ -f "$tarball" ] || fail "no such tarball: $tarball"
tarball="$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")"   # npm install runs in the projects
echo "library: $tarball ($(du -k "$tarball" | cut -f1) KiB)"

peer() { node -p "require('$ROOT/package.json').peerDependencies['$1']"; }
lowest() { node -p "require('$ROOT/node_modules/semver').minVersion('$(peer "$1")').version"; }
# the versions the README names for the tools: TypeScript 5 (ts-node 10 breaks on TypeScript 7)
TOOLS=(cdk8s-cli@2 typescript@~5.9.0 ts-node@^10.9.2 @types/node@^20)

# one project per case, made the way `cdk8s init typescript-app` makes one, without the k8s import
make_project() { # dir source versions...
  local dir=$1 src=$2; shift 2
  mkdir -p "$dir"
  cp "$HERE/$src/cdk8s.yaml" "$HERE/$src/tsconfig.json" "$HERE/$src/main.ts" "$dir/"
  # --save-exact: the second install must not move the peers (cdk8s-cli wants a newer cdk8s: it gets its own)
  (cd "$dir" && npm init -y >/dev/null \
    && npm install --no-audit --no-fund --loglevel=error --save-exact "$tarball" "$@" \
    && npm install --no-audit --no-fund --loglevel=error -D "${TOOLS[@]}") >"$dir/install.log" 2>&1 \
    || { cat "$dir/install.log"; fail "npm install in $dir"; }
  (cd "$dir" && node -e '
    const want = Object.fromEntries(process.argv.slice(1).map((s) => [s.slice(0, s.lastIndexOf("@")), s.slice(s.lastIndexOf("@") + 1)]));
    for (const [p, v] of Object.entries(want)) {
      const got = require(p + "/package.json").version;
      if (got !== v) { console.error(`installed ${p} ${got}, expected ${v}`); process.exit(1); }
    }' "$@") || fail "the project does not have the peer versions asked for"
}

synth() { # dir label expect(pass|fail)
  local dir=$1 label=$2 expect=$3 rc=0
  (cd "$dir" && npx cdk8s synth) >"$dir/synth.log" 2>&1 || rc=$?
  if [ "$expect" = pass ] && [ $rc -ne 0 ]; then cat "$dir/synth.log"; fail "$label: cdk8s synth exited $rc"; fi
  if [ "$expect" = fail ] && [ $rc -eq 0 ]; then cat "$dir/synth.log"; fail "$label: a violating change was not refused"; fi
  echo "ok: $label (exit $rc)"
}

for set in lowest newest; do
  if [ $set = lowest ]; then
    versions=("cdk8s@$(lowest cdk8s)" "constructs@$(lowest constructs)" "cdk8s-plus-28@$(lowest cdk8s-plus-28)")
  else
    newest() { npm view "$1" versions --json | node -e 'console.log(require(process.argv[1]).maxSatisfying(JSON.parse(require("fs").readFileSync(0, "utf8")), process.argv[2]))' "$ROOT/node_modules/semver" "$(peer "$1")"; }
    versions=("cdk8s@$(newest cdk8s)" "constructs@$(newest constructs)" "cdk8s-plus-28@$(newest cdk8s-plus-28)")
  fi
  echo "--- $set peers: ${versions[*]}"
  app="$WORK/$set/app"
  make_project "$app" app "${versions[@]}"
  (cd "$app" && node -p "['cdk8s','constructs','cdk8s-plus-28','typescript','ts-node'].map(p => p + ' ' + require(p + '/package.json').version).join(', ')")

  # the entry point loads each module on first use (projenrc/lazy-index.ts): at require, only the
  # index and its code cache (src/private/code-cache.ts; its sealed store only when the cache is on),
  # every class and enum of the jsii assembly when asked, the same names to an ESM import
  loads='
    const path = require("path");
    const before = new Set(Object.keys(require.cache));
    const lib = require("cdk8s-stateful");
    const root = path.dirname(require.resolve("cdk8s-stateful"));
    const loaded = Object.keys(require.cache).filter((f) => !before.has(f)).map((f) => path.relative(root, f)).sort();
    const allowed = process.env.CDK8S_STATEFUL_CACHE === "off"
      ? ["index.js", "private/cache-switch.js", "private/code-cache.js"]
      : ["gitops/writer/cache-store.js", "gitops/writer/canonical-json.js", "gitops/writer/fsutil.js", "gitops/writer/origin.js",
         "index.js", "private/cache-switch.js", "private/code-cache.js", "private/version.js"];
    const asm = JSON.parse(require("fs").readFileSync(require.resolve("cdk8s-stateful/.jsii"), "utf8"));
    const want = Object.values(asm.types).filter((t) => (t.kind === "class" || t.kind === "enum") && !t.namespace).map((t) => t.name);
    const missing = want.filter((n) => lib[n] === undefined);
    if (JSON.stringify(loaded) !== JSON.stringify(allowed) || want.length < 50 || missing.length > 0) {
      console.error({ loaded, allowed, classesAndEnums: want.length, missing }); process.exit(1);
    }'
  (cd "$app" && node -e "$loads" && CDK8S_STATEFUL_CACHE=off node -e "$loads" \
    && node --input-type=module -e '
    import * as lib from "cdk8s-stateful";
    import { GitOpsApp, ReplicatedDatabase, PolicyPacks } from "cdk8s-stateful";
    import { createRequire } from "module";
    const names = Object.keys(createRequire(import.meta.url)("cdk8s-stateful"));
    const missing = names.filter((n) => !(n in lib));
    if (missing.length > 0 || [GitOpsApp, ReplicatedDatabase, PolicyPacks].some((c) => typeof c !== "function")) { console.error({ missing }); process.exit(1); }') \
    || fail "$set: the library's entry point (CommonJS and ESM)"
  echo "ok: $set: the entry point loads only its code cache at require and has every jsii class and enum; ESM import"

  # GitOpsApp under `cdk8s synth`: renders the GitOps layout into cdk8s.yaml's output
  synth "$app" "$set: cdk8s synth renders the GitOpsApp" pass
  for f in gitops/rendered/prod/orders/Cluster.orders-db.yaml gitops/rendered/prod/orders/ScheduledBackup.orders-db-scheduled.yaml \
           gitops/platform/prod-eu-west/Namespace.orders.yaml gitops/.cdk8s-stateful/manifest.json; do
    [ -f "$app/$f" ] || fail "$set: $f was not written"
  done
  # a violating change: refused with one block per finding and its fix, no dump, no library stack
  refused() { # label log
    grep -q '^  DATA-BackupRequired (orders-prod/OrdersDb): ' "$2" || { cat "$2"; fail "$1: the finding is not named"; }
    grep -q '^    fix: Set `backup: ' "$2" || { cat "$2"; fail "$1: no fix in the refusal"; }
    ! grep -qE 'findings: \[|ruleId: ' "$2" || { cat "$2"; fail "$1: the error object is dumped"; }
    ! grep -qE '^\s+at .*cdk8s-stateful/lib/' "$2" || { cat "$2"; fail "$1: a stack trace of the library is printed"; }
  }
  CONSUMER_VIOLATION=1 synth "$app" "$set: cdk8s synth refuses a violating change" fail
  refused "$set: cdk8s synth" "$app/synth.log"

  # run directly (`npx ts-node main.ts`): cdk8s synth empties its output directory first, the app
  # itself keeps the previous output, unchanged files untouched and a refused change writing nothing
  (cd "$app" && npx ts-node main.ts) >"$app/direct.log" 2>&1 || { cat "$app/direct.log"; fail "$set: npx ts-node main.ts"; }
  before=$(cd "$app" && find gitops -type f | sort | xargs sha256sum)
  (cd "$app" && npx ts-node main.ts) >"$app/direct.log" 2>&1 || { cat "$app/direct.log"; fail "$set: npx ts-node main.ts (again)"; }
  [ "$before" = "$(cd "$app" && find gitops -type f | sort | xargs sha256sum)" ] || fail "$set: a second synthesis changed the output"
  rc=0; (cd "$app" && CONSUMER_VIOLATION=1 npx ts-node main.ts) >"$app/direct.log" 2>&1 || rc=$?
  [ $rc -ne 0 ] || { cat "$app/direct.log"; fail "$set: npx ts-node main.ts accepted a violating change"; }
  refused "$set: npx ts-node main.ts" "$app/direct.log"
  [ "$before" = "$(cd "$app" && find gitops -type f | sort | xargs sha256sum)" ] || fail "$set: a refused synthesis changed the output"
  echo "ok: $set: npx ts-node main.ts keeps the output, refuses a violating change (exit $rc), writes nothing"

  # the validation plugin in cdk8s.yaml on a plain cdk8s app
  plugin="$WORK/$set/plugin"
  mkdir -p "$plugin"
  cp "$HERE/plugin/cdk8s.yaml" "$HERE/plugin/tsconfig.json" "$HERE/plugin/main.ts" "$plugin/"
  cp -a "$app/node_modules" "$app/package.json" "$plugin/"
  synth "$plugin" "$set: validation plugin passes a compliant app" pass
  grep -q 'Validations ended succesfully' "$plugin/synth.log" || { cat "$plugin/synth.log"; fail "$set: the plugin did not run"; }
  CONSUMER_VIOLATION=1 synth "$plugin" "$set: validation plugin refuses a violating app" fail
  grep -q 'PROD-ProductionReplicas' "$plugin/synth.log" || { cat "$plugin/synth.log"; fail "$set: the plugin did not name the finding"; }
done
echo "consumer test passed"
