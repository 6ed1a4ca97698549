#!/usr/bin/env bash
# The run command: brings LoraPipeline up on http://127.0.0.1:5080 (LORA_URL to change).
#  - PostgreSQL: ConnectionStrings__Postgres if set, otherwise a local server from this machine's
#    binaries with its data in .data/postgres (started or reused, database "lorapipeline");
#  - development secrets generated once into .data/secrets;
#  - the dashboard built into the Host's wwwroot (needs Node/npm);
#  - the Host, which creates its schema, and in Development a demo user whose key it prints.
set -euo pipefail
cd "$(dirname "$0")"

export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
url="${LORA_URL:-http://127.0.0.1:5080}"

# --cluster slurm (or LORA_CLUSTER=slurm): train on a local single-node Slurm through the Slurm gateway
# (scripts/slurm.sh, scripts/slurm-gateway.sh, src/SlurmGateway/README.md) instead of the simulator
cluster="${LORA_CLUSTER:-simulator}"
if [ "${1:-}" = "--cluster" ]; then
  cluster="${2:?usage: run.sh --cluster slurm|simulator}"
  shift 2
fi

if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  # assigned before export: `export X=$(...)` would hide the script's failure from set -e
  base=$(scripts/postgres.sh lorapipeline)
  export ConnectionStrings__Postgres="$base;Database=lorapipeline"
fi
source scripts/secrets.sh
export Storage__PublicBaseUrl="${Storage__PublicBaseUrl:-$url}"

if [ "${LORA_SKIP_CLIENT:-0}" != "1" ]; then
  scripts/build-client.sh
fi

# data folders live at the repository root whatever the content root
export Storage__Root="${Storage__Root:-$PWD/.data/blobs}"
export DemoAccount__KeyFile="${DemoAccount__KeyFile:-$PWD/.data/demo-api-key}"

dotnet build src/Host -c Release --nologo -v quiet
if [ "$cluster" = "slurm" ]; then
  scripts/slurm-gateway.sh
  trap "'$PWD/scripts/slurm-gateway.sh' --stop" EXIT
  export GpuCluster__Mode=External GpuCluster__BaseUrl="${LORA_GATEWAY_URL:-http://127.0.0.1:5090}/"
  export GpuCluster__PollInterval="${GpuCluster__PollInterval:-00:00:05}"
  export Training__BaseModels__0="lora-pipeline/tiny-llama"
  cd src/Host
  # not exec: the gateway is stopped when the Host ends
  dotnet bin/Release/net10.0/LoraPipeline.Host.dll --urls "$url" "$@"
  exit $?
fi
# content root = the Host project (appsettings, wwwroot); "$@" may be a command such as "users create alice"
cd src/Host
if [ $# -eq 0 ]; then
  exec dotnet bin/Release/net10.0/LoraPipeline.Host.dll --urls "$url"
fi
exec dotnet bin/Release/net10.0/LoraPipeline.Host.dll "$@"
