#!/usr/bin/env bash
# One hot queue across cores (issue 19): the plain harness (each queue polled the way a user
# writes the loop) and the tuned one side by side, the busy-polling consumer `dequeue_spin`, and
# ping-pong round trips; threads pinned to distinct cores, then unpinned. Prints the machine, the
# load before and after each half, the commit, and the tables with the target ratios
# (perf/HOT_QUEUE.md quotes them). Run it on a quiet machine: other processes that preempt the
# threads dominate these figures (the last column counts the samples that no preemption touched).
#
# Usage: scripts/hot-queue.sh [runs] [filter]    (default 51 interleaved runs per scenario)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-51}"
filter="${2:-}"
cargo build --release --quiet -p intrusive-mpsc-perf --bin hot
hot() { cargo run --release --quiet -p intrusive-mpsc-perf --bin hot -- "$runs" "$filter"; }

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "rustc: $(rustc --version)"
for pinned in 1 0; do
    echo
    echo "## BENCH_PIN=$pinned"
    echo "load before: $(uptime | sed 's/.*load average/load average/')"
    BENCH_PIN=$pinned hot
    echo "load after: $(uptime | sed 's/.*load average/load average/')"
done
