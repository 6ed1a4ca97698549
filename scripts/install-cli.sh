#!/usr/bin/env bash
# Packs src/Cli as a .NET tool into artifacts/cli (git-ignored) and installs it with
# `dotnet tool install` from that folder:
#
#   scripts/install-cli.sh                      # for this user: ~/.dotnet/tools/lora
#   scripts/install-cli.sh --tool-path DIR      # into DIR instead (DIR/lora)
#   scripts/install-cli.sh --uninstall [--tool-path DIR]
#
# Every pack gets a version of its own (0.1.0-local.<UTC time>): NuGet caches packages by id and
# version, so reinstalling a rebuilt "0.1.0" would quietly install the old one from the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

location=(--global)
uninstall=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tool-path) location=(--tool-path "$2"); shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    *) echo "usage: scripts/install-cli.sh [--tool-path DIR] [--uninstall]" >&2; exit 2 ;;
  esac
done

if [ "$uninstall" = 1 ]; then
  dotnet tool uninstall "${location[@]}" LoraPipeline.Cli
  exit 0
fi

out="$PWD/artifacts/cli"
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
rm -rf "$out" && mkdir -p "$out"
echo "packing LoraPipeline.Cli $version into $out" >&2
dotnet pack src/Cli -c Release -o "$out" -p:Version="$version" --nologo -v quiet -clp:ErrorsOnly >&2

# the repository's nuget.config maps every package id to nuget.org: give the install this folder alone
cat > "$out/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="lora-cli-local" value="$out" />
  </packageSources>
</configuration>
XML

dotnet tool uninstall "${location[@]}" LoraPipeline.Cli >/dev/null 2>&1 || true
dotnet tool install "${location[@]}" LoraPipeline.Cli --version "$version" --configfile "$out/nuget.config"

if [ "${location[0]}" = "--global" ] && ! command -v lora >/dev/null 2>&1; then
  echo "Add the .NET tools folder to PATH to run it as 'lora':  export PATH=\"\$PATH:\$HOME/.dotnet/tools\"" >&2
fi
