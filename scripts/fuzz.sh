#!/usr/bin/env bash
# Builds the libFuzzer harness (Fuzz/) and fuzzes one target or all of them; see docs/fuzzing.md.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]   fuzz TARGET (default: all, one after another) for SECONDS each (default 60)
#   scripts/fuzz.sh list                     print the target names
#   scripts/fuzz.sh seeds                    rewrite the generated seeds under Fuzz/Corpus/
#
# Each target reads its committed seeds (Fuzz/Corpus/TARGET, plus repository files named below) and grows a private
# corpus in .build-fuzz/corpus/TARGET. A crash, sanitizer report, timeout or out-of-memory input is saved under
# .build-fuzz/crashes/TARGET/ and makes the script exit 1 after the remaining targets have run.
# Environment:
#   LOOM_FUZZ_JOBS    targets fuzzed at once (default 1)
#   LOOM_FUZZ_NICE    nice level of the fuzzers (default 0)
#   LOOM_FUZZ_ARGS    extra libFuzzer flags, e.g. "-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
#                     for long runs that keep going after a finding
#   LOOM_FUZZ_BINARY  a harness built earlier: no build, so a long run is not disturbed by rebuilding .build-fuzz
#   LOOM_FUZZ_WORK    where corpora, findings and logs go instead of .build-fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(cell frontmatter document safetensors png cifar checkpoint store)
scratch=.build-fuzz
binary=${LOOM_FUZZ_BINARY:-$scratch/debug/loom-fuzz}

# Per target: the largest input the fuzzer builds, and seed folders besides Fuzz/Corpus/TARGET.
max_len() {
    case $1 in
        cell|frontmatter|checkpoint|png) echo 4096 ;;
        document) echo 16384 ;;
        safetensors) echo 12288 ;;
        cifar) echo 8192 ;;
        store) echo 81920 ;;
    esac
}
extra_seeds() {
    case $1 in
        document) echo notebooks ;;
        safetensors) echo Tests/Fixtures/pytorch/ops Tests/Fixtures/pytorch/optim ;;
    esac
}
dictionary() {
    case $1 in
        cell) echo Fuzz/Dictionaries/cell.dict ;;
        document) echo Fuzz/Dictionaries/document.dict ;;
        frontmatter) echo Fuzz/Dictionaries/frontmatter.dict ;;
    esac
}

build() {
    [ -n "${LOOM_FUZZ_BINARY:-}" ] && return 0
    echo "== building the fuzz harness (Fuzz/, libFuzzer + AddressSanitizer)"
    # `--sanitize=fuzzer --sanitize=address` reaches swiftc as two -sanitize= flags, and then only one of them takes
    # effect (in SwiftPM's order, which varies): the harness built without coverage. So swiftc gets the combined
    # flag, C targets (Yams' libyaml) get coverage and ASan, and `--sanitize=fuzzer` stays only so that SwiftPM
    # links the executable with libFuzzer's main instead of renaming our (absent) one.
    # ld.gold warns once per ASan helper symbol it cannot export; the warnings are harmless and drown the log.
    swift build --package-path Fuzz --scratch-path "$scratch" --sanitize=fuzzer \
        -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address 2>&1 \
        | grep -v "warning: Cannot export local symbol"
}

run_target() {
    local target=$1 seconds=$2
    local work=${LOOM_FUZZ_WORK:-$scratch}
    local corpus=$work/corpus/$target crashes=$work/crashes/$target log=$work/logs/$target.log
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    local flags=(-max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048
                 -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/")
    local dict; dict=$(dictionary "$target")
    [ -n "$dict" ] && flags+=(-dict="$dict")
    # shellcheck disable=SC2206
    flags+=(${LOOM_FUZZ_ARGS:-})
    echo "== fuzzing $target for ${seconds}s (log: $log)"
    local rc=0 before; before=$(find "$crashes" -type f | wc -l)
    # Swift's own backtracer would catch the signal first and hide libFuzzer's report and reproducer.
    # shellcheck disable=SC2046
    LOOM_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no \
        nice -n "${LOOM_FUZZ_NICE:-0}" "$binary" "${flags[@]}" "$corpus" "Fuzz/Corpus/$target" $(extra_seeds "$target") \
        >"$log" 2>&1 || rc=$?
    # The final status line: executions, coverage (cov: edges, ft: features), corpus size.
    local last; last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    echo "   $target: ${last:-no status line}"
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/   /' || true
    # In fork mode with -ignore_crashes libFuzzer exits 0 after a finding; a new artifact still fails the target.
    [ "$rc" -eq 0 ] && [ "$(find "$crashes" -type f | wc -l)" -gt "$before" ] && rc=1
    if [ "$rc" -ne 0 ]; then
        echo "   $target FAILED (exit $rc); the report:"
        { grep -E -A25 '==ERROR|Fatal error|deadly signal|ERROR: libFuzzer|timeout|out-of-memory' "$log" \
            || tail -5 "$log"; } | head -60 | sed 's/^/   | /'
        ls "$crashes" | sed 's/^/   artifact: /'
        return 1
    fi
}

case ${1:-all} in
    list) printf '%s\n' "${targets[@]}"; exit 0 ;;
    seeds)
        build
        LOOM_FUZZ_WRITE_SEEDS=Fuzz/Corpus LOOM_FUZZ_REPO=$PWD ASAN_OPTIONS=detect_leaks=0 "$binary"
        echo "generated seeds written under Fuzz/Corpus/"
        exit 0 ;;
    all) chosen=("${targets[@]}") ;;
    *)
        if [[ " ${targets[*]} " != *" $1 "* ]]; then
            echo "unknown fuzz target '$1'; targets: ${targets[*]}" >&2
            exit 2
        fi
        chosen=("$1") ;;
esac
seconds=${2:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "SECONDS must be a positive whole number, got '$seconds'" >&2; exit 2; }

build
failed=()
jobs=${LOOM_FUZZ_JOBS:-1}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "LOOM_FUZZ_JOBS must be a positive whole number, got '$jobs'" >&2; exit 2; }
if [ "$jobs" -eq 1 ]; then
    for t in "${chosen[@]}"; do run_target "$t" "$seconds" || failed+=("$t"); done
else
    # Up to $jobs targets at once (one fuzzing process each); their summaries are printed in target order.
    summaries=$(mktemp -d)
    trap 'rm -rf "$summaries"' EXIT
    running=0
    for t in "${chosen[@]}"; do
        if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
        ( rc=0; run_target "$t" "$seconds" >"$summaries/$t.out" 2>&1 || rc=$?; echo "$rc" >"$summaries/$t.rc" ) &
        running=$((running + 1))
    done
    wait
    for t in "${chosen[@]}"; do
        cat "$summaries/$t.out"
        [ "$(cat "$summaries/$t.rc")" = 0 ] || failed+=("$t")
    done
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found problems in: ${failed[*]} (inputs under ${LOOM_FUZZ_WORK:-$scratch}/crashes/)" >&2
    exit 1
fi
echo "fuzzing: no crash in ${chosen[*]}"
