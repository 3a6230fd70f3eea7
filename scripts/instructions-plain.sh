#!/usr/bin/env bash
# Instructions per enqueue+dequeue pair, single thread, counted by callgrind, in PLAIN user code:
# the second harness (perf/src/bin/instructions-plain.rs), written the obvious way and not tuned
# for any queue. A packet with its header fields first and the link after them; each round
# enqueues 64 numbered packets, then calls the queue's non-waiting dequeue (`try_dequeue`,
# `try_recv`, `pop`) until it reports empty, checking every packet's number. Every queue is
# driven through its own API; cordyceps twice, through a held `Consumer` ("cordyceps") and
# through `MpscQueue::try_dequeue` ("cordyceps-queue", which claims the consumer each call).
#
# Counted like the "loop" column of scripts/instructions.sh: the whole program at two round
# counts, the difference divided by the extra pairs (start-up cancels; the loop's own
# bookkeeping, the sequence check included, is in every row). "vecdeque" is a plain VecDeque
# without any synchronisation, for scale.
#
# Usage: scripts/instructions-plain.sh [queue ...]    (needs valgrind and bc)
set -euo pipefail
cd "$(dirname "$0")/.."

queues=("$@")
if [ ${#queues[@]} -eq 0 ]; then
    queues=(ours padded cordyceps cordyceps-queue segqueue channel std mutex wgring wgcounted bounded)
fi
small=1000
large=11000
pairs=$(((large - small) * 64))

cargo build --release --quiet -p intrusive-mpsc-perf --bin instructions-plain
bin="${CARGO_TARGET_DIR:-target}/release/instructions-plain"

collected() { # queue rounds -> total instructions of the whole program
    local n
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    if [ -z "$n" ]; then
        echo "callgrind failed on $1" >&2
        exit 1
    fi
    echo "$n"
}

declare -A loop
for q in vecdeque "${queues[@]}"; do
    [ -n "${loop[$q]:-}" ] && continue
    a=$(collected "$q" $small)
    b=$(collected "$q" $large)
    loop[$q]=$(echo "scale=2; ($b - $a) / $pairs" | bc)
done

printf '%-16s %8s\n' "" pair
for q in vecdeque "${queues[@]}"; do
    printf '%-16s %8s\n' "$q" "${loop[$q]}"
done
echo
ratio() { printf '%.3f' "$(echo "scale=4; $1 / $2" | bc)"; }
printf '%-28s %8s\n' ratio pair
for ab in "ours cordyceps" "ours cordyceps-queue" "padded cordyceps" "ours segqueue" \
    "bounded wgring" "bounded wgcounted"; do
    read -r a b <<<"$ab"
    if [ -n "${loop[$a]:-}" ] && [ -n "${loop[$b]:-}" ]; then
        printf '%-28s %8s\n' "$a / $b" "$(ratio "${loop[$a]}" "${loop[$b]}")"
    fi
done
