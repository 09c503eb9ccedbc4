#!/usr/bin/env bash
# Schemathesis against the real `serve`: a seeded sandbox portal, a backfill, then `serve` with one token per
# role, and schemathesis (from PyPI) generating requests from `/docs/json` as reader, reviewer and admin.
# Fails on any 5xx, and on any response whose content type or body does not match what the OpenAPI document
# says for its status, on any status the document does not list for the operation, and on every other check
# schemathesis has (all): 405 with a true Allow header for undeclared methods, request rules the document states
# (bad input rejected, good input accepted), authentication not ignored. ST_CHECKS=... narrows it locally.
#
#   bash test/support/peers/schemathesis.sh PATH/TO/schemathesis [WORK_DIR]
# Locally: python3 -m venv /tmp/st && /tmp/st/bin/pip install schemathesis==4.32.5, then pass /tmp/st/bin/schemathesis.
set -euo pipefail
cd "$(dirname "$0")/../../.."
st=${1:?path to the schemathesis executable}
work=${2:-$(mktemp -d /tmp/hsai-schemathesis.XXXXXX)}
mkdir -p "$work"
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
sandbox_port=$(free_port)
api_port=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

export DATA_DIR="$work/data" LOG_LEVEL=warn HUBSPOT_BASE_URL="http://127.0.0.1:$sandbox_port" HUBSPOT_ACCESS_TOKEN=sandbox-token
export HUBSPOT_CLIENT_SECRET=schemathesis-secret PORT="$api_port"
export API_TOKENS="reader-token-st01:reader,reviewer-token-st1:reviewer,admin-token-st0001:admin"
# The fuzzer sends thousands of requests a minute: the per-token limit would answer most of them 429.
export API_RATE_LIMIT_PER_MINUTE=1000000
unset REDIS_URL DATABASE_URL QDRANT_URL OPENAI_BASE_URL OPENAI_API_KEY

node bin/hubspot-ai.js sandbox --port "$sandbox_port" --companies 4 --rate-limit 0 >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$sandbox_port/account-info/v3/details" -H 'authorization: Bearer sandbox-token' >/dev/null && break; sleep 0.2; done
node bin/hubspot-ai.js setup >"$work/setup.log"
node bin/hubspot-ai.js backfill --json >"$work/backfill.json"
node bin/hubspot-ai.js serve >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$api_port/docs/json" >"$work/openapi.json"

status=0
for role in reader:reader-token-st01 reviewer:reviewer-token-st1 admin:admin-token-st0001; do
  name=${role%%:*}
  token=${role#*:}
  echo "-- schemathesis as $name"
  "$st" run "http://127.0.0.1:$api_port/docs/json" \
    --header "Authorization: Bearer $token" \
    --checks "${ST_CHECKS:-all}" \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "${ST_MAX_EXAMPLES:-25}" \
    --workers 1 \
    --request-timeout 20 \
    --suppress-health-check all \
    --generation-deterministic || status=1
done
if [ "$status" -ne 0 ]; then
  echo "schemathesis found problems (serve log: $work/serve.log)"
  tail -n 40 "$work/serve.log" || true
fi
exit "$status"
