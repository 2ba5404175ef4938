#!/usr/bin/env bash
# The one test command. Installs and starts what the tests need, on loopback, in a
# throw-away folder: a PostgreSQL server (Debian's package) and two real n8n 1.123.0
# (npm registry): the first for the end-to-end tests, the second left fresh and empty as
# the target of a whole-environment restore (tests/e2e_git.rs); then runs the whole suite.
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/n8nops-test.XXXXXX)
chmod 755 "$work"
cleanup() {
  scripts/n8n.sh stop "$work/n8n" || true
  scripts/n8n.sh stop "$work/n8n2" || true
  scripts/pg.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== starting PostgreSQL"
eval "export $(scripts/pg.sh start "$(free_port)" "$work/pg" | grep '^N8NOPS_TEST_PG_URL=')"

echo "== starting n8n ${N8N_VERSION:-1.123.0} (the first run installs it: a few minutes)"
n8n_env=$(scripts/n8n.sh start "$(free_port)" "$work/n8n")
export N8NOPS_E2E_N8N_URL=$(echo "$n8n_env" | sed -n 's/^N8N_URL=//p')
export N8NOPS_E2E_N8N_API_KEY=$(echo "$n8n_env" | sed -n 's/^N8N_API_KEY=//p')

echo "== starting a second, empty n8n ${N8N_VERSION:-1.123.0}"
n8n2_env=$(scripts/n8n.sh start "$(free_port)" "$work/n8n2")
export N8NOPS_E2E_N8N2_URL=$(echo "$n8n2_env" | sed -n 's/^N8N_URL=//p')
export N8NOPS_E2E_N8N2_API_KEY=$(echo "$n8n2_env" | sed -n 's/^N8N_API_KEY=//p')

# Here a missing server is a failure, not a skip.
export N8NOPS_REQUIRE_PG=1 N8NOPS_REQUIRE_N8N=1

echo "== cargo test"
cargo test --locked "$@"
