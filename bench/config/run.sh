#!/usr/bin/env bash
# Times `keepalived -t -f FILE` (the Debian package) and `halo check-config -f FILE` on the same
# generated keepalived.conf (10,000 virtual servers, a real server and a TCP_CHECK each, about
# 120,000 lines), 5 runs each, process start included, and prints medians and the ratio.
#   bench/config/run.sh [COUNT] [RUNS]     (run from the repository root after `npx tsc -p .`)
#   NODE=/path/to/node bench/config/run.sh  times halo under another Node (e.g. Node 24 from .ci)
# A benchmark never fails a build on a time: it always exits 0 when both programs ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE="${NODE:-node}"
COUNT="${1:-10000}"
RUNS="${2:-5}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FILE="$WORK/keepalived.conf"
"$NODE" dist/bench/config/gen.js "$COUNT" > "$FILE"
echo "config: $COUNT virtual servers, $(wc -l < "$FILE") lines, $(wc -c < "$FILE") bytes"

median() {
  sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# Runs a command RUNS times; prints "WALL_MS CPU_MS", the medians of wall time and of CPU time
# (user + system, all threads). CPU time moves less than wall time when the machine is busy.
measure() {
  local walls=() cpus=() t0 t1 cpu
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$WORK/time" "$@" > /dev/null 2>&1 || true
    cpu=$(tail -1 "$WORK/time" | awk '{ printf "%d", ($1 + $2) * 1000 }')
    t1=$(date +%s%N)
    walls+=($(( (t1 - t0) / 1000000 )))
    cpus+=("$cpu")
  done
  echo "$(printf '%s\n' "${walls[@]}" | median) $(printf '%s\n' "${cpus[@]}" | median)"
}

if ! command -v keepalived > /dev/null; then
  echo "keepalived is not installed (apt-get install keepalived): no reference to compare with"
  exit 0
fi
read -r KA KA_CPU < <(measure keepalived -t -f "$FILE")
read -r HALO HALO_CPU < <(measure "$NODE" dist/src/cli/main.js check-config -f "$FILE" --config-id bench)
read -r NODE0 NODE0_CPU < <(measure "$NODE" -e 0)
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "keepalived -t:      median wall ${KA} ms, CPU ${KA_CPU} ms over $RUNS runs ($(keepalived --version 2>&1 | head -1))"
echo "halo check-config:  median wall ${HALO} ms, CPU ${HALO_CPU} ms over $RUNS runs (node $("$NODE" --version))"
echo "bare node start:    median wall ${NODE0} ms, CPU ${NODE0_CPU} ms"
"$NODE" dist/bench/config/parse-only.js "$FILE" "$RUNS"
awk -v h="$HALO" -v k="$KA" -v hc="$HALO_CPU" -v kc="$KA_CPU" 'BEGIN { if (k > 0 && kc > 0) printf "ratio halo/keepalived: wall %.2f, CPU %.2f (goal <= 1.5)\n", h / k, hc / kc }'
