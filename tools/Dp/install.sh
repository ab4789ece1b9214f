#!/usr/bin/env bash
# Installs dp from this checkout as a dotnet tool: ./tools/Dp/install.sh (global, in ~/.dotnet/tools), or
# ./tools/Dp/install.sh --tool-path DIR. Run it again after a change: every pack gets its own version, so the
# tool is really replaced (a repacked 0.1.0 would be taken from NuGet's cache instead).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
feed="$root/.platform/tools"
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
scope=(--global)
(($#)) && scope=("$@")
rm -f "$feed"/DomainPlatform.Dp.*.nupkg
dotnet pack "$root/tools/Dp/Dp.csproj" -c Release -o "$feed" -p:Version="$version" -nologo -v quiet
dotnet tool update "${scope[@]}" --add-source "$feed" --version "$version" DomainPlatform.Dp
