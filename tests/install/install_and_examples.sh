#!/usr/bin/env bash
# Installs the SDK into a scratch prefix, builds examples/minimal_plugin and
# examples/link_libaiconf against it with find_package(aiconf), and runs them.
# usage: install_and_examples.sh <build-dir> <source-dir> <scratch-dir>
set -euo pipefail
build=$1 src=$2 scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/aiconf" && test -f "$prefix/lib/libaiconf.so" && test -d "$prefix/lib/aiconf/plugins"
cmake -S "$src/examples/minimal_plugin" -B "$scratch/minimal" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$scratch/minimal" >/dev/null
cmake -S "$src/examples/link_libaiconf" -B "$scratch/link" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$scratch/link" >/dev/null
out=$(LD_LIBRARY_PATH="$prefix/lib" "$scratch/link/print_model" "$src/tests/install/minimal_config.json" "$scratch/minimal/plugins")
echo "$out"
grep -q "plugin minimal 1.0.0" <<<"$out"
grep -q "family minimal_family" <<<"$out"
grep -q "extension minimal: intermediate_size=2816" <<<"$out"
# The installed CLI finds the installed plugins by itself, and the new one with --plugin-dir.
# (Outputs are captured first: grep -q closing the pipe early would fail the writer under pipefail.)
plugins=$("$prefix/bin/aiconf" --plugin-dir "$scratch/minimal/plugins" plugins --json)
grep -q '"minimal_swiglu"' <<<"$plugins"
model=$("$prefix/bin/aiconf" model "$src/examples/configs/DeepSeek-V3.2.json" --json)
grep -q '"index_topk": 2048' <<<"$model"
echo "install + out-of-tree examples: ok"
