#!/usr/bin/env python3
"""Merge a partial re-collection into a perf database: rows of <from> replace the rows of <into> that
have the same key columns (every column but the measurement ones), new keys are appended, and the
re-collection's runs are appended to <into>'s collection_meta.json (gpu_seconds accumulate, as the
collector does on --resume). Tables are written to a temp file and renamed: nothing half-written.

usage: tools/perfdb/replace_rows.py <from-root> [<into-root>=perfdb] [--note TEXT]
  e.g. after tools/gpu/recollect_fp8_sparse_mla.sh: replace_rows.py /tmp/out/perfdb --note "fp8 rows: v5 kernel"
"""
import argparse
import csv
import json
import os
import sys
from pathlib import Path

MEASURED = {"latency", "timing", "samples", "spread", "throttled"}


def read_table(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [r for r in reader if r]
    for i, r in enumerate(rows):
        if len(r) != len(header):
            sys.exit(f"{path}: row {i + 2} has {len(r)} fields, the header has {len(header)}")
    return header, rows


def write_atomic(path, text):
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def merge_table(src, dst):
    h_new, new = read_table(src)
    h_old, old = read_table(dst)
    if h_new != h_old:
        sys.exit(f"{src}: header differs from {dst}:\n  {h_new}\n  {h_old}")
    key_cols = [i for i, c in enumerate(h_old) if c not in MEASURED]
    key = lambda r: tuple(r[i] for i in key_cols)
    fresh = {key(r): r for r in new}
    replaced = 0
    out = []
    for r in old:
        k = key(r)
        if k in fresh:
            out.append(fresh.pop(k))
            replaced += 1
        else:
            out.append(r)
    appended = [r for r in new if key(r) in fresh]
    out += appended
    lines = [",".join(h_old)] + [",".join(r) for r in out]
    write_atomic(dst, "\n".join(lines) + "\n")
    return replaced, len(appended), len(out)


def merge_meta(src_meta, dst_meta, tables, note):
    new = json.loads(src_meta.read_text())
    meta = json.loads(dst_meta.read_text())
    for name, (replaced, appended, rows) in tables.items():
        t_new = new["tables"][name]
        t = meta["tables"].setdefault(name, {"collector": t_new["collector"]})
        t["gpu_seconds"] = t.get("gpu_seconds", 0.0) + t_new["gpu_seconds"]
        t["gpu_minutes"] = t["gpu_seconds"] / 60.0
        t["rows"] = rows
        t["last_update"] = t_new["last_update"]
        if note:
            added = f"{note}: {replaced} rows replaced, {appended} added ({t_new['gpu_seconds']:.1f} GPU-s)"
            t["note"] = f"{t['note']}; {added}" if t.get("note") else added
    for k in ("date", "git_commit", "command_line"):  # the latest run, as the collector records it
        meta[k] = new[k]
    meta.setdefault("runs", []).extend(new.get("runs", []))
    write_atomic(dst_meta, json.dumps(meta, indent=2) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path, nargs="?", default=Path("perfdb"))
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    metas = sorted(a.src.glob("*/*/*/collection_meta.json"))
    if not metas:
        sys.exit(f"{a.src}: no <system>/<framework>/<version>/collection_meta.json")
    for src_meta in metas:
        rel = src_meta.parent.relative_to(a.src)
        dst_dir = a.dst / rel
        if not (dst_dir / "collection_meta.json").exists():
            sys.exit(f"{dst_dir}: no collection_meta.json to merge into")
        done = {}
        for src in sorted(src_meta.parent.glob("*_perf.txt")):
            dst = dst_dir / src.name
            if not dst.exists():
                sys.exit(f"{dst}: missing (this tool replaces rows of existing tables)")
            done[src.stem] = merge_table(src, dst)
            print(f"{rel}/{src.name}: {done[src.stem][0]} replaced, {done[src.stem][1]} added, {done[src.stem][2]} rows")
        merge_meta(src_meta, dst_dir / "collection_meta.json", done, a.note)


if __name__ == "__main__":
    main()
