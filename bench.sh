#!/usr/bin/env bash
# Runs a benchmark in Release: ./bench.sh validation [--size-mb 500] [--runs 3]; ./bench.sh trainer for lora-train
# Benchmarks that need PostgreSQL start the same local server as run.sh (or use LORA_BENCH_POSTGRES).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# the trainer's benchmark needs no database: ./bench.sh trainer [--steps 200] (see src/Trainer/README.md)
if [ "${1:-}" = "trainer" ]; then
  shift
  exec ./lora-train bench "$@"
fi
if [ -z "${LORA_BENCH_POSTGRES:-}" ]; then
  base=$(scripts/postgres.sh lorapipeline_bench) # not inside export, which would hide a failure
  export LORA_BENCH_POSTGRES="$base;Database=lorapipeline_bench"
fi
dotnet build bench/LoraPipeline.Bench -c Release --nologo -v quiet
exec dotnet bench/LoraPipeline.Bench/bin/Release/net10.0/LoraPipeline.Bench.dll "$@"
