#!/usr/bin/env bash
# Refreshes the dashboard's copy of the API contract after a server change:
#  1. src/Host/ClientApp/openapi/v1.json: the OpenAPI document the Host serves at /openapi/v1.json, written by the
#     Host test that otherwise compares it (when_the_dashboard_reads_the_openapi_document, LORA_UPDATE_OPENAPI=1);
#  2. src/Host/ClientApp/src/lib/schema.d.ts: the TypeScript types generated from it (npm run gen:api).
# Then run scripts/build-client.sh: its type check shows where the dashboard no longer matches the server.
# PostgreSQL: LORA_TEST_POSTGRES if set; otherwise the local server of scripts/postgres.sh (as test.sh does).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ -z "${LORA_TEST_POSTGRES:-}" ] && [ "${LORA_TEST_DOCKER:-0}" != "1" ]; then
  base=$(scripts/postgres.sh lorapipeline_tests) || { echo "[openapi] could not start PostgreSQL" >&2; exit 1; }
  export LORA_TEST_POSTGRES="$base;Database=lorapipeline_tests"
fi

echo "[openapi] writing src/Host/ClientApp/openapi/v1.json from the Host's /openapi/v1.json"
LORA_UPDATE_OPENAPI=1 dotnet test tests/Host.Tests --nologo -v q \
  --filter "FullyQualifiedName~when_the_dashboard_reads_the_openapi_document" >/dev/null \
  || { echo "[openapi] the Host test that writes the snapshot failed; run it without -v q to see why" >&2; exit 1; }

app="$root/src/Host/ClientApp"
if [ ! -x "$app/node_modules/.bin/openapi-typescript" ]; then
  (cd "$app" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "[openapi] generating src/Host/ClientApp/src/lib/schema.d.ts"
(cd "$app" && npm run --silent gen:api)
git --no-pager diff --stat -- "$app/openapi/v1.json" "$app/src/lib/schema.d.ts"
