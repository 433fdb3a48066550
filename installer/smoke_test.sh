#!/usr/bin/env bash
# Smoke-test a built bundle on a fresh library, without a display:
#
#   installer/smoke_test.sh [BUNDLE_DIR] [--keep]      (default: dist/viewer/Wenyang)
#
# Runs the bundled programs from an empty environment (env -i: no venv, no PYTHONPATH, a
# throw-away HOME, XDG and WENYANG_HOME, so the user's settings and libraries are never
# touched) and checks:
#   cli    wenyang --version, init, demo DIR --count 40 --library L
#   model  the bundle trains one (full bundle), or else a Python with torch trains one from
#          the source tree (TRAIN_PYTHON, default .venv/bin/python): both write the same
#          ONNX model folder the bundle reads. With neither, the search checks are skipped.
#   search wenyang search L --text robe, --text 龙袍 (jieba's dictionary), --image PHOTO
#   viewer wenyang train is refused with a message, not a traceback (viewer bundle only)
#   gui    wenyang-gui starts offscreen (Chinese interface) and is still running after
#          15 s with no traceback, opening (creating) its library; under Xvfb with the
#          bundled xcb plugin too when Xvfb is installed. No library file of the
#          development tree may be mapped into the running program.
#   first  wenyang-gui offscreen on a fresh WENYANG_HOME does its first run: the demo
#          collection and a model (the viewer installs the demo model shipped in
#          _internal/models/demo/, the full bundle trains); then `wenyang search` on the
#          library the window made returns results, within FIRST_RUN_SECONDS (default 300).
# Exit status 0 when every check passed; the log of each step is printed on failure.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUNDLE="$ROOT/dist/viewer/Wenyang"
KEEP=0
for arg in "$@"; do
    case "$arg" in
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) BUNDLE="$(cd "$arg" && pwd)" || exit 2 ;;
    esac
done
CLI="$BUNDLE/wenyang"
GUI="$BUNDLE/wenyang-gui"
[ -x "$CLI" ] && [ -x "$GUI" ] || { echo "smoke_test: no bundle at $BUNDLE (build it first)" >&2; exit 2; }
TRAIN_PYTHON="${TRAIN_PYTHON:-$ROOT/.venv/bin/python}"
GUI_SECONDS="${GUI_SECONDS:-15}"
FIRST_RUN_SECONDS="${FIRST_RUN_SECONDS:-300}"

T="$(mktemp -d /tmp/wenyang-smoke.XXXXXX)"
mkdir -p "$T/home" "$T/config" "$T/data" "$T/cache" "$T/run"
chmod 700 "$T/run"
L="$T/library"
DEMO="$T/demo"
passed=0
failed=0
skipped=0
cleanup() { if [ "$KEEP" = 1 ] || [ "$failed" -gt 0 ]; then echo "Logs and library kept in $T"; else rm -rf "$T"; fi; }
trap cleanup EXIT

# The bundle runs with nothing from this shell: a frozen program must not need the venv.
run_clean() {
    env -i PATH=/usr/bin:/bin HOME="$T/home" LANG="${SMOKE_LANG:-C.UTF-8}" \
        XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" XDG_CACHE_HOME="$T/cache" \
        XDG_RUNTIME_DIR="$T/run" TMPDIR="$T" WENYANG_HOME="${SMOKE_HOME:-$T/home-library}" \
        ${SMOKE_QPA:+QT_QPA_PLATFORM=$SMOKE_QPA} ${SMOKE_DISPLAY:+DISPLAY=$SMOKE_DISPLAY} "$@"
}

ok()   { passed=$((passed + 1)); printf 'PASS  %-34s %s\n' "$1" "${2:-}"; }
bad()  { failed=$((failed + 1)); printf 'FAIL  %-34s %s\n' "$1" "${2:-}"; [ -f "${3:-}" ] && sed 's/^/      | /' "$3" | tail -25; }
skip() { skipped=$((skipped + 1)); printf 'SKIP  %-34s %s\n' "$1" "${2:-}"; }

# check NAME LOG GREP -- COMMAND...: passes when COMMAND exits 0, prints no traceback, and
# its output matches GREP (an extended regex; empty: anything).
check() {
    local name="$1" log="$T/$1.log" pattern="$2" before=$failed; shift 3
    local t0=$SECONDS
    (cd "$T" && run_clean "$@") >"$log" 2>&1
    local rc=$?
    if [ $rc -ne 0 ]; then bad "$name" "exit status $rc" "$log"
    elif grep -q "Traceback" "$log"; then bad "$name" "traceback in the output" "$log"
    elif [ -n "$pattern" ] && ! grep -Eq "$pattern" "$log"; then bad "$name" "no '$pattern' in the output" "$log"
    else ok "$name" "($((SECONDS - t0)) s) $(grep -Em1 "${pattern:-.}" "$log" | cut -c1-70)"
    fi
    [ "$failed" -eq "$before" ]
}

echo "Bundle: $BUNDLE ($(du -sm "$BUNDLE" | cut -f1) MB)"
check cli-version "^wenyang [0-9]" -- "$CLI" --version
check cli-init "created" -- "$CLI" init "$L"
check cli-demo "Imported 40 new items" -- "$CLI" demo "$DEMO" --count 40 --library "$L" -q

# A model: trained by the bundle when it carries torch, else by the source tree.
model=""
if [ -d "$BUNDLE/_internal/torch" ]; then
    check bundle-train "^Model " -- "$CLI" train "$L" --epochs 2 && model="bundle"
elif [ -x "$TRAIN_PYTHON" ] && "$TRAIN_PYTHON" -c "import torch" 2>/dev/null; then
    log="$T/source-train.log"
    if (cd "$ROOT" && WENYANG_HOME="$T/home-library" "$TRAIN_PYTHON" -m app.cli train "$L" --epochs 2) >"$log" 2>&1; then
        ok source-train "(model trained by $TRAIN_PYTHON: $(grep -m1 '^Model ' "$log" | cut -d: -f1))"
        model="source"
    else
        bad source-train "training from the source tree failed" "$log"
    fi
else
    skip model "no torch in the bundle nor in TRAIN_PYTHON=$TRAIN_PYTHON"
fi

if [ -n "$model" ]; then
    check search-text "Matching photos" -- "$CLI" search "$L" --text robe
    check search-chinese "Matching photos" -- "$CLI" search "$L" --text 龙袍
    photo="$(find "$DEMO" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.png' \) | sort | head -1)"
    check search-image "Matching" -- "$CLI" search "$L" --image "$photo"
    if grep -q "CUDAExecutionProvider" "$T/search-text.log"; then echo "      (search ran on CUDA)"; fi
else
    skip search "no model"
fi

if [ ! -d "$BUNDLE/_internal/torch" ]; then
    log="$T/viewer-train.log"
    (cd "$T" && run_clean "$CLI" train "$L" --epochs 1) >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then bad viewer-train-refused "a viewer bundle trained?" "$log"
    elif grep -q "Traceback" "$log"; then bad viewer-train-refused "exit $rc with a traceback, not a message" "$log"
    elif grep -qi "full installation" "$log"; then ok viewer-train-refused "(exit $rc) $(head -c 70 "$log")"
    else bad viewer-train-refused "exit $rc without naming the full installation" "$log"
    fi
fi

# gui NAME: start wenyang-gui, wait GUI_SECONDS, require it still runs (or quit cleanly
# by itself), with no traceback, its library created, and no development-tree library mapped.
gui() {
    local name="$1" log="$T/$1.log" lib="$T/$1-library"
    (cd "$T" && SMOKE_HOME="$lib" run_clean "$GUI") >"$log" 2>&1 &
    local pid=$! waited=0 leaked=""
    while [ $waited -lt "$GUI_SECONDS" ] && kill -0 $pid 2>/dev/null; do
        sleep 1; waited=$((waited + 1))
        if [ $waited -eq 5 ]; then
            local child; child="$(pgrep -P $pid | head -1)"
            leaked="$(grep -hoE '/[^ ]*(site-packages|\.venv)/[^ ]*' /proc/$pid/maps /proc/${child:-$pid}/maps 2>/dev/null | grep -v "^$BUNDLE" | sort -u | head -3)"
        fi
    done
    local rc=0 status="still running after ${GUI_SECONDS} s"
    if kill -0 $pid 2>/dev/null; then kill $pid; wait $pid 2>/dev/null
    else wait $pid; rc=$?; status="exited by itself with status $rc"
    fi
    if [ $rc -ne 0 ]; then bad "$name" "$status" "$log"
    elif grep -q "Traceback" "$log"; then bad "$name" "traceback: $status" "$log"
    elif [ ! -f "$lib/library.sqlite" ]; then bad "$name" "no library created at $lib" "$log"
    elif [ -n "$leaked" ]; then bad "$name" "loaded files from outside the bundle: $leaked" "$log"
    else ok "$name" "($status, library created)"
    fi
}

SMOKE_QPA=offscreen SMOKE_LANG=zh_CN.UTF-8 gui gui-offscreen-zh
if command -v Xvfb >/dev/null; then
    # A private X server (-displayfd picks a free display number); the bundled xcb plugin.
    Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp 3>"$T/xvfb.display" 2>"$T/xvfb.log" &
    xvfb=$!
    for _ in $(seq 50); do [ -s "$T/xvfb.display" ] && break; sleep 0.1; done
    if [ -s "$T/xvfb.display" ]; then
        SMOKE_DISPLAY=":$(head -1 "$T/xvfb.display")" SMOKE_QPA=xcb gui gui-xvfb-xcb
    else
        bad gui-xvfb-xcb "Xvfb did not start" "$T/xvfb.log"
    fi
    kill $xvfb 2>/dev/null; wait $xvfb 2>/dev/null
else
    skip gui-xvfb-xcb "Xvfb not installed (apt-get install xvfb)"
fi

# The first run as a new user meets it: the window on a fresh library fills it with the demo
# and a model; a scripted search (the CLI, on the library the window made) then finds photos.
first_run() {
    local lib="$T/first-run-library" log="$T/gui-first-run.log" search="$T/first-run-search.log"
    (cd "$T" && SMOKE_HOME="$lib" SMOKE_QPA=offscreen run_clean "$GUI") >"$log" 2>&1 &
    local pid=$! t0=$SECONDS found=0
    while [ $((SECONDS - t0)) -lt "$FIRST_RUN_SECONDS" ] && kill -0 $pid 2>/dev/null; do
        sleep 5
        [ -f "$lib/library.sqlite" ] || continue
        if (cd "$T" && run_clean "$CLI" search "$lib" --text 龙袍 -k 5) >"$search" 2>&1 \
                && grep -q "Matching photos" "$search"; then
            found=1; break
        fi
    done
    local seconds=$((SECONDS - t0)) alive=0
    if kill -0 $pid 2>/dev/null; then alive=1; kill $pid; fi
    wait $pid 2>/dev/null
    if [ $found = 0 ]; then
        bad gui-first-run "no search results from the first run's library after ${seconds} s" "$search"
        sed 's/^/      | /' "$log" | tail -10
    elif grep -q "Traceback" "$log"; then bad gui-first-run "traceback in the window's output" "$log"
    elif [ $alive = 0 ]; then bad gui-first-run "the window exited during its first run" "$log"
    else
        local hits; hits=$(grep -cE '^ +[0-9]+\. ' "$search")
        ok gui-first-run "(${seconds} s) demo + $(active_model "$lib"), search 龙袍: $hits results (photos and descriptions)"
        sed -n '1,8p' "$search" | cut -c1-110 | sed 's/^/      | /'
    fi
}

# The active model of a library, read with the bundle's own CLI (no sqlite3 needed).
active_model() {
    local active; active="$( (cd "$T" && run_clean "$CLI" models list "$1") 2>/dev/null | grep -m1 '^\*' | cut -f1)"
    echo "model ${active#\* }"
}

first_run

echo
echo "Smoke test: $passed passed, $failed failed, $skipped skipped."
[ "$failed" -eq 0 ]
