#!/usr/bin/env bash
# Rebuilds build/packages/Patched.DistributedLock.Core.1.0.11.nupkg (see build/forwarding/*.csproj).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet pack build/forwarding/Patched.DistributedLock.Core.csproj -c Release -o build/packages --nologo
