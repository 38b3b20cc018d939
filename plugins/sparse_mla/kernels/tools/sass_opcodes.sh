#!/usr/bin/env bash
# Opcode histogram of one kernel's SASS (device machine: needs cuobjdump), e.g. to see what a
# dequantization variant compiled to: tools/sass_opcodes.sh build/producer_base.o producer_kernelILb1
# Prints "count opcode" lines, most frequent first, for the functions whose name contains the text.
set -eu
obj=$1 fn=$2
cuobjdump -sass "$obj" | awk -v fn="$fn" '
  /Function :/ { inside = index($0, fn) > 0; next }
  inside && /\/\*[0-9a-f]+\*\// {
    line = $0; sub(/^[ \t]*\/\*[0-9a-f]+\*\/[ \t]*/, "", line)  # drop the address comment
    sub(/^@!?U?P[0-9T]+[ \t]+/, "", line)                  # drop a predicate guard
    split(line, w, /[ \t;]+/); if (w[1] != "") print w[1]
  }' | sort | uniq -c | sort -rn
