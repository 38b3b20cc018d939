#!/usr/bin/env python3
"""GEMM-by-GEMM evidence for the DSA decode module-vs-ops gap, from the CUPTI kernel tables made by
tools/alignment/profile_decode_gemms.sh on the GPU and our gemm_perf rows of the same card.

For each profiled decode module (gemm type, batch, heads) and each of its six GEMMs it sets side by side:
  row    - the gemm_perf row the op sum uses (aiconf-collect: one CUDA-graph replay after an L2 flush);
  alone  - the GEMM's kernels run alone, back to back (aiconf-profile gemm: kernel time per pass);
  range  - the same run's NVTX range per pass (kernels + launch gaps);
and for the module: the time of those GEMM kernels inside the module (matched by kernel name: the
module's per-name total minus nothing, since every GEMM kernel name there belongs to a GEMM, BMM kernels
aside, which are reported separately).
usage: decode_gemm_evidence.py <profile dir> <gemm_perf.txt> <out.md> [<out.json>]
"""
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

GEMM_NAME = re.compile(r"nvjet|splitKreduce|gemm|cutlass|xmma", re.I)
QUANT_NAME = re.compile(r"quantize_group_kernel")


def kernel_table(path):
    """(kernels {name: us per pass}, range us per pass) of an aiconf-profile CSV."""
    iters, range_us, rows = 1, 0.0, []
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines:
        if line.startswith("# range_us="):
            range_us = float(line.split("=")[1])
        elif line.startswith("# iterations="):
            iters = int(line.split("=")[1])
    body = [l for l in lines if not l.startswith("#")]
    for r in csv.DictReader(body):
        rows.append((r["kernel"], float(r["total_us"])))
    return {k: t / iters for k, t in rows}, range_us / iters


def gemm_rows(path):
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            rows[(r["gemm_dtype"], int(r["m"]), int(r["n"]), int(r["k"]))] = float(r["latency"]) * 1000
    return rows


def module_gemms(h):
    return [("fused q_a+kv_a", 2112, 7168), ("q_b", h * 192, 1536), ("indexer wq_b", 8192, 1536),
            ("indexer wk", 128, 7168), ("indexer weights_proj", 64, 7168), ("o_proj", 7168, h * 128)]


def main():
    prof, table, out_md = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    out_json = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    rows = gemm_rows(table)
    report, md = [], []
    md.append("| module | GEMM | gemm_perf row us | alone: kernels us | alone: range us | kernels |")
    md.append("| --- | --- | --- | --- | --- | --- |")
    summary = []
    for mod in sorted(prof.glob("module_*.csv")):
        m = re.match(r"module_(\w+?)_b(\d+)_h(\d+)\.csv", mod.name)
        g, b, h = m.group(1), int(m.group(2)), int(m.group(3))
        mk, mrange = kernel_table(mod)
        expected = defaultdict(float)  # per kernel name: sum over the GEMMs run alone
        sum_row = sum_alone = sum_range = 0.0
        for label, n, k in module_gemms(h):
            gd = "bfloat16" if n == 64 else g
            f = prof / f"gemm_{gd}_m{b}_n{n}_k{k}.csv"
            if not f.exists():
                continue
            ak, arange = kernel_table(f)
            alone = sum(ak.values())
            row = rows.get((gd, b, n, k))
            for name, us in ak.items():
                expected[name] += us
            sum_alone += alone
            sum_range += arange
            sum_row += row or 0
            md.append(f"| {g} b{b} h{h} | {label} ({gd} {b}x{n}x{k}) | {row:.1f} | {alone:.1f} | {arange:.1f} | "
                      + ", ".join(f"{n_[:40]} {u:.1f}" for n_, u in ak.items()) + " |" if row else
                      f"| {g} b{b} h{h} | {label} | - | {alone:.1f} | {arange:.1f} | |")
        in_module = sum(mk.get(name, 0.0) for name in expected)
        quant = sum(us for name, us in mk.items() if QUANT_NAME.search(name))
        other_gemm = sum(us for name, us in mk.items() if GEMM_NAME.search(name) and name not in expected)
        kernels_total = sum(mk.values())
        summary.append({
            "gemm_type": g, "batch": b, "heads": h, "module_range_us": mrange, "module_kernels_us": kernels_total,
            "gemm_rows_sum_us": sum_row, "gemms_alone_kernels_us": sum_alone, "gemms_alone_range_us": sum_range,
            "gemm_kernels_in_module_us": in_module, "quantize_in_module_us": quant,
            "other_gemm_kernels_in_module_us (BMMs)": other_gemm,
            "row_excess_over_in_module_us": sum_row - in_module,
            "row_excess_share_of_module": (sum_row - in_module) / mrange,
        })
    md2 = ["| module | module range us | GEMM rows (op sum) us | same GEMMs alone: kernels us | GEMM kernels inside the module us | row excess us | excess / module |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in summary:
        md2.append(f"| {s['gemm_type']} b{s['batch']} h{s['heads']} | {s['module_range_us']:.1f} | {s['gemm_rows_sum_us']:.1f} | "
                   f"{s['gemms_alone_kernels_us']:.1f} | {s['gemm_kernels_in_module_us']:.1f} | {s['row_excess_over_in_module_us']:.1f} | "
                   f"{100 * s['row_excess_share_of_module']:+.1f}% |")
    out_md.write_text("\n".join(md2) + "\n\nPer GEMM:\n\n" + "\n".join(md) + "\n")
    if out_json:
        out_json.write_text(json.dumps(summary, indent=1) + "\n")
    print("\n".join(md2))


if __name__ == "__main__":
    main()
