#!/usr/bin/env bash
# `aiconf new-op demo_op` into a scratch folder, built out of tree against an install of this build
# (find_package), its own test run, and the plugin listed by `aiconf --plugin-dir <dir> plugins`.
# usage: new_op_test.sh <build-dir> <scratch-dir>
set -euo pipefail
build=$1 scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
test -f "$prefix/include/aiconf_plugins/standard_sweeps.h"

aiconf=$build/bin/aiconf
"$aiconf" new-op demo_op --dir "$scratch/demo_op" >/dev/null
# Writing into a folder that is not empty is refused.
if "$aiconf" new-op demo_op --dir "$scratch/demo_op" >/dev/null 2>&1; then echo "FAIL: new-op overwrote a folder"; exit 1; fi
# A name that cannot be a C++ identifier is refused with the reason.
bad=$("$aiconf" new-op Bad-Name --dir "$scratch/bad" 2>&1 || true)
grep -q "expected snake_case" <<<"$bad"

cmake -S "$scratch/demo_op" -B "$scratch/demo_build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$scratch/demo_build" -j2 >/dev/null
ctest --test-dir "$scratch/demo_build" --output-on-failure

plugins=$("$aiconf" --plugin-dir "$scratch/demo_build/plugins" plugins --json)
grep -q '"name": "demo_op"' <<<"$plugins"
grep -q '"table": "demo_op_perf"' <<<"$plugins"
grep -q '"architecture": "DemoOpForCausalLM"' <<<"$plugins"
# The stub mock layer fails loudly through the checklist; everything else of phase 1/2/4 passes.
check=$("$aiconf" --plugin-dir "$scratch/demo_build/plugins" check demo_op --model "$scratch/demo_op/tests/demo_op_config.json" --json || true)
grep -q '"item": "config parsed"' <<<"$check"
grep -q 'not written yet\|no GPU' <<<"$check"
echo "new-op scaffold: builds, tests pass, loads: ok"
