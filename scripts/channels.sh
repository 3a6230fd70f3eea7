#!/usr/bin/env bash
# The channel against its peers (issue 18): tokio mpsc, flume, async-channel, kanal,
# crossbeam-channel, std mpsc and intrusive-mpsc's channel, side by side in one run, in fan-in,
# backpressure, ping-pong and a bursty producer; then the threaded scenarios once more with the
# threads pinned to cores (BENCH_PIN=1). Prints the machine, the load and the commit first.
# Out of CI: timings on a shared machine are noisy, and every figure is a median of interleaved
# runs with its quartiles.
#
# Usage: scripts/channels.sh [runs] [filter]   (default 15 runs, every scenario; 2-4 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-15}"
filter="${2:-}"
cargo build --release --quiet -p intrusive-mpsc-perf --bin channels
bin=target/release/channels

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "rustc: $(rustc --version)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
echo
echo "## unpinned"
"$bin" "$runs" "$filter"
echo
echo "load between: $(uptime | sed 's/.*load average/load average/')"
echo
echo "## threads pinned to cores (BENCH_PIN=1): the threaded scenarios"
BENCH_PIN=1 "$bin" "$runs" "${filter:-threads}"
echo
echo "load after: $(uptime | sed 's/.*load average/load average/')"
