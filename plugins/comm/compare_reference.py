#!/usr/bin/env python3
"""Compare our measured comm tables with aiconfigurator's (same keys), per op and GPU count.

usage: compare_reference.py OURS.txt REFERENCE.txt[.gz] [--dtype-column nccl_dtype]

Prints, for every (op_name, dtype, num_gpus) present in both, the ratio ours / reference at each
common message_size (median, min, max) and a few sizes, plus our bus bandwidth at the largest
size. Standard library only.
"""
import argparse
import csv
import gzip
import statistics
import sys
from collections import defaultdict

BUS = {"all_reduce": lambda n: 2 * (n - 1) / n, "all_gather": lambda n: (n - 1) / n,
       "reduce_scatter": lambda n: (n - 1) / n, "alltoall": lambda n: (n - 1) / n, "p2p": lambda n: 1.0}
BYTES = {"half": 2, "bfloat16": 2, "float": 4, "int8": 1}


def read(path, dtype_col):
    opener = gzip.open if path.endswith(".gz") else open
    rows = {}
    with opener(path, "rt") as f:
        for r in csv.DictReader(f):
            key = (r["op_name"], r[dtype_col], int(r["num_gpus"]), int(r["message_size"]))
            rows.setdefault(key, []).append(float(r["latency"]))
    return {k: statistics.median(v) for k, v in rows.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("reference")
    ap.add_argument("--dtype-column", default="nccl_dtype")
    a = ap.parse_args()
    ours, ref = read(a.ours, a.dtype_column), read(a.reference, a.dtype_column)
    groups = defaultdict(list)
    for k, v in ours.items():
        if k in ref:
            groups[k[:3]].append((k[3], v, ref[k]))
    if not groups:
        print("no common keys")
        return 1
    print("op dtype gpus: points, ours/ref median [min, max]; ratio at sizes 2^10, 2^20, 2^26; our busbw at the largest size")
    for (op, dt, n), pts in sorted(groups.items()):
        pts.sort()
        ratios = [o / r for _, o, r in pts]
        at = {s: o / r for s, o, r in pts}
        picks = " ".join(f"{at[s]:.2f}" if s in at else "-" for s in (1 << 10, 1 << 20, 1 << 26))
        s, o, _ = pts[-1]
        busbw = s * BYTES.get(dt, 2) * BUS.get(op, lambda n: 1.0)(n) / (o * 1e-3) / 1e9
        print(f"{op:15s} {dt:8s} {n}: {len(pts):3d} points, {statistics.median(ratios):.2f} "
              f"[{min(ratios):.2f}, {max(ratios):.2f}]; {picks}; busbw {busbw:.0f} GB/s at {s} elements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
