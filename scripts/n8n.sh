#!/usr/bin/env bash
# The project's harness for a real n8n on loopback (see ../shared/n8n/README.md).
#   scripts/n8n.sh install          installs n8n from the npm registry into $N8N_PREFIX (cached)
#   scripts/n8n.sh start PORT DIR   starts n8n on 127.0.0.1:PORT with its data in DIR, creates the
#                                   owner and an API key, and prints N8N_URL=... and N8N_API_KEY=...
#   scripts/n8n.sh stop DIR         stops the instance started with DIR
#   scripts/n8n.sh cli DIR ARGS...  runs n8n's own CLI (e.g. export:workflow) on the data in DIR,
#                                   with the environment the instance was started with
# N8N_VERSION picks the version (default 1.123.0, which runs on the machine's Node 20).
set -euo pipefail
N8N_VERSION="${N8N_VERSION:-1.123.0}"
N8N_PREFIX="${N8N_PREFIX:-$HOME/.cache/n8nops/n8n-$N8N_VERSION}"

install() {
  if [ -x "$N8N_PREFIX/node_modules/.bin/n8n" ]; then return 0; fi
  command -v npm >/dev/null || { echo "n8n.sh: npm is required to install n8n" >&2; exit 1; }
  mkdir -p "$N8N_PREFIX"
  # xlsx points outside the registry in n8n's own dependencies; the registry's 0.18.5 works.
  cat > "$N8N_PREFIX/package.json" <<JSON
{ "name": "n8nops-real-n8n", "private": true,
  "dependencies": { "n8n": "$N8N_VERSION" },
  "overrides": { "xlsx": "0.18.5" } }
JSON
  (cd "$N8N_PREFIX" && npm install --no-audit --no-fund --loglevel=error >install.log 2>&1) \
    || { tail -20 "$N8N_PREFIX/install.log" >&2; exit 1; }
}

# The environment every n8n process of instance DIR runs with: the server and its CLI
# commands must agree on the data folder, the database and the encryption key.
n8n_env() {
  local dir="$1"
  export N8N_USER_FOLDER="$dir" N8N_LISTEN_ADDRESS=127.0.0.1 N8N_HOST=127.0.0.1
  export DB_TYPE=sqlite N8N_ENCRYPTION_KEY=n8nops-test-encryption-key
  export N8N_DIAGNOSTICS_ENABLED=false N8N_PERSONALIZATION_ENABLED=false
  export N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_TEMPLATES_ENABLED=false
  export N8N_HIRING_BANNER_ENABLED=false N8N_SECURE_COOKIE=false N8N_RUNNERS_ENABLED=false
  export N8N_LICENSE_AUTO_RENEW_ENABLED=false N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=true
  export N8N_PUBLIC_API_SWAGGERUI_DISABLED=true
}

start() {
  local port="$1" dir="$2"
  install
  mkdir -p "$dir"
  (
    n8n_env "$dir"
    export N8N_PORT="$port"
    nohup "$N8N_PREFIX/node_modules/.bin/n8n" start >"$dir/n8n.log" 2>&1 &
    echo $! >"$dir/n8n.pid"
  )
  bootstrap "$port" "$dir"
}

# The REST routes come up after /healthz/readiness; an API key can only be made over HTTP.
bootstrap() {
  local port="$1" dir="$2" base="http://127.0.0.1:$1"
  for _ in $(seq 1 240); do
    curl -fsS "$base/rest/settings" 2>/dev/null | grep -q '"data"' && break; sleep 1
  done
  curl -fsS "$base/rest/settings" 2>/dev/null | grep -q '"data"' || { tail -30 "$dir/n8n.log" >&2; exit 1; }
  local jar="$dir/cookies.txt" pw='Passw0rd-n8nops'
  curl -sS -c "$jar" -H 'content-type: application/json' -X POST "$base/rest/owner/setup" \
    -d "{\"email\":\"owner@example.test\",\"firstName\":\"Owner\",\"lastName\":\"Test\",\"password\":\"$pw\"}" >/dev/null
  curl -sS -c "$jar" -b "$jar" -H 'content-type: application/json' -X POST "$base/rest/login" \
    -d "{\"emailOrLdapLoginId\":\"owner@example.test\",\"password\":\"$pw\"}" >/dev/null
  local scopes key
  scopes=$(curl -sS -b "$jar" "$base/rest/api-keys/scopes" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["data"]))')
  key=$(curl -sS -b "$jar" -H 'content-type: application/json' -X POST "$base/rest/api-keys" \
    -d "{\"label\":\"n8nops-$port\",\"scopes\":$scopes,\"expiresAt\":null}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["rawApiKey"])')
  echo "N8N_URL=$base"
  echo "N8N_API_KEY=$key"
}

# n8n's CLI on instance DIR (it may run while the server does: both open the SQLite file).
cli() {
  local dir="$1"; shift
  [ -d "$dir" ] || { echo "n8n.sh: no instance data in $dir" >&2; exit 1; }
  install
  n8n_env "$dir"
  exec "$N8N_PREFIX/node_modules/.bin/n8n" "$@"
}

stop() {
  local dir="$1"
  if [ -f "$dir/n8n.pid" ]; then kill "$(cat "$dir/n8n.pid")" 2>/dev/null || true; rm -f "$dir/n8n.pid"; fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  cli) cli "$@" ;;
  *) echo "usage: $0 install | start PORT DIR | stop DIR | cli DIR ARGS..." >&2; exit 2 ;;
esac
