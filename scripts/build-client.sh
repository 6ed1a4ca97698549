#!/usr/bin/env bash
# Builds the dashboard (src/Host/ClientApp) into src/Host/wwwroot, which the Host serves.
#  - npm ci when node_modules is missing or package.json / package-lock.json changed since it ran;
#  - checks that src/lib/schema.d.ts is what openapi-typescript generates from openapi/v1.json, the snapshot of the
#    Host's OpenAPI document (a Host test keeps the snapshot current), so the type check below checks the
#    dashboard against the server's contract;
#  - vite build (after a type check) only when the sources changed since the last build, or
#    when wwwroot has no index.html; LORA_CLIENT_FORCE=1 builds anyway.
# Needs Node.js 20.19+ (or 22.12+) with npm and the npm registry (or a mirror) reachable.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
app="$root/src/Host/ClientApp"
out="$root/src/Host/wwwroot"
stamps="$app/node_modules/.lorapipeline"

say() { echo "[client] $*"; }
fail() { echo "[client] $*" >&2; exit 1; }

[ -f "$app/package.json" ] || fail "no dashboard at $app"
command -v node >/dev/null 2>&1 || fail "Node.js is not installed (need 20.19+ with npm); the dashboard cannot be built."
command -v npm >/dev/null 2>&1 || fail "npm is not installed; the dashboard cannot be built."

node_version="$(node -p 'process.versions.node')"
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  process.exit((maj === 20 && min >= 19) || (maj === 22 && min >= 12) || maj > 22 ? 0 : 1);
' || fail "Node.js $node_version is too old for Vite 8: use 20.19+ or 22.12+."

# A hash of files (paths and contents) in a stable order, independent of timestamps.
hash_files() {
  (cd "$app" && LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

cd "$app"
deps_hash="$(printf '%s\0' package.json package-lock.json | hash_files)"
if [ ! -d node_modules ] || [ "$(cat "$stamps/deps.hash" 2>/dev/null)" != "$deps_hash" ]; then
  say "installing dependencies (npm ci) with Node $node_version"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed: is the npm registry reachable?"
  mkdir -p "$stamps"
  echo "$deps_hash" > "$stamps/deps.hash"
fi

# the API types must be generated from the committed snapshot of the server's document, not edited or stale
generated="$(mktemp "${TMPDIR:-/tmp}/schema.XXXXXX.d.ts")"
trap 'rm -f "$generated"' EXIT
node_modules/.bin/openapi-typescript openapi/v1.json -o "$generated" --silent >/dev/null \
  || fail "openapi-typescript could not read openapi/v1.json"
cmp -s "$generated" src/lib/schema.d.ts \
  || fail "src/lib/schema.d.ts is not what openapi/v1.json generates: run 'npm run gen:api' in src/Host/ClientApp (or scripts/openapi-snapshot.sh after a server change) and commit both"

# everything the build reads besides node_modules
source_hash="$( { printf '%s\0' package.json package-lock.json index.html tsconfig.json vite.config.ts;
                  find src public openapi -type f -print0 2>/dev/null; } | hash_files )"
if [ "${LORA_CLIENT_FORCE:-0}" != "1" ] && [ -f "$out/index.html" ] \
   && [ "$(cat "$stamps/build.hash" 2>/dev/null)" = "$source_hash" ]; then
  say "up to date (sources unchanged since the last build)"
  exit 0
fi

say "building into ${out#"$root"/}"
rm -f "$stamps/build.hash"
npm run --silent build -- --logLevel warn || fail "the dashboard build failed (see above)"
[ -f "$out/index.html" ] || fail "the build wrote no $out/index.html"
mkdir -p "$stamps"
echo "$source_hash" > "$stamps/build.hash"
say "built"
