#!/usr/bin/env bash
# Fetches the pinned llama.cpp native libraries (and optionally its sources) from npm into ignored folders.
#   scripts/fetch-llama.sh             CPU libs  -> .native/linux-x64/
#   scripts/fetch-llama.sh --cuda      also CUDA -> .native/linux-x64-cuda/
#   scripts/fetch-llama.sh --headers   also llama.cpp sources (git bundle) -> .llama-src/
# Idempotent: a folder holding its marker file is left alone.
set -euo pipefail

readonly VERSION="3.22.1"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

want_cuda=false
want_headers=false
for arg in "$@"; do
  case "$arg" in
    --cuda) want_cuda=true ;;
    --headers) want_headers=true ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "fetch-llama: unknown option '$arg' (use --cuda, --headers)" >&2; exit 2 ;;
  esac
done

# Concurrent builds may both call this script; one fetches, the other waits and finds it done.
mkdir -p "$repo_root/.native"
exec 9>"$repo_root/.native/.fetch.lock"
flock 9

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# npm pack writes the tarball name on its last stdout line.
pack() {
  local spec="$1" dest="$2"
  mkdir -p "$dest"
  local tgz
  tgz="$(cd "$dest" && npm pack --silent "$spec" | tail -n 1)"
  tar -xzf "$dest/$tgz" -C "$dest"
}

fetch_libs() {
  local package="$1" target="$2"
  local marker="$target/.version-$VERSION"
  if [[ -f "$marker" ]]; then
    echo "fetch-llama: $target is present ($VERSION)"
    return
  fi
  echo "fetch-llama: fetching $package@$VERSION"
  local dir="$work/$(basename "$target")"
  pack "$package@$VERSION" "$dir"
  rm -rf "$target"
  mkdir -p "$target"
  # The package keeps its libraries under package/bins/<platform>/; copy every shared object flat.
  local count=0
  while IFS= read -r -d '' lib; do
    cp -P "$lib" "$target/"
    count=$((count + 1))
  done < <(find "$dir/package" \( -name '*.so' -o -name '*.so.*' \) \( -type f -o -type l \) -print0)
  # The build metadata names the llama.cpp release the binaries come from.
  find "$dir/package" -name '_nlcBuildMetadata.json' -exec cp {} "$target/" \;
  if [[ "$count" -eq 0 ]]; then
    echo "fetch-llama: no shared libraries found in $package@$VERSION" >&2
    exit 1
  fi
  touch "$marker"
  echo "fetch-llama: $count libraries in $target"
}

fetch_headers() {
  local target="$repo_root/.llama-src"
  if [[ -f "$target/include/llama.h" ]]; then
    echo "fetch-llama: $target is present"
    return
  fi
  echo "fetch-llama: fetching node-llama-cpp@$VERSION sources"
  local dir="$work/node-llama-cpp"
  pack "node-llama-cpp@$VERSION" "$dir"
  local bundle="$dir/package/llama/gitRelease.bundle"
  if [[ ! -f "$bundle" ]]; then
    echo "fetch-llama: $bundle missing from node-llama-cpp@$VERSION" >&2
    exit 1
  fi
  rm -rf "$target"
  git -c advice.detachedHead=false clone --quiet "$bundle" "$target"
  echo "fetch-llama: sources in $target ($(git -C "$target" describe --tags --always 2>/dev/null || echo unknown))"
}

if $want_headers; then fetch_headers; fi
fetch_libs "@node-llama-cpp/linux-x64" "$repo_root/.native/linux-x64"
if $want_cuda; then fetch_libs "@node-llama-cpp/linux-x64-cuda" "$repo_root/.native/linux-x64-cuda"; fi
