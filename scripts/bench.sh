#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md.
#   scripts/bench.sh real   full sync of a real n8n 1.123.0 holding the corpus, against a raw
#                           fetch of its workflows (starts a throw-away n8n; imports the corpus)
#   scripts/bench.sh snapshot  a snapshot of a real n8n 1.123.0 holding the corpus, against
#                           n8n's own `export:workflow --all --separate` on the same instance, and
#                           a drift check against a raw fetch (starts a throw-away n8n; imports the corpus)
#   scripts/bench.sh promotion  a promotion of the corpus from a real n8n 1.123.0 holding it into
#                           an empty one, against a plain sequential import of the same workflows
#                           (starts two throw-away n8n; imports the corpus into the first)
#   scripts/bench.sh drift  drift compare of 10,000 workflows x 3 environments already in the store
#   scripts/bench.sh sim    sync of 10,000 simulated workflows: throughput and peak memory
#   scripts/bench.sh diff   the semantic diff over the corpus against mutated copies, against
#                           difftastic on the same files, and one diff frame's render time
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  real)
    work=$(mktemp -d /tmp/n8nops-bench.XXXXXX)
    trap 'scripts/n8n.sh stop "$work/n8n"; rm -rf "$work"' EXIT
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    n8n_env=$(scripts/n8n.sh start "$port" "$work/n8n")
    export N8NOPS_BENCH_N8N_URL=$(echo "$n8n_env" | sed -n 's/^N8N_URL=//p')
    export N8NOPS_BENCH_N8N_API_KEY=$(echo "$n8n_env" | sed -n 's/^N8N_API_KEY=//p')
    cargo bench --bench sync_real ;;
  snapshot)
    work=$(mktemp -d /tmp/n8nops-bench.XXXXXX)
    trap 'scripts/n8n.sh stop "$work/n8n"; rm -rf "$work"' EXIT
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    n8n_env=$(scripts/n8n.sh start "$port" "$work/n8n")
    export N8NOPS_BENCH_N8N_URL=$(echo "$n8n_env" | sed -n 's/^N8N_URL=//p')
    export N8NOPS_BENCH_N8N_API_KEY=$(echo "$n8n_env" | sed -n 's/^N8N_API_KEY=//p')
    # n8n's own export runs on this data folder (scripts/n8n.sh cli), beside the server.
    export N8NOPS_BENCH_N8N_DIR="$work/n8n"
    cargo bench --bench snapshot_real ;;
  promotion)
    work=$(mktemp -d /tmp/n8nops-bench.XXXXXX)
    trap 'scripts/n8n.sh stop "$work/n8n"; scripts/n8n.sh stop "$work/n8n2"; rm -rf "$work"' EXIT
    # n8n's pooled SQLite (WAL, a pool of connections) takes concurrent writes; its legacy
    # single connection (pool size 0) fails some of them. The promotion keeps 4 in flight.
    export DB_SQLITE_POOL_SIZE="${DB_SQLITE_POOL_SIZE:-4}"
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
    n8n_env=$(scripts/n8n.sh start "$(free_port)" "$work/n8n")
    export N8NOPS_BENCH_N8N_URL=$(echo "$n8n_env" | sed -n 's/^N8N_URL=//p')
    export N8NOPS_BENCH_N8N_API_KEY=$(echo "$n8n_env" | sed -n 's/^N8N_API_KEY=//p')
    n8n2_env=$(scripts/n8n.sh start "$(free_port)" "$work/n8n2")
    export N8NOPS_BENCH_N8N2_URL=$(echo "$n8n2_env" | sed -n 's/^N8N_URL=//p')
    export N8NOPS_BENCH_N8N2_API_KEY=$(echo "$n8n2_env" | sed -n 's/^N8N_API_KEY=//p')
    cargo bench --bench promotion_real ;;
  drift) cargo bench --bench drift ;;
  sim) cargo bench --bench sync_sim ;;
  diff)
    difft_dir="$HOME/.cache/n8nops/difft"
    if [ ! -x "$difft_dir/bin/difft" ] && ! command -v difft >/dev/null; then
      echo "difftastic is absent: the comparison with it is skipped. To install it (a few minutes):" >&2
      echo "  cargo install difftastic --locked --root $difft_dir" >&2
    fi
    cargo bench --bench diff ;;
  *) echo "usage: $0 real | snapshot | promotion | drift | sim | diff" >&2; exit 2 ;;
esac
