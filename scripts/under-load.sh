#!/usr/bin/env bash
# Runs a command while extra CPU-bound processes compete for the cores, the way a busy CI host or a shared
# machine does: the test suite must pass like this (tests wait on events or poll with a deadline, never sleep
# and assert). LOAD_PROCS sets how many busy processes (default 2); they end with the command, whatever happens.
#   bash scripts/under-load.sh npx vitest run                 # the whole suite under load (npm run test:load)
#   LOAD_PROCS=4 bash scripts/under-load.sh npx vitest run test/queue
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 command [args…]" >&2; exit 2; }
n=${LOAD_PROCS:-2}
pids=()
stop_load() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_load EXIT INT TERM
for _ in $(seq 1 "$n"); do
  # A pure CPU spin (no I/O, no memory): the same priority as the tests, so it takes its full share of a core.
  node -e 'let x = 0; for (;;) x = (x * 1103515245 + 12345) % 2147483648;' &
  pids+=("$!")
done
echo "under load: $n CPU-bound processes (${pids[*]}), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
set +e
"$@"
rc=$?
set -e
echo "under load: done (exit $rc), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit $rc
