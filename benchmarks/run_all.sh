#!/usr/bin/env bash
# Every benchmark at its documented size (the command line RESULTS.md shows for its section),
# one after another: side by side they would slow each other down.  Each writes its own
# section of benchmarks/RESULTS.md only when its correctness check passes; a failing one does
# not stop the others, and this script then exits non-zero naming it.  Run it on a quiet
# machine: the figures are only as good as the machine is idle.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's lessonkit, whatever else is installed

failed=()
run() {
    echo "== $*" >&2
    "$@" || failed+=("$*")
}

run python benchmarks/import_time.py
run python benchmarks/mastery.py
run python benchmarks/events.py
run python benchmarks/check_latency.py
run python benchmarks/codecheck.py
run python benchmarks/build.py
run python benchmarks/grade.py
run python benchmarks/report.py
# python-loops is a lessonkit lesson: its nbgrader source is what `lessonkit build` writes
run python -m lessonkit build lessons/python-loops
run python benchmarks/grade.py --source grading/source/python-loops --submissions 40
run python benchmarks/serve.py

if ((${#failed[@]})); then
    printf 'FAILED, its section left as it was: %s\n' "${failed[@]}" >&2
    exit 1
fi
