#!/usr/bin/env bash
# Starts the Slurm gateway for the local cluster of scripts/slurm.sh, in the background (run.sh --cluster slurm uses it):
#   scripts/slurm-gateway.sh          start (a running gateway is restarted, so a new build is picked up)
#   scripts/slurm-gateway.sh --stop   stop it
# Needs GpuCluster__ApiKey and GpuCluster__CallbackSecret in the environment (scripts/secrets.sh exports them): the
# gateway and the Host share them. The tiny demo model is built once into .data/slurm/models/tiny-llama.
# Listens on LORA_GATEWAY_URL (http://127.0.0.1:5090); log in .data/slurm/log/gateway.log.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/.data/slurm"
pid_file="$dir/run/gateway.pid"
url="${LORA_GATEWAY_URL:-http://127.0.0.1:5090}"

stop() {
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    kill "$(cat "$pid_file")" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$(cat "$pid_file")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pid_file"
}
if [ "${1:-}" = "--stop" ]; then stop; exit 0; fi

env_file=$(scripts/slurm.sh | tail -n 1)
# shellcheck disable=SC1090
source "$env_file"
tiny="$dir/models/tiny-llama"
[ -f "$tiny/config.json" ] || ./lora-train tiny-model "$tiny" >/dev/null
./lora-train --help >/dev/null # builds the trainer when a source changed
dotnet build src/SlurmGateway -c Release --nologo -v quiet >/dev/null
stop
mkdir -p "$dir/log"
SlurmGateway__ApiKey="$GpuCluster__ApiKey" \
SlurmGateway__CallbackSecret="$GpuCluster__CallbackSecret" \
SlurmGateway__SlurmRestUrl="$SLURM_REST_URL" \
SlurmGateway__SlurmUser="$SLURM_USER" \
SlurmGateway__SlurmTokenFile="$SLURM_TOKEN_FILE" \
SlurmGateway__Partition=debug \
SlurmGateway__JobRoot="$SLURM_JOB_ROOT" \
SlurmGateway__TrainerCommand__0="$(command -v dotnet)" \
SlurmGateway__TrainerCommand__1="$PWD/src/Trainer/bin/Release/net10.0/linux-x64/lora-train.dll" \
SlurmGateway__TrainerArguments__0=--threads \
SlurmGateway__TrainerArguments__1=1 \
SlurmGateway__CheckpointEvery=10 \
  setsid dotnet src/SlurmGateway/bin/Release/net10.0/LoraPipeline.SlurmGateway.dll --urls "$url" \
    "--SlurmGateway:Models:lora-pipeline/tiny-llama=$tiny" \
  </dev/null >>"$dir/log/gateway.log" 2>&1 &
echo $! >"$pid_file"
for _ in $(seq 100); do
  curl -sf "$url/health" >/dev/null 2>&1 && { echo "slurm-gateway.sh: gateway on $url" >&2; exit 0; }
  kill -0 "$(cat "$pid_file")" 2>/dev/null || break
  sleep 0.2
done
echo "slurm-gateway.sh: the gateway did not start; see $dir/log/gateway.log" >&2
tail -n 20 "$dir/log/gateway.log" >&2
exit 1
