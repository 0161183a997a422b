#!/usr/bin/env bash
# The lab, from a fresh Debian machine with Node/npm, as root: installs what it needs
# (tools/setup.sh), then runs `deno task lab` (network namespaces, both roles of bond over an
# emulated internet, status and a speed test; Ctrl-C or `bash tools/lab.sh down` removes it).
set -euo pipefail
cd "$(dirname "$0")/.."
deno=$(bash tools/setup.sh)
exec "$deno" task lab "$@"
