#!/usr/bin/env bash
# Development secrets, generated once into .data/secrets (git-ignored) and exported for the Host.
# Production deployments configure these themselves (see README "Configuration").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.data/secrets"
mkdir -p "$dir" && chmod 700 "$dir"
secret() {
  local file="$dir/$1"
  [ -s "$file" ] || { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > "$file"; chmod 600 "$file"; }
  cat "$file"
}
export Storage__SigningKey="${Storage__SigningKey:-$(secret storage-signing-key)}"
export GpuCluster__ApiKey="${GpuCluster__ApiKey:-$(secret gpu-cluster-api-key)}"
export GpuCluster__CallbackSecret="${GpuCluster__CallbackSecret:-$(secret gpu-callback-secret)}"
