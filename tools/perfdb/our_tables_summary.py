#!/usr/bin/env python3
"""Row counts and leave-one-out accuracy of our own perf tables (perfdb/<system>/aiconf/0.1.0/), as a
markdown table for perfdb/README.md. Runs `aiconf db validate perfdb --json` twice per system: with the
plugins' schemas (the "all" column) and with inferred schemas (the interior / frontier split).
usage: tools/perfdb/our_tables_summary.py [--aiconf build/bin/aiconf] [--systems h200_sxm,h100_sxm]
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def validate(aiconf, system, infer):
    cmd = [aiconf, "db", "validate", os.path.join(REPO, "perfdb"), "--system", system, "--backend", "aiconf", "--json"]
    if infer:
        cmd.append("--infer")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return {t["table"]: t for s in json.loads(out)["systems"] for t in s["tables"]}


def stat(t, part):
    s = t.get(part) if t else None
    if not s or not s.get("count"):
        return "-"
    return f"{s['median_pct']:.2f}% / {s['p90_pct']:.1f}% ({s['count']})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aiconf", default=os.path.join(REPO, "build", "bin", "aiconf"))
    ap.add_argument("--systems", default="h200_sxm,h100_sxm")
    a = ap.parse_args()
    print("| table | system | rows | plugin schema: all median / p90 (points) | inferred: interior median / p90 (points) | inferred: frontier |")
    print("| --- | --- | --- | --- | --- | --- |")
    for system in a.systems.split(","):
        plain, inferred = validate(a.aiconf, system, False), validate(a.aiconf, system, True)
        for name in sorted(plain):
            t, i = plain[name], inferred.get(name)
            # A table shared by several operations (memory_op_perf, mla_bmm_perf) is validated with
            # one operation's schema; the inferred run sees every row.
            rows = max(t["points"], sum((i or {}).get(p, {}).get("count", 0) for p in ("interior", "frontier")))
            print(f"| {name} | {system} | {rows} | {stat(t, 'all')} | {stat(i, 'interior')} | {stat(i, 'frontier')} |")


if __name__ == "__main__":
    sys.exit(main())
