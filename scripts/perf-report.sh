#!/usr/bin/env bash
# Everything the performance docs (perf/README.md) quote, in one run: the machine, the load, the
# commit, instruction counts (callgrind; the tuned harness and the plain one), the memory table,
# and the interleaved timing runs with the target ratios: every scenario unpinned, then the
# 1-producer scenarios (threaded and bounded) again with the threads pinned to distinct cores, and
# the hot-queue harness (plain beside tuned) pinned; scripts/hot-queue.sh runs it both ways.
# All of it runs from the workspace's perf crate (perf/, package intrusive-mpsc-perf); criterion's
# own report (plots included) is `cargo bench -p intrusive-mpsc-perf`.
#
# Usage: scripts/perf-report.sh [runs]    (default 31 interleaved runs; needs valgrind and bc)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-31}"
perf() { cargo run --release --quiet -p intrusive-mpsc-perf --bin "$@"; }

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "rustc: $(rustc --version)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
echo
echo "## instructions per pair (callgrind), tuned harness"
scripts/instructions.sh
echo
echo "## instructions per pair (callgrind), plain harness"
scripts/instructions-plain.sh
echo
echo "## memory"
perf memory
echo
echo "## interleaved timing runs"
perf targets -- "$runs"
echo
echo "## 1 producer / 1 consumer, threaded and bounded, threads pinned to distinct cores (BENCH_PIN=1)"
BENCH_PIN=1 perf targets -- "$runs" "1 producer / 1 consumer"
echo
echo "## one hot queue: the plain harness beside the tuned one, dequeue_spin, ping-pong (perf/HOT_QUEUE.md)"
BENCH_PIN=1 perf hot -- "$runs"
echo
echo "load after: $(uptime | sed 's/.*load average/load average/')"
