#!/usr/bin/env bash
# Everything the README's "Performance" section quotes, in one run: the machine, the load, the
# commit, instruction counts (callgrind), the memory table, and the interleaved timing runs with
# the target ratios. Criterion's own report (plots included) is `cargo bench`.
#
# Usage: scripts/perf-report.sh [runs]    (default 31 interleaved runs; needs valgrind and bc)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-31}"

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "rustc: $(rustc --version)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
echo
echo "## instructions per pair (callgrind)"
scripts/instructions.sh
echo
echo "## memory"
cargo run --release --quiet --example memory
echo
echo "## interleaved timing runs"
cargo run --release --quiet --example targets -- "$runs"
echo
echo "## 1 producer / 1 consumer with the threads pinned to distinct cores (BENCH_PIN=1)"
BENCH_PIN=1 cargo run --release --quiet --example targets -- "$runs" "1 producer"
echo
echo "load after: $(uptime | sed 's/.*load average/load average/')"
