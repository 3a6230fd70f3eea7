# A pool of jobs run two at a time (one per core, or POOL_JOBS), each job's output kept in its own
# log and printed whole when the job ends, so that the jobs' lines never interleave. Sourced by
# the CI scripts:
#
#     source .ci/pool.sh
#     pool_init target/some-logs
#     pool_run <name> <command> [args...]    # waits for a free slot, then starts the job
#     pool_finish                            # waits for the rest; fails if any job failed
#
# `wait -n -p` (bash 5.1) tells which job ended; with an older bash the jobs run one at a time.

pool_init() { # <log directory>
    pool_logs="$1"
    mkdir -p "$pool_logs"
    pool_size="${POOL_JOBS:-2}"
    if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] < 501)); then pool_size=1; fi
    pool_failed=0
    declare -gA pool_running=() # pid -> job name
}

# Runs one job and writes its report: the name, the output, the time and, if it failed, the status.
pool_job() { # <name> <command...>
    local name="$1" start=$SECONDS status=0
    shift
    "$@" >"$pool_logs/$name.log" 2>&1 || status=$?
    {
        printf '\n--> %s\n' "$name"
        cat "$pool_logs/$name.log"
        if [ "$status" -ne 0 ]; then
            echo "    FAILED with status $status ($((SECONDS - start)) s)"
        else
            echo "    ($((SECONDS - start)) s)"
        fi
    } >"$pool_logs/$name.report"
    return "$status"
}

# Waits for any running job and prints its report.
pool_reap() {
    local pid status=0
    if [ "$pool_size" -gt 1 ]; then
        wait -n -p pid "${!pool_running[@]}" || status=$?
    else
        pid="${!pool_running[*]}"
        wait "$pid" || status=$?
    fi
    cat "$pool_logs/${pool_running[$pid]}.report"
    if [ "$status" -ne 0 ]; then pool_failed=1; fi
    unset "pool_running[$pid]"
}

pool_run() { # <name> <command...>
    if [ "${#pool_running[@]}" -ge "$pool_size" ]; then pool_reap; fi
    pool_job "$@" &
    pool_running[$!]="$1"
}

pool_finish() {
    while [ "${#pool_running[@]}" -gt 0 ]; do pool_reap; done
    if [ "$pool_failed" -ne 0 ]; then
        echo "some jobs failed (FAILED above)" >&2
        return 1
    fi
}
