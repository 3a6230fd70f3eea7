#!/usr/bin/env bash
# Instructions per enqueue+dequeue pair, single thread, for this crate and each peer, counted by
# callgrind (load-independent, repeatable). Each queue runs bursts of 64 enqueues then 64
# dequeues at two round counts; the difference divided by the extra pairs cancels start-up costs.
# "net" subtracts the floor: the same harness around a plain, non-atomic VecDeque.
#
# Usage: scripts/instructions.sh [queue ...]    (needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."

queues=("$@")
if [ ${#queues[@]} -eq 0 ]; then
    queues=(floor ours cordyceps segqueue channel std mutex wgring wgcounted bounded)
fi
small=1000
large=11000
pairs=$(( (large - small) * 64 ))

cargo build --release --quiet --example instructions
bin="${CARGO_TARGET_DIR:-target}/release/examples/instructions"

count() { # queue rounds -> total instructions
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

declare -A per
for q in floor "${queues[@]}"; do
    [ -n "${per[$q]:-}" ] && continue
    a=$(count "$q" $small)
    b=$(count "$q" $large)
    per[$q]=$(echo "scale=2; ($b - $a) / $pairs" | bc)
done

floor=${per[floor]}
printf '%-12s %10s %10s\n' queue "per pair" "net"
for q in "${queues[@]}"; do
    printf '%-12s %10s %10s\n' "$q" "${per[$q]}" "$(echo "scale=2; ${per[$q]} - $floor" | bc)"
done
if [ -n "${per[ours]:-}" ] && [ -n "${per[cordyceps]:-}" ]; then
    net() { echo "scale=4; ${per[$1]} - $floor" | bc; }
    echo
    printf 'ours / cordyceps (net): %.3f\n' "$(echo "scale=4; $(net ours) / $(net cordyceps)" | bc)"
    if [ -n "${per[segqueue]:-}" ]; then
        printf 'ours / SegQueue  (net): %.3f\n' "$(echo "scale=4; $(net ours) / $(net segqueue)" | bc)"
    fi
fi
