#!/usr/bin/env python3
"""Tests of tools/perfdb/replace_rows.py on small made-up perf databases (no GPU, no build)."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "perfdb" / "replace_rows.py"
HEADER = "framework,version,device,op_name,kernel_source,num_heads,batch_size,latency,timing"


def write_db(root, rows, gpu="NVIDIA H200", runs=(("2026-01-01T00:00:00Z", "collect a"),), seconds=10.0):
    d = Path(root) / "h200_sxm" / "aiconf" / "0.1.0"
    d.mkdir(parents=True, exist_ok=True)
    (d / "op_perf.txt").write_text("\n".join([HEADER] + rows) + "\n")
    meta = {
        "gpu": {"name": gpu},
        "date": runs[-1][0],
        "git_commit": "abc",
        "command_line": runs[-1][1],
        "tables": {"op_perf": {"collector": "op", "gpu_seconds": seconds, "rows": len(rows), "last_update": runs[-1][0]}},
        "runs": [{"date": r[0], "command_line": r[1]} for r in runs],
    }
    (d / "collection_meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return d


def row(heads, batch, latency, ks="ks", device="NVIDIA H200"):
    return f"aiconf,0.1.0,{device},op,{ks},{heads},{batch},{latency},graph"


def run(src, dst, *extra):
    return subprocess.run([sys.executable, str(TOOL), str(src), str(dst), *extra], capture_output=True, text=True)


class ReplaceRows(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.src, self.dst = Path(self.tmp.name) / "src", Path(self.tmp.name) / "dst"

    def tearDown(self):
        self.tmp.cleanup()

    def table(self):
        return (self.dst / "h200_sxm/aiconf/0.1.0/op_perf.txt").read_text().splitlines()

    def meta(self):
        return json.loads((self.dst / "h200_sxm/aiconf/0.1.0/collection_meta.json").read_text())

    def test_replaces_by_identity_keeps_order_and_appends_new_keys(self):
        write_db(self.dst, [row(8, 1, 1.0), row(8, 2, 2.0), row(16, 1, 3.0)])
        # A new kernel_source and device spelling still replace: identity is op_name + key columns.
        write_db(self.src, [row(8, 2, 1.5, ks="ks_v5"), row(32, 1, 9.0)], runs=(("2026-02-01T00:00:00Z", "collect b"),),
                 seconds=4.0)
        r = run(self.src, self.dst, "--note", "v5")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.table(), [HEADER, row(8, 1, 1.0), row(8, 2, 1.5, ks="ks_v5"), row(16, 1, 3.0), row(32, 1, 9.0)])
        t = self.meta()["tables"]["op_perf"]
        self.assertEqual((t["rows"], t["gpu_seconds"]), (4, 14.0))
        self.assertIn("v5: 1 rows replaced, 1 added", t["note"])
        self.assertEqual(len(self.meta()["runs"]), 2)
        self.assertEqual(self.meta()["command_line"], "collect b")

    def test_second_merge_of_the_same_runs_changes_nothing(self):
        write_db(self.dst, [row(8, 1, 1.0)])
        write_db(self.src, [row(8, 1, 0.5)], runs=(("2026-02-01T00:00:00Z", "collect b"),), seconds=4.0)
        self.assertEqual(run(self.src, self.dst, "--note", "n").returncode, 0)
        first = (self.table(), self.meta())
        self.assertEqual(run(self.src, self.dst, "--note", "n").returncode, 0)
        self.assertEqual((self.table(), self.meta()), first)

    def test_refusals_leave_the_database_unchanged(self):
        cases = {
            "repeats the key": dict(src_rows=[row(8, 1, 0.5), row(8, 1, 0.6)]),
            "header differs": dict(src_header="framework,version,device,op_name,kernel_source,num_heads,latency,timing"),
            "measured on": dict(src_gpu="NVIDIA H100 80GB HBM3"),
        }
        for why, c in cases.items():
            with self.subTest(why):
                self.tearDown()
                self.setUp()
                write_db(self.dst, [row(8, 1, 1.0)])
                write_db(self.src, c.get("src_rows", [row(8, 1, 0.5)]), gpu=c.get("src_gpu", "NVIDIA H200"),
                         runs=(("2026-02-01T00:00:00Z", "collect b"),))
                if "src_header" in c:
                    p = self.src / "h200_sxm/aiconf/0.1.0/op_perf.txt"
                    p.write_text(c["src_header"] + "\naiconf,0.1.0,NVIDIA H200,op,ks,8,0.5,graph\n")
                before = (self.table(), self.meta())
                r = run(self.src, self.dst)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(why, r.stderr)
                self.assertEqual((self.table(), self.meta()), before)

    def test_a_field_with_a_comma_survives(self):
        write_db(self.dst, [row(8, 1, 1.0)])
        write_db(self.src, ['aiconf,0.1.0,NVIDIA H200,op,"ks,v5",8,1,0.5,graph'], runs=(("2026-02-01T00:00:00Z", "b"),))
        self.assertEqual(run(self.src, self.dst).returncode, 0)
        self.assertEqual(self.table()[1], 'aiconf,0.1.0,NVIDIA H200,op,"ks,v5",8,1,0.5,graph')


if __name__ == "__main__":
    unittest.main()
