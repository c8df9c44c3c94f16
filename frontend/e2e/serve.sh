#!/usr/bin/env bash
# The browser tests' server: a fresh data dir holding the people of people.ts, then `serve`.
# Usage: e2e/serve.sh DATA_DIR PORT (from frontend/, as playwright.config.ts runs it).
set -euo pipefail
data_dir=$1 port=$2
cli=../.venv/bin/litmus-live
password=$(sed -n 's/^export const PASSWORD = "\(.*\)";$/\1/p' e2e/people.ts)
sed -n 's/^  \([a-z0-9]*\): "\([a-z]*\)",.*$/\1 \2/p' e2e/people.ts | while read -r name role; do
  printf '%s\n' "$password" | "$cli" users add "$name" --role "$role" --password-stdin --data-dir "$data_dir" >/dev/null
done
exec "$cli" serve --host 127.0.0.1 --port "$port" --data-dir "$data_dir" --tests ../examples --static-dir dist
