#!/usr/bin/env bash
# All of bond's tests, from a fresh Debian machine with Node/npm, as root: installs what they need
# (tools/setup.sh), then runs `deno task test`, which ends with the line `N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
deno=$(bash tools/setup.sh)
exec "$deno" task test "$@"
