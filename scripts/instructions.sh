#!/usr/bin/env bash
# Instructions per enqueue+dequeue pair, single thread, for this crate and each peer, counted by
# callgrind (load-independent and repeatable). Every queue runs bursts of 64 enqueues then 64
# dequeues of the same boxed packet (perf/src/bin/instructions.rs, in the workspace's perf crate),
# measured two ways:
# - "loop": the burst loop with everything inlined, as in a user's hot loop; two round counts,
#   the difference divided by the extra pairs (cancels start-up). Includes the loop's own
#   bookkeeping, about the same for every queue.
# - "calls": each operation in a never-inlined function; callgrind's inclusive count per pair.
#   The harness loop is outside those functions, so only the call itself (call, ret, argument
#   moves) is counted besides the queue's work.
# The "reserving" row is the bounded queue with each burst enqueued through one reservation of 64:
# its "loop" count includes that one claim (and the give-back check), spread over the burst; its
# "calls" count is the reservation's enqueue alone.
# The "floor" row is the same harness around a plain, non-atomic stack of pointers. It is shown
# for scale, not subtracted: the lightest queues (cordyceps) cost no more than that stack, so a
# subtraction would leave nothing but codegen noise.
# This harness is tuned for the queues (the link is the packet's first field; the consumer's
# waiting `dequeue`); scripts/instructions-plain.sh counts the same pairs in plain user code.
#
# Usage: scripts/instructions.sh [queue ...]    (needs valgrind and bc)
set -euo pipefail
cd "$(dirname "$0")/.."

queues=("$@")
if [ ${#queues[@]} -eq 0 ]; then
    queues=(ours padded cordyceps segqueue channel std mutex wgring wgcounted bounded reserving)
fi
small=1000
large=11000
pairs=$(((large - small) * 64))
rounds=10000

cargo build --release --quiet -p intrusive-mpsc-perf --bin instructions
bin="${CARGO_TARGET_DIR:-target}/release/instructions"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

collected() { # queue rounds -> total instructions of the whole program
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" inline 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
inclusive() { # function -> instructions per call, from "$out"
    local ir
    ir=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
        awk -v f="instructions::$1" '$0 ~ f"( |$)" { gsub(",", "", $1); print $1; exit }')
    echo "scale=2; $ir / ($rounds * 64)" | bc
}

declare -A loop enq deq
for q in floor "${queues[@]}"; do
    [ -n "${loop[$q]:-}" ] && continue
    a=$(collected "$q" $small)
    b=$(collected "$q" $large)
    loop[$q]=$(echo "scale=2; ($b - $a) / $pairs" | bc)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$q" $rounds calls >/dev/null 2>&1
    if [ "$q" = reserving ]; then enq[$q]=$(inclusive enqueue_reserved); else enq[$q]=$(inclusive enqueue_one); fi
    deq[$q]=$(inclusive dequeue_one)
done

pair() { echo "scale=2; ${enq[$1]} + ${deq[$1]}" | bc; }
printf '%-10s %8s | %8s %8s %8s\n' "" loop enqueue dequeue calls
for q in floor "${queues[@]}"; do
    printf '%-10s %8s | %8s %8s %8s\n' \
        "$q" "${loop[$q]}" "${enq[$q]}" "${deq[$q]}" "$(pair "$q")"
done
echo
ratio() { printf '%.3f' "$(echo "scale=4; $1 / $2" | bc)"; }
printf '%-21s %8s %8s\n' ratio loop calls
for ab in "ours cordyceps" "padded cordyceps" "ours segqueue" "bounded wgring" "bounded wgcounted" \
    "reserving ours" "reserving wgring"; do
    read -r a b <<<"$ab"
    if [ -n "${loop[$a]:-}" ] && [ -n "${loop[$b]:-}" ]; then
        printf '%-21s %8s %8s\n' "$a / $b" "$(ratio "${loop[$a]}" "${loop[$b]}")" \
            "$(ratio "$(pair "$a")" "$(pair "$b")")"
    fi
done
