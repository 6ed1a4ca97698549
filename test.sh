#!/usr/bin/env bash
# The test command: sets everything up, runs every test project, and ends with one line
# "N passed, N failed[, N skipped]" computed from the TRX results. Exits non-zero on any failure.
#  - the dashboard is built (scripts/build-client.sh) and Chromium installed when missing
#    (scripts/install-chromium.sh, apt-get as root) for the browser tests;
#  - PostgreSQL: LORA_TEST_POSTGRES if set; otherwise the local server of scripts/postgres.sh
#    (set LORA_TEST_DOCKER=1 to let Testcontainers start one where a Docker engine answers).
#
#   ./test.sh            everything (CI runs this)
#  - scripts/supply-chain.sh: fails on a known-vulnerable NuGet or npm package of high severity (says when a
#    source cannot answer), run beside the tests;
#
#   ./test.sh --fast     the unit and module tests only: no dashboard build, no browser, no Host
#                        processes (the reliability scenarios and the CLI), no Slurm, for the edit-test loop
#   other arguments go to every `dotnet test` (e.g. --filter "FullyQualifiedName~Billing")
#
# The projects run two at a time (this machine has two cores), the longest first, each starting when a running
# one ends. Each project's console output is printed when it ends, so their lines do not interleave.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

fast=0
args=()
for arg in "$@"; do
  if [ "$arg" = "--fast" ]; then fast=1; else args+=("$arg"); fi
done

if [ -z "${LORA_TEST_POSTGRES:-}" ] && [ "${LORA_TEST_DOCKER:-0}" != "1" ]; then
  base=$(scripts/postgres.sh lorapipeline_tests) || { echo "could not start PostgreSQL"; echo "0 passed, 1 failed"; exit 1; }
  export LORA_TEST_POSTGRES="$base;Database=lorapipeline_tests"
fi

# the dashboard (Node/npm) and Debian's Chromium for the browser tests
if [ "$fast" = "0" ] && [ "${LORA_SKIP_CLIENT:-0}" != "1" ]; then
  scripts/build-client.sh || { echo "0 passed, 1 failed"; exit 1; }
  scripts/install-chromium.sh || { echo "0 passed, 1 failed"; exit 1; }
fi

results=".data/test-results"
rm -rf "$results" && mkdir -p "$results"

dotnet restore LoraPipeline.sln --nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }

# the supply chain check (known-vulnerable packages of high severity fail the run), beside the build and tests
supply_pid=""
if [ "$fast" = "0" ]; then
  scripts/supply-chain.sh > "$results/supply-chain.log" 2>&1 &
  supply_pid=$!
fi
dotnet build LoraPipeline.sln -c Release --no-restore --nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }

# every test project of the solution; --fast leaves out the ones that drive a browser or Host processes
projects=$(dotnet sln LoraPipeline.sln list | grep -E 'Tests\.csproj$' | tr '\\' '/')
if [ "$fast" = "1" ]; then
  projects=$(echo "$projects" | grep -vE '/(Browser|Reliability|Cli|SlurmGateway)\.Tests/')
fi

run_project() {
  local project="$1" name
  shift
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" \
    > "$results/$name.log" 2>&1
  local status=$?
  echo "=== $name (exit $status)"; cat "$results/$name.log"
  return $status
}
export -f run_project
export results

# longest first, so that the two runners end together (two fixed lanes left one idle for six minutes of a
# ten-minute run); projects not named here run last
longest_first='Reliability Browser SlurmGateway Artifacts Cli Training OpenAi Webhooks Datasets Host Billing Trainer GpuSimulator'
ordered=""
for name in $longest_first; do
  ordered="$ordered $(echo "$projects" | grep -E "/$name\.Tests/" || true)"
done
ordered="$ordered $(for p in $projects; do case " $ordered " in *" $p "*) ;; *) echo "$p" ;; esac; done)"
status=0
echo $ordered | tr ' ' '\n' | grep -v '^$' | xargs -P 2 -I{} bash -c 'run_project "$@"' _ {} "${args[@]}" || status=1
if [ -n "$supply_pid" ]; then
  wait "$supply_pid" || { status=1; echo "=== supply chain check FAILED"; }
  cat "$results/supply-chain.log"
fi

scripts/test-summary.sh "$results" "$status" $(echo "$projects" | wc -w)
