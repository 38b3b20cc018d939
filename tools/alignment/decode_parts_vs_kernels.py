#!/usr/bin/env python3
"""Kernel-by-kernel account of the DSA decode module-vs-ops gap.

Joins the CUPTI kernel tables of the composed decode module (tools/alignment/profile_decode_gemms.sh,
one per gemm type x batch x heads at past 8192) with the op-sum parts of the same shape
(dsa_alignment_module_vs_ops.json, made by dsa_module_vs_ops.py): every kernel of the module is
attributed to the op-sum part that prices it (by kernel name), and each part's table row is set
against the time its kernels take inside the module. The differences add up to the gap.
usage: decode_parts_vs_kernels.py <profile dir> <dsa_alignment_module_vs_ops.json> <system> <out.md> <out.json>
"""
import json
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from decode_gemm_evidence import kernel_table  # noqa: E402

# Module kernels -> op-sum part groups. GEMMs run TN layouts, the absorption BMMs NN (strided batched).
GROUPS = [
    ("projection GEMMs", re.compile(r"nvjet\w*_TN[NT]$|splitKreduce"),
     ("q_a_proj", "kv_a_proj", "q_b_proj", "indexer.wq_b", "indexer.wk", "indexer.weights_proj", "o_proj")),
    ("absorption BMMs", re.compile(r"nvjet\w*_NN[NT]$"), ("q_absorb_bmm", "o_absorb_bmm")),
    ("indexer logits", re.compile(r"indexer_logits_kernel"), ("indexer.logits",)),
    ("top-k", re.compile(r"topk_kernel"), ("indexer.topk",)),
    ("sparse MLA", re.compile(r"sparse_mla_fwd|sparse_mla_combine"), ("sparse_mla",)),
    ("module-only (FP8 quantize, head-weight fold)", re.compile(r"quantize_group_kernel|fold_head_weights"), ()),
]


def main():
    prof, shapes_json, system, out_md, out_json = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5])
    shapes = [s for s in json.load(open(shapes_json))["shapes"] if s["system"] == system and s["phase"] == "generation"]
    rows, md = [], []
    for mod in sorted(prof.glob("module_*.csv")):
        m = re.match(r"module_(\w+?)_b(\d+)_h(\d+)\.csv", mod.name)
        g, b, h = m.group(1), int(m.group(2)), int(m.group(3))
        match = [s for s in shapes if s["gemm_type"] == g and s["batch_size"] == b and s["num_heads"] == h and s["step"] == 8192]
        if not match:
            continue
        s = match[0]
        kernels, _ = kernel_table(mod)
        parts = {p["name"]: p for p in s["parts"]}
        # The BMMs: the op sum prices them empirically (no mla_bmm table); the reconciliation's bf16 rows
        # are what the module runs, so they stand in when present.
        bmm_fix = next((r for r in s.get("reconciliation", []) if r["kernel"].startswith("absorption BMMs")), None)
        groups, unassigned = [], dict(kernels)
        for label, rx, names in GROUPS:
            ktime = sum(us for k, us in kernels.items() if rx.search(k))
            for k in [k for k in unassigned if rx.search(k)]:
                del unassigned[k]
            row = sum(parts[n]["ms"] for n in names if n in parts) * 1000
            note = "no part (module only)" if not names else ""
            if label == "absorption BMMs" and bmm_fix:
                row += bmm_fix["delta_ms"] * 1000
                note = "rows: bf16 mla_bmm rows (reconciliation), the op sum's empirical BMM is replaced"
            groups.append({"group": label, "rows_us": row, "kernels_in_module_us": ktime, "difference_us": row - ktime, "note": note,
                           "provenance": sorted({parts[n]["provenance"] for n in names if n in parts})})
        other = sum(unassigned.values())
        kernel_sum = sum(kernels.values())
        module_us, op_sum_us = s["module_ms"] * 1000, s["op_sum_ms"] * 1000
        rows.append({"gemm_type": g, "batch": b, "heads": h, "step": s["step"], "module_row_us": module_us, "op_sum_us": op_sum_us,
                     "module_kernels_us": kernel_sum, "unattributed_kernels_us": other, "groups": groups,
                     "parts_priced": len(s["parts"])})
    md.append("| shape | module row us | module kernels us (CUPTI) | op sum us | " + " | ".join(g[0] for g in GROUPS) + " |")
    md.append("| --- | --- | --- | --- | " + " | ".join("---" for _ in GROUPS) + " |")
    for r in rows:
        cells = [f"{x['rows_us']:.1f} / {x['kernels_in_module_us']:.1f} ({x['difference_us']:+.1f})" for x in r["groups"]]
        md.append(f"| {r['gemm_type']} b{r['batch']} h{r['heads']} past{r['step']} | {r['module_row_us']:.1f} | {r['module_kernels_us']:.1f} | "
                  f"{r['op_sum_us']:.1f} | " + " | ".join(cells) + " |")
    out_md.write_text("Cells: table rows of the part(s) / the same kernels inside the module (difference), us.\n\n" + "\n".join(md) + "\n")
    out_json.write_text(json.dumps(rows, indent=1) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
