#!/usr/bin/env python3
"""Merge a partial re-collection into a perf database: rows of <from> replace the rows of <into> that
have the same identity (op_name and the key columns between kernel_source and latency, as the
collector identifies a row), new identities are appended, and the re-collection's runs are appended
to <into>'s collection_meta.json (gpu_seconds accumulate, as the collector does on --resume).

Everything is checked and merged in memory first (headers, GPUs, duplicate keys); only then are the
files written, each to a temp file renamed into place, so a refused merge changes nothing. Merging
the same re-collection twice changes nothing the second time (its runs, by date and command line,
are already recorded).

usage: tools/perfdb/replace_rows.py <from-root> [<into-root>=perfdb] [--note TEXT]
  e.g. after tools/gpu/recollect_fp8_sparse_mla.sh: replace_rows.py /tmp/out/perfdb --note "fp8 rows: v5 kernel"
"""
import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

MEASURED = ("latency", "timing", "samples", "spread", "throttled")


def fail(msg):
    sys.exit(f"replace_rows: {msg}")


def read_table(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            fail(f"{path}: empty file (expected a header row)")
        rows = [r for r in reader if r]
    for i, r in enumerate(rows):
        if len(r) != len(header):
            fail(f"{path}: row {i + 2} has {len(r)} fields, the header has {len(header)}")
    return header, rows


def identity(header, path):
    """Indices of op_name and the key columns (after kernel_source, before latency)."""
    try:
        op, ks, lat = header.index("op_name"), header.index("kernel_source"), header.index("latency")
    except ValueError as e:
        fail(f"{path}: header lacks {e.args[0].split()[0]} (expected op_name, kernel_source, latency)")
    return [op] + list(range(ks + 1, lat))


def keyed(rows, cols, path):
    out = {}
    for i, r in enumerate(rows):
        k = tuple(r[c] for c in cols)
        if k in out:
            fail(f"{path}: row {i + 2} repeats the key of an earlier row: {k}")
        out[k] = r
    return out


def merge_table(src, dst):
    """Returns (text of the merged table, replaced, appended, rows)."""
    h_new, new = read_table(src)
    h_old, old = read_table(dst)
    if h_new != h_old:
        fail(f"{src}: header differs from {dst}:\n  {h_new}\n  {h_old}")
    cols = identity(h_old, dst)
    fresh = keyed(new, cols, src)
    keyed(old, cols, dst)  # refuses duplicate keys in the table being merged into
    out, replaced = [], 0
    for r in old:
        k = tuple(r[c] for c in cols)
        if k in fresh:
            out.append(fresh.pop(k))
            replaced += 1
        else:
            out.append(r)
    appended = [r for r in new if tuple(r[c] for c in cols) in fresh]
    out += appended
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")  # quotes a field only when it needs it, as the collector
    writer.writerow(h_old)
    writer.writerows(out)
    return buf.getvalue(), replaced, len(appended), len(out)


def merged_meta(src_meta, dst_meta, counts, note):
    new = json.loads(src_meta.read_text())
    meta = json.loads(dst_meta.read_text())
    gpu_new, gpu_old = new.get("gpu", {}).get("name"), meta.get("gpu", {}).get("name")
    if gpu_new != gpu_old:
        fail(f"{src_meta} was measured on {gpu_new!r}, {dst_meta} on {gpu_old!r}")
    runs = meta.setdefault("runs", [])
    seen = {(r.get("date"), r.get("command_line")) for r in runs}
    new_runs = [r for r in new.get("runs", []) if (r.get("date"), r.get("command_line")) not in seen]
    if new.get("runs") and not new_runs:  # merged before: the tables come out the same, the meta stays
        return json.dumps(meta, indent=2) + "\n"
    for name, (replaced, appended, rows) in counts.items():
        t_new = new.get("tables", {}).get(name)
        if t_new is None:
            fail(f"{src_meta}: no entry for table {name}")
        t = meta.setdefault("tables", {}).setdefault(name, {"collector": t_new["collector"]})
        t["gpu_seconds"] = t.get("gpu_seconds", 0.0) + t_new["gpu_seconds"]
        t["gpu_minutes"] = t["gpu_seconds"] / 60.0
        t["rows"] = rows
        t["last_update"] = t_new["last_update"]
        if note:
            added = f"{note}: {replaced} rows replaced, {appended} added ({t_new['gpu_seconds']:.1f} GPU-s)"
            t["note"] = f"{t['note']}; {added}" if t.get("note") else added
    for k in ("date", "git_commit", "command_line"):  # the latest run, as the collector records it
        if k in new:
            meta[k] = new[k]
    runs += new_runs
    return json.dumps(meta, indent=2) + "\n"


def write_atomic(path, text):
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path, nargs="?", default=Path("perfdb"))
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    metas = sorted(a.src.glob("*/*/*/collection_meta.json"))
    if not metas:
        fail(f"{a.src}: no <system>/<framework>/<version>/collection_meta.json")
    writes, report = [], []  # (path, text), all computed before anything is written
    for src_meta in metas:
        rel = src_meta.parent.relative_to(a.src)
        dst_dir = a.dst / rel
        if not (dst_dir / "collection_meta.json").exists():
            fail(f"{dst_dir}: no collection_meta.json to merge into")
        counts = {}
        for src in sorted(src_meta.parent.glob("*_perf.txt")):
            dst = dst_dir / src.name
            if not dst.exists():
                fail(f"{dst}: missing (this tool replaces rows of existing tables)")
            text, replaced, appended, rows = merge_table(src, dst)
            counts[src.stem] = (replaced, appended, rows)
            writes.append((dst, text))
            report.append(f"{rel}/{src.name}: {replaced} replaced, {appended} added, {rows} rows")
        writes.append((dst_dir / "collection_meta.json", merged_meta(src_meta, dst_dir / "collection_meta.json", counts, a.note)))
    for path, text in writes:
        write_atomic(path, text)
    print("\n".join(report))


if __name__ == "__main__":
    main()
