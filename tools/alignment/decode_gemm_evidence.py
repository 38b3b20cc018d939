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
usage: decode_gemm_evidence.py <profile dir> <out.md> <out.json> LABEL=gemm_perf.txt [LABEL=gemm_perf.txt ...]
       (one LABEL per way of timing the rows, e.g. read=..., memset=..., none=... for the L2 flush modes)
"""
import csv
import json
import re
import sys
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


def evidence(prof, rows):
    """Per profiled module: its GEMM rows summed vs the same GEMM kernels inside the module."""
    per_gemm, summary = [], []
    for mod in sorted(prof.glob("module_*.csv")):
        m = re.match(r"module_(\w+?)_b(\d+)_h(\d+)\.csv", mod.name)
        g, b, h = m.group(1), int(m.group(2)), int(m.group(3))
        mk, mrange = kernel_table(mod)
        expected = set()
        sum_row = sum_alone = 0.0
        complete = True
        for label, n, k in module_gemms(h):
            gd = "bfloat16" if n == 64 else g
            f = prof / f"gemm_{gd}_m{b}_n{n}_k{k}.csv"
            row = rows.get((gd, b, n, k))
            if not f.exists() or row is None:
                complete = False
                continue
            ak, _ = kernel_table(f)
            expected.update(ak)
            sum_alone += sum(ak.values())
            sum_row += row
            per_gemm.append((f"{g} b{b} h{h}", f"{label} ({gd} {b}x{n}x{k})", row, sum(ak.values())))
        if not complete:
            continue  # no GEMM-alone profiles at this batch: the kernel names cannot be attributed
        in_module = sum(mk.get(name, 0.0) for name in expected)
        summary.append({"gemm_type": g, "batch": b, "heads": h, "module_range_us": mrange,
                        "module_kernels_us": sum(mk.values()), "gemm_rows_sum_us": sum_row,
                        "gemms_alone_kernels_us": sum_alone, "gemm_kernels_in_module_us": in_module,
                        "row_excess_us": sum_row - in_module, "row_excess_share_of_module": (sum_row - in_module) / mrange})
    return summary, per_gemm


def main():
    prof, out_md, out_json = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    tables = dict(a.split("=", 1) for a in sys.argv[4:])
    results = {label: evidence(prof, gemm_rows(path)) for label, path in tables.items()}
    labels = list(tables)
    txt = next(prof.glob("module_*.txt"), None)
    card = txt.read_text().splitlines()[0].replace("device: ", "") if txt else "?"
    md = [f"| module ({card}, decode, past 8192) | module range us | GEMM kernels inside the module us | "
          + " | ".join(f"GEMM rows, {l}: us (excess / module)" for l in labels) + " |",
          "| --- | --- | --- | " + " | ".join("---" for _ in labels) + " |"]
    first = results[labels[0]][0]
    for i, s in enumerate(first):
        cells = []
        for l in labels:
            t = results[l][0][i]
            cells.append(f"{t['gemm_rows_sum_us']:.1f} ({100 * t['row_excess_share_of_module']:+.1f}%)")
        md.append(f"| {s['gemm_type']} b{s['batch']} h{s['heads']} | {s['module_range_us']:.1f} | "
                  f"{s['gemm_kernels_in_module_us']:.1f} | " + " | ".join(cells) + " |")
    md += ["", "Per GEMM (row us per timing; the GEMM's kernels run alone, back to back, us):", "",
           "| module | GEMM | " + " | ".join(f"row, {l}" for l in labels) + " | alone |",
           "| --- | --- | " + " | ".join("---" for _ in labels) + " | --- |"]
    for j, (mod, gemm, _, alone) in enumerate(results[labels[0]][1]):
        md.append(f"| {mod} | {gemm} | " + " | ".join(f"{results[l][1][j][2]:.1f}" for l in labels) + f" | {alone:.1f} |")
    out_md.write_text("\n".join(md) + "\n")
    out_json.write_text(json.dumps({l: results[l][0] for l in labels}, indent=1) + "\n")
    print("\n".join(md[:len(first) + 2]))


if __name__ == "__main__":
    main()
