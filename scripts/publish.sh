#!/usr/bin/env bash
# Production build: pre-generates Wolverine's handler and endpoint code (no Roslyn at start-up,
# TypeLoadMode.Static in Production) and publishes the Host to artifacts/host.
#   scripts/publish.sh            then: ASPNETCORE_ENVIRONMENT=Production dotnet artifacts/host/LoraPipeline.Host.dll
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  export ConnectionStrings__Postgres="$(scripts/postgres.sh lorapipeline);Database=lorapipeline"
fi
source scripts/secrets.sh
[ -f src/Host/ClientApp/package.json ] && scripts/build-client.sh
rm -rf src/Host/Internal/Generated
dotnet build src/Host -c Release --nologo -v quiet
( cd src/Host && ASPNETCORE_ENVIRONMENT=Development Wolverine__CodegenMode=Dynamic \
    dotnet bin/Release/net10.0/LoraPipeline.Host.dll codegen write )
dotnet publish src/Host -c Release -o artifacts/host --nologo -v quiet
echo "published to artifacts/host with $(ls src/Host/Internal/Generated/WolverineHandlers | wc -l) pre-generated types"
# the generated sources are compiled into the published Host; remove them so they cannot go
# stale in development builds (which generate at run time)
rm -rf src/Host/Internal/Generated
