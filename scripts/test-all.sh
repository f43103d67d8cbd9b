#!/usr/bin/env bash
# The whole test suite on a fresh machine: install what it needs, then type-check, lint and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm test
