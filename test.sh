#!/usr/bin/env bash
# The test command: sets everything up, runs every test project, and ends with one line
# "N passed, N failed[, N skipped]" computed from the TRX results. Exits non-zero on any failure.
#  - the dashboard is built (scripts/build-client.sh) and Chromium installed when missing
#    (scripts/install-chromium.sh, apt-get as root) for the browser tests;
#  - PostgreSQL: LORA_TEST_POSTGRES if set; otherwise the local server of scripts/postgres.sh
#    (set LORA_TEST_DOCKER=1 to let Testcontainers start one where a Docker engine answers).
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ -z "${LORA_TEST_POSTGRES:-}" ] && [ "${LORA_TEST_DOCKER:-0}" != "1" ]; then
  base=$(scripts/postgres.sh lorapipeline_tests) || { echo "could not start PostgreSQL"; echo "0 passed, 1 failed"; exit 1; }
  export LORA_TEST_POSTGRES="$base;Database=lorapipeline_tests"
fi

# the dashboard (Node/npm) and Debian's Chromium for the browser tests
if [ "${LORA_SKIP_CLIENT:-0}" != "1" ]; then
  scripts/build-client.sh || { echo "0 passed, 1 failed"; exit 1; }
  scripts/install-chromium.sh || { echo "0 passed, 1 failed"; exit 1; }
fi

results=".data/test-results"
rm -rf "$results" && mkdir -p "$results"

dotnet restore LoraPipeline.sln --nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }
dotnet build LoraPipeline.sln -c Release --no-restore --nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }

# every test project of the solution, each with its own result file
projects=$(dotnet sln LoraPipeline.sln list | grep -E 'Tests\.csproj$' | tr '\\' '/')
status=0
for project in $projects; do
  name=$(basename "$project" .csproj)
  echo "=== $name"
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=1
done

scripts/test-summary.sh "$results" "$status" $(echo "$projects" | wc -w)
