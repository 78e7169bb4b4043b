#!/usr/bin/env bash
# Opt-in interop checks against upstream CAVRA's Go runtime, built from the user's own upstream checkout.
# Upstream is under the Business Source License: nothing of it is in this repository; this script builds and reads
# the checkout you give it. See tooling/upstream-interop/README.md.
#
#   tooling/upstream-interop/run.sh <path to an upstream checkout>
#
# Needs: Go 1.19 or later (no module downloads: upstream's runtime uses the standard library only), Node 20.19+, and
# this repository built (npx turbo run build). Exit: 0 every check passed, 1 a check failed, 2 usage or setup.
set -euo pipefail

usage() {
  echo "usage: $0 <path to an upstream CAVRA checkout (the directory holding go/cavra-runtime)>" >&2
  exit 2
}
[ "$#" -eq 1 ] || usage
upstream=$(cd "$1" 2>/dev/null && pwd) || { echo "$0: no such directory: $1" >&2; exit 2; }
runtime_dir="$upstream/go/cavra-runtime"
[ -f "$runtime_dir/go.mod" ] || { echo "$0: $upstream has no go/cavra-runtime/go.mod: not an upstream checkout" >&2; exit 2; }
command -v go >/dev/null || { echo "$0: go is not installed (Debian: apt-get install golang-go)" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
for built in daemon daemon-client runtime contracts; do
  [ -f "$repo/packages/$built/dist/index.js" ] || { echo "$0: packages/$built is not built: run npx turbo run build" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cavra-interop-XXXXXX")
trap 'rm -rf "$work"' EXIT

# Offline and reproducible: no proxy, no toolchain switch, the module's own go.mod only.
echo "building $runtime_dir with $(go version)"
(cd "$runtime_dir" && GOPROXY=off GOTOOLCHAIN=local GOWORK=off go build -o "$work/cavra-runtime" ./cmd/cavra-runtime) \
  || { echo "$0: go build failed" >&2; exit 2; }

node "$here/checks.mjs" --binary "$work/cavra-runtime" --upstream "$upstream" --work "$work"
