#!/usr/bin/env bash
# Install the DCQL oracle if needed, then check that specs/dcql/expected/ is what the oracle
# produces for the current fixtures (exit 1 on any difference or unexpected disagreement).
# Pass --write to regenerate specs/dcql/expected/ instead of checking it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../../scripts/setup-peers.sh"
if [[ "${1:-}" == "--write" ]]; then
  node "$here/oracle.mjs"
else
  node "$here/oracle.mjs" --check
fi
