#!/usr/bin/env python3
"""Our measured DSA module rows (perfdb/<system>/aiconf/0.1.0/dsa_*_module_perf.txt) next to
TensorRT-LLM's reference rows at the same shapes (aiconfigurator's
<shared>/reference/aiconfigurator/<system>/sparse_attention/trtllm/1.3.0rc20/dsa_*_module_perf.txt.gz).

Match: architecture DeepseekV32ForCausalLM, mla_dtype, kv_cache_dtype, gemm_type, num_heads,
batch_size, isl, step (tp_size 1). Duplicate rows on either side collapse to their median.

The committed table (docs/alignment/dsa_module_vs_trtllm.md/.json) carries our latency, the
ratio ours / TRT-LLM per shape and summary statistics only: the reference's latencies are not
copied into the repository. `--side-by-side FILE` writes the full comparison (both latencies) to a
file outside the repository, regenerated from ../shared whenever needed.

Usage: tools/alignment/dsa_module_vs_trtllm.py [--systems h200_sxm,h100_sxm] [--out docs/alignment]
                                               [--reference DIR] [--side-by-side /tmp/dsa_side_by_side.csv]
"""
import sys

sys.dont_write_bytecode = True
import argparse
import datetime
import json
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, SHARED_REF, card_of, git_commit, median, read_table  # noqa: E402

KEYS = ("architecture", "mla_dtype", "kv_cache_dtype", "gemm_type", "num_heads", "batch_size", "isl", "step")


def keyed(rows):
    out = {}
    for r in rows:
        if r.get("architecture") != "DeepseekV32ForCausalLM" or int(r.get("tp_size", "1") or 1) != 1:
            continue
        k = tuple(int(r[c]) if c in ("num_heads", "batch_size", "isl", "step") else r[c] for c in KEYS)
        out.setdefault(k, []).append(float(r["latency"]))
    return {k: median(v) for k, v in out.items()}


def compare(system, ref_root):
    res = []
    for phase in ("context", "generation"):
        ours_p = os.path.join(REPO, "perfdb", system, "aiconf", "0.1.0", "dsa_%s_module_perf.txt" % phase)
        ref_p = os.path.join(ref_root, system, "sparse_attention", "trtllm", "1.3.0rc20", "dsa_%s_module_perf.txt.gz" % phase)
        if not (os.path.exists(ours_p) and os.path.exists(ref_p)):
            continue
        ours, ref = keyed(read_table(ours_p)), keyed(read_table(ref_p))
        for k in sorted(ours, key=lambda k: (k[3], -k[4], k[5], k[6], k[7])):
            if k in ref:
                d = dict(zip(KEYS, k))
                d.update(system=system, phase=phase, ours_ms=ours[k], ratio=ours[k] / ref[k], _ref_ms=ref[k])
                res.append(d)
    return res


def summary(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["system"], r["phase"], r["gemm_type"], r["num_heads"]), []).append(r["ratio"])
        groups.setdefault((r["system"], r["phase"], "all", "all"), []).append(r["ratio"])
    out = []
    for (s, p, g, h), v in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]), str(kv[0][3]))):
        v = sorted(v)
        out.append({"system": s, "phase": p, "gemm_type": g, "num_heads": h, "shapes": len(v), "median_ratio": median(v),
                    "p10_ratio": v[int(0.1 * (len(v) - 1))], "p90_ratio": v[int(0.9 * (len(v) - 1))],
                    "min_ratio": v[0], "max_ratio": v[-1], "faster_than_trtllm": sum(x < 1 for x in v)})
    return out


def shape(r):
    return ("b%d isl%d" % (r["batch_size"], r["isl"])) if r["phase"] == "context" else ("b%d past%d" % (r["batch_size"], r["step"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--systems", default="h200_sxm,h100_sxm")
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "alignment"))
    ap.add_argument("--reference", default=SHARED_REF)
    ap.add_argument("--side-by-side", help="write both latencies per shape here (keep it outside the repository)")
    a = ap.parse_args()
    rows = []
    systems = []
    for s in a.systems.split(","):
        r = compare(s, a.reference)
        if r:
            rows += r
            systems.append(s)
    summ = summary(rows)
    gen = datetime.date.today().isoformat()
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    with open(os.path.join(a.out, "dsa_module_vs_trtllm.json"), "w") as f:
        json.dump({"generated": gen, "commit": git_commit(), "made_by": "tools/alignment/dsa_module_vs_trtllm.py",
                   "reference": "aiconfigurator reference tables, TensorRT-LLM 1.3.0rc20 (../shared/reference/aiconfigurator; latencies not copied)",
                   "cards": {s: card_of(s) for s in systems}, "summary": summ, "shapes": public}, f, separators=(",", ":"))
        f.write("\n")
    md = ["# DSA module: ours vs TensorRT-LLM 1.3.0rc20 (reference rows at the same shapes)", "",
          "Made by `tools/alignment/dsa_module_vs_trtllm.py` (%s, commit %s). Ours: the module mock layer's rows in "
          "`perfdb/<system>/aiconf/0.1.0/dsa_*_module_perf.txt` (projections, indexer, top-k, sparse MLA, BMMs in one CUDA "
          "graph; no norms, RoPE or decode cache scatter: see `plugins/sparse_mla/dsa_module_mock_layer.cu`). TRT-LLM: "
          "aiconfigurator's `sparse_attention/trtllm/1.3.0rc20/dsa_*_module_perf` rows of the same card model, the whole "
          "attention block of TensorRT-LLM's DeepSeek-V3.2 layer. Matched on gemm_type, num_heads, batch_size, isl, step "
          "(DeepSeek-V3.2, bf16 MLA and cache, tp 1). **Ratio < 1: ours is faster.** The reference latencies are not "
          "copied here; `--side-by-side FILE` regenerates both columns from ../shared." % (gen, git_commit()), ""]
    for s in systems:
        md += ["## %s: %s" % (s, card_of(s)), "", "| phase | gemm_type | heads | shapes | median ratio | p10 | p90 | min | max | ours faster |",
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for g in summ:
            if g["system"] == s:
                md.append("| %s | %s | %s | %d | **%.2f** | %.2f | %.2f | %.2f | %.2f | %d of %d |" % (
                    g["phase"], g["gemm_type"], g["num_heads"], g["shapes"], g["median_ratio"], g["p10_ratio"], g["p90_ratio"],
                    g["min_ratio"], g["max_ratio"], g["faster_than_trtllm"], g["shapes"]))
        md.append("")
        for phase in ("context", "generation"):
            rs = [r for r in rows if r["system"] == s and r["phase"] == phase]
            if not rs:
                continue
            md += ["### %s %s, per shape (ours ms / ours÷TRT-LLM)" % (s, phase), ""]
            for g in ("bfloat16", "fp8_block"):
                for h in (128, 16):
                    sel = [r for r in rs if r["gemm_type"] == g and r["num_heads"] == h]
                    if not sel:
                        continue
                    cells = ["%s: %.4g / %.2f" % (shape(r), r["ours_ms"], r["ratio"]) for r in sel]
                    md.append("- **%s, %d heads** (%d shapes): " % (g, h, len(sel)) + "; ".join(cells))
            md.append("")
    with open(os.path.join(a.out, "dsa_module_vs_trtllm.md"), "w") as f:
        f.write("\n".join(md))
    if a.side_by_side:
        with open(a.side_by_side, "w") as f:
            f.write("system,phase," + ",".join(KEYS) + ",ours_ms,trtllm_ms,ratio\n")
            for r in rows:
                f.write("%s,%s,%s,%.6g,%.6g,%.4f\n" % (r["system"], r["phase"], ",".join(str(r[k]) for k in KEYS), r["ours_ms"], r["_ref_ms"], r["ratio"]))
    for g in summ:
        if g["gemm_type"] == "all":
            print("%s %s: %d shapes, median ours/TRT-LLM %.3f" % (g["system"], g["phase"], g["shapes"], g["median_ratio"]))


if __name__ == "__main__":
    main()
