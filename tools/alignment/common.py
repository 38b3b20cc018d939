"""Shared helpers of the alignment scripts (standard library only)."""
import gzip
import json
import os
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED_REF = os.path.join(os.path.dirname(REPO), "shared", "reference", "aiconfigurator")

# DeepSeek-V3.2 (examples/configs/DeepSeek-V3.2.json): every dimension the DSA module key carries.
DSV32 = {
    "architecture": "DeepseekV32ForCausalLM", "mla_dtype": "bfloat16", "kv_cache_dtype": "bfloat16",
    "hidden_size": 7168, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64, "v_head_dim": 128, "index_n_heads": 64, "index_head_dim": 128, "index_topk": 2048,
}


def aiconf_bin():
    """$AICONF_BIN (e.g. a copy of build/ taken while nobody relinks it, with LD_LIBRARY_PATH set
    to its lib/), else build/bin/aiconf."""
    return os.environ.get("AICONF_BIN", os.path.join(REPO, "build", "bin", "aiconf"))


def query(op, key, perfdb, system, mode="hybrid"):
    """`aiconf query op k=v ... --json`; returns the latency object (ms, provenance, table, note, parts)."""
    args = [aiconf_bin(), "query", op] + ["%s=%s" % (k, v) for k, v in key.items()]
    args += ["--json", "--perfdb", perfdb, "--system", system, "--mode", mode]
    for attempt in range(3):  # others may be relinking build/ in the same tree: retry a failed start
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode == 0 or "error while loading shared libraries" not in r.stderr:
            break
        time.sleep(5)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr.strip() or r.stdout.strip()))
    return json.loads(r.stdout)["latency"]


def read_table(path):
    """A perf table (CSV, .txt or .txt.gz) as a list of dicts."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    header = lines[0].split(",")
    return [dict(zip(header, l.split(","))) for l in lines[1:]]


def card_of(system):
    """The GPU named by our collection_meta.json of a system."""
    meta = os.path.join(REPO, "perfdb", system, "aiconf", "0.1.0", "collection_meta.json")
    with open(meta) as f:
        m = json.load(f)
    g = m.get("gpu", {})
    return "%s (%d MiB, driver %s, max SM clock %s MHz)" % (
        g.get("name", "?"), int(g.get("memory_bytes", 0)) // (1 << 20), g.get("driver_version", "?"), g.get("sm_clock_max_mhz", "?"))


def git_commit():
    r = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
