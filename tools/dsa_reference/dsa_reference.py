#!/usr/bin/env python3
"""PyTorch reference of one DeepSeek Sparse Attention (DSA) layer, written from the public
description of DeepSeek-V3.2-Exp's inference/model.py (no code taken from it):

  q_a_proj -> RMSNorm -> q_b_proj (q_nope 128 | q_pe 64 per head), kv_a_proj (latent 512 | k_pe 64),
  RMSNorm on the latent, interleaved RoPE on q_pe / k_pe;
  indexer: wq_b on the query latent (index_n_heads x index_head_dim), wk + LayerNorm on the
  hidden state, non-interleaved RoPE on the first qk_rope_head_dim dims of each indexer head,
  Hadamard rotation, FP8 e4m3 quantization of q and k with one scale per token (per head for q),
  weights_proj * n_heads^-0.5 * q_scale * head_dim^-0.5, logits I[t,s] = sum_h w[t,h] ReLU(q[t,h].k[s]) k_scale[s],
  causal mask, top-index_topk;
  sparse MLA in MQA mode (q_nope absorbed into the latent, 576-dim keys = latent + k_pe, values =
  latent, softmax over the selected keys), de-absorption to v_head_dim, o_proj.

Modes:
  compare <dump_dir>   regenerate the dsa_indexer mock layers' inputs (same hash fill, same seeds)
                       and compare the kernels' dumped outputs (dsa_dump_mock_outputs) numerically;
  layer                run the whole layer on random weights for a spread of shapes: latency (CUDA
                       events, median), per-stage latency, and a torch.profiler kernel table per
                       shape as CSV (the layout `aiconf-profile --diff` reads: name, count,
                       self_device_time_total_us, with '# iterations=N').
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

# ---------------------------------------------------------------------------------------------
# The mock layers' hash-based fill (plugins/common/cuda/src/random_fill.cu), on the host.
MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(MASK)
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(MASK)
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(MASK)
    return x ^ (x >> np.uint64(31))


def hash_uniform(seed, n, lo, hi):
    with np.errstate(over="ignore"):
        i = np.arange(n, dtype=np.uint64)
        x = splitmix64(np.uint64(seed) * np.uint64(0x100000001B3) + i)
    u = (x >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)
    return np.float32(lo) + np.float32(hi - lo) * u


def fp8_values(vals):
    """What the device's saturating float -> e4m3 conversion stores, back as fp32."""
    t = torch.from_numpy(vals).clamp(-448.0, 448.0)
    return t.to(torch.float8_e4m3fn).to(torch.float32)


def rel_l2(got, ref):
    got, ref = got.double(), ref.double()
    if not torch.isfinite(got).all():
        return float("inf")
    return float(torch.linalg.norm(got - ref) / max(torch.linalg.norm(ref), 1e-300))


def compare(dump_dir, device):
    meta = json.load(open(os.path.join(dump_dir, "meta.json")))
    s, h, d, k = meta["isl"], meta["index_n_heads"], meta["index_head_dim"], meta["index_topk"]
    q = fp8_values(hash_uniform(11, s * h * d, -4, 4)).view(s, h, d).to(device)
    kk = fp8_values(hash_uniform(12, s * d, -4, 4)).view(s, d).to(device)
    w = torch.from_numpy(hash_uniform(13, s * h, -1, 1)).view(s, h).to(device)
    ksc = torch.from_numpy(hash_uniform(14, s, 0.5, 1.5)).to(device)
    ref = torch.empty(s, s, dtype=torch.float64, device=device)
    for r0 in range(0, s, 256):  # fp64 reference, chunked
        qs = q[r0:r0 + 256].double()
        sc = torch.einsum("thd,sd->ths", qs, kk.double()).relu()
        ref[r0:r0 + 256] = torch.einsum("ths,th->ts", sc, w[r0:r0 + 256].double()) * ksc.double()[None, :]
    got = torch.from_numpy(np.fromfile(os.path.join(dump_dir, "logits.f32"), dtype=np.float32)).view(s, s).to(device)
    causal = torch.ones(s, s, dtype=torch.bool, device=device).tril()
    logits_err = rel_l2(got[causal], ref[causal])
    masked_ok = bool(torch.isneginf(got[~causal]).all()) if s > 1 else True
    idx = torch.from_numpy(np.fromfile(os.path.join(dump_dir, "topk.i32"), dtype=np.int32)).view(s, k).to(device)
    bad_rows = 0
    for r in range(s):
        n = r + 1
        want = min(k, n)
        sel = idx[r][idx[r] >= 0]
        ok = sel.numel() == want and int(sel.max()) < n and sel.unique().numel() == want
        if ok and n > k:
            # The selected set must carry the k largest values (ties may pick either index).
            top = torch.topk(ref[r, :n], k).values
            ok = abs(float(ref[r, sel.long()].sum() - top.sum())) <= 1e-6 * float(top.abs().sum())
        bad_rows += 0 if ok else 1
    res = {"isl": s, "logits_rel_l2": logits_err, "logits_tolerance": 1e-3, "masked_entries_neg_inf": masked_ok,
           "topk_rows": s, "topk_rows_wrong": bad_rows}
    res["passed"] = logits_err <= 1e-3 and masked_ok and bad_rows == 0
    return res


# ---------------------------------------------------------------------------------------------
# The DSA layer.
def hadamard(n, device):
    m = torch.ones(1, 1)
    while m.shape[0] < n:
        m = torch.cat([torch.cat([m, m], 1), torch.cat([m, -m], 1)], 0)
    return (m / math.sqrt(n)).to(device)


def rope_freqs(dim, positions, base=10000.0):
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, device=positions.device, dtype=torch.float32) / dim))
    ang = positions.float()[:, None] * inv[None, :]
    return torch.cos(ang), torch.sin(ang)


def rope_interleaved(x, cos, sin):  # pairs (0,1), (2,3), ...
    x1, x2 = x[..., 0::2].float(), x[..., 1::2].float()
    c, s_ = cos.view(cos.shape[0], *([1] * (x.dim() - 2)), -1), sin.view(sin.shape[0], *([1] * (x.dim() - 2)), -1)
    out = torch.stack([x1 * c - x2 * s_, x1 * s_ + x2 * c], dim=-1).flatten(-2)
    return out.to(x.dtype)


def rope_half(x, cos, sin):  # pairs (i, i + d/2)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half].float(), x[..., half:].float()
    c, s_ = cos.view(cos.shape[0], *([1] * (x.dim() - 2)), -1), sin.view(sin.shape[0], *([1] * (x.dim() - 2)), -1)
    return torch.cat([x1 * c - x2 * s_, x1 * s_ + x2 * c], dim=-1).to(x.dtype)


def quant_fp8_rows(x):
    """FP8 e4m3 with one fp32 scale per last-dim row (block = index_head_dim)."""
    amax = x.float().abs().amax(dim=-1, keepdim=True).clamp(min=1e-4)
    scale = amax / 448.0
    return (x.float() / scale).to(torch.float8_e4m3fn), scale.squeeze(-1)


class DsaLayer:
    def __init__(self, cfg, heads, device, seed=0):
        g = torch.Generator(device="cpu").manual_seed(seed)
        self.c = cfg
        self.h = heads
        self.dev = device
        hid, ql, kvl = cfg["hidden_size"], cfg["q_lora_rank"], cfg["kv_lora_rank"]
        nope, rope, v = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
        ih, idim = cfg["index_n_heads"], cfg["index_head_dim"]

        def w(i, o):
            return (torch.randn(i, o, generator=g) / math.sqrt(i)).to(torch.bfloat16).to(device)

        self.wq_a, self.wq_b = w(hid, ql), w(ql, heads * (nope + rope))
        self.wkv_a = w(hid, kvl + rope)
        self.w_uk = (torch.randn(heads, nope, kvl, generator=g) / math.sqrt(nope)).to(torch.bfloat16).to(device)
        self.w_uv = (torch.randn(heads, kvl, v, generator=g) / math.sqrt(kvl)).to(torch.bfloat16).to(device)
        self.wo = w(heads * v, hid)
        self.iwq, self.iwk, self.iww = w(ql, ih * idim), w(hid, idim), w(hid, ih)
        self.had = hadamard(idim, device).to(torch.bfloat16)
        self.scale = 1.0 / math.sqrt(nope + rope)

    @staticmethod
    def rms(x, eps=1e-6):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype)

    def indexer_q(self, q_lat, pos):
        c = self.c
        ih, idim, rope = c["index_n_heads"], c["index_head_dim"], c["qk_rope_head_dim"]
        iq = (q_lat @ self.iwq).view(-1, ih, idim)
        cos, sin = rope_freqs(rope, pos)
        iq = torch.cat([rope_half(iq[..., :rope], cos, sin), iq[..., rope:]], -1)
        return quant_fp8_rows(iq @ self.had)

    def indexer_k(self, x, pos):
        c = self.c
        idim, rope = c["index_head_dim"], c["qk_rope_head_dim"]
        ik = torch.nn.functional.layer_norm((x @ self.iwk).float(), (idim,), eps=1e-6).to(torch.bfloat16)
        cos, sin = rope_freqs(rope, pos)
        ik = torch.cat([rope_half(ik[..., :rope], cos, sin), ik[..., rope:]], -1)
        return quant_fp8_rows(ik @ self.had)

    def index_logits(self, x, iq, iq_s, ik, ik_s):
        ih, idim = self.c["index_n_heads"], self.c["index_head_dim"]
        w = (x @ self.iww).float() * (ih ** -0.5) * iq_s * (idim ** -0.5)
        sc = torch.einsum("thd,sd->ths", iq.float(), ik.float()).relu()
        return torch.einsum("ths,th->ts", sc, w) * ik_s[None, :]

    def project(self, x, pos):
        c = self.c
        nope, rope, kvl = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["kv_lora_rank"]
        q_lat = self.rms(x @ self.wq_a)
        q = (q_lat @ self.wq_b).view(-1, self.h, nope + rope)
        kv = x @ self.wkv_a
        c_kv, k_pe = self.rms(kv[:, :kvl]), kv[:, kvl:]
        cos, sin = rope_freqs(rope, pos)
        q_pe, k_pe = rope_interleaved(q[..., nope:], cos, sin), rope_interleaved(k_pe, cos, sin)
        q_abs = torch.einsum("thn,hnc->thc", q[..., :nope], self.w_uk)  # absorbed q (MQA mode)
        return q_lat, torch.cat([q_abs, q_pe], -1), torch.cat([c_kv, k_pe], -1)

    def sparse_mla(self, q576, cache, idx):
        kvl = self.c["kv_lora_rank"]
        sel = cache[idx.clamp(min=0).long()]  # [T, k, 576]
        s = torch.einsum("thd,tkd->thk", q576.float(), sel.float()) * self.scale
        s = s.masked_fill((idx < 0)[:, None, :], float("-inf"))
        o_lat = torch.einsum("thk,tkc->thc", s.softmax(-1), sel[..., :kvl].float()).to(torch.bfloat16)
        return torch.einsum("thc,hcv->thv", o_lat, self.w_uv).reshape(q576.shape[0], -1)

    def context(self, x, chunk=1024, stages=None):
        """One sequence of T new tokens (no prefix). `stages`: dict name -> [(start, end) CUDA events] to fill."""
        T = x.shape[0]
        pos = torch.arange(T, device=self.dev)
        topk = self.c["index_topk"]
        def ev(name, start):
            if stages is None:
                return
            if start:
                stages.setdefault(name, []).append((torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)))
            stages[name][-1][0 if start else 1].record()

        ev("projections", True)
        q_lat, q576, cache = self.project(x, pos)
        ev("projections", False)
        ev("indexer.logits", True)
        ik_all, ik_s_all = self.indexer_k(x, pos)  # the index cache of the sequence
        ev("indexer.logits", False)
        outs = []
        for r0 in range(0, T, chunk):
            r1 = min(T, r0 + chunk)
            ev("indexer.logits", True)
            iq, iq_s = self.indexer_q(q_lat[r0:r1], pos[r0:r1])
            lg = self.index_logits(x[r0:r1], iq, iq_s, ik_all[:r1], ik_s_all[:r1])
            lg = lg.masked_fill(pos[:r1][None, :] > pos[r0:r1][:, None], float("-inf"))
            ev("indexer.logits", False)
            ev("indexer.topk", True)
            kk = min(topk, r1)
            val, idx = lg.topk(kk, dim=-1)
            idx = idx.masked_fill(torch.isneginf(val), -1)
            ev("indexer.topk", False)
            ev("sparse_mla", True)
            outs.append(self.sparse_mla(q576[r0:r1], cache, idx))
            ev("sparse_mla", False)
        ev("o_proj", True)
        out = torch.cat(outs) @ self.wo
        ev("o_proj", False)
        return out

    def generation(self, x, kv_cache, ik_cache, ik_scale, past):
        """B sequences, one new token each, against `past` cached tokens (caches [B, past+1, ...])."""
        B = x.shape[0]
        pos = torch.full((B,), past, device=self.dev)
        q_lat, q576, new = self.project(x, pos)
        kv_cache[:, past] = new
        iq, iq_s = self.indexer_q(q_lat, pos)
        nk, nk_s = self.indexer_k(x, pos)
        ik_cache[:, past], ik_scale[:, past] = nk, nk_s
        outs = []
        for b in range(B):
            lg = self.index_logits(x[b:b + 1], iq[b:b + 1], iq_s[b:b + 1], ik_cache[b], ik_scale[b])
            kk = min(self.c["index_topk"], past + 1)
            idx = lg.topk(kk, dim=-1).indices
            outs.append(self.sparse_mla(q576[b:b + 1], kv_cache[b], idx))
        return torch.cat(outs) @ self.wo


def median_ms(fn, reps):
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    return float(np.median(times))


def kernel_csv(fn, iters, path):
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(iters):
            fn()
        torch.cuda.synchronize()
    rows = {}
    for e in prof.events():
        if e.device_type != torch.autograd.DeviceType.CUDA:
            continue
        t = getattr(e, "self_device_time_total", None)
        if t is None:
            t = e.self_cuda_time_total
        n, tt = rows.get(e.name, (0, 0.0))
        rows[e.name] = (n + 1, tt + t)
    with open(path, "w") as f:
        f.write("# source=dsa_reference.py torch.profiler\n# iterations=%d\n" % iters)
        f.write("name,count,self_device_time_total_us\n")
        for name, (n, t) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
            f.write('"%s",%d,%.3f\n' % (name.replace('"', '""'), n, t))


def run_layer(args, device):
    cfg = json.load(open(args.config))
    out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "config": os.path.basename(args.config),
           "heads": args.heads, "context": [], "generation": []}
    layer = DsaLayer(cfg, args.heads, device)
    hid = cfg["hidden_size"]
    os.makedirs(args.out, exist_ok=True)
    for isl in args.context:
        x = (torch.randn(isl, hid, device=device) * 0.5).to(torch.bfloat16)
        with torch.no_grad():
            layer.context(x)
            ms = median_ms(lambda: layer.context(x), args.reps)
            ev = {}
            layer.context(x, stages=ev)
            torch.cuda.synchronize()
            stage_ms = {n: sum(a.elapsed_time(b) for a, b in pairs) for n, pairs in ev.items()}
            csv = os.path.join(args.out, "torch_context_isl%d.csv" % isl)
            kernel_csv(lambda: layer.context(x), 3, csv)
        out["context"].append({"batch_size": 1, "isl": isl, "module_ms": ms, "stage_ms": stage_ms, "kernel_csv": os.path.basename(csv)})
        print("context isl=%d: %.3f ms %s" % (isl, ms, {k: round(v, 3) for k, v in stage_ms.items()}), flush=True)
    for b, past in args.generation:
        L = past + 1
        kvl, rope, idim = cfg["kv_lora_rank"], cfg["qk_rope_head_dim"], cfg["index_head_dim"]
        kv = (torch.randn(b, L, kvl + rope, device=device) * 0.5).to(torch.bfloat16)
        ikc = (torch.randn(b, L, idim, device=device)).to(torch.float8_e4m3fn)
        iks = torch.rand(b, L, device=device) * 0.01
        x = (torch.randn(b, hid, device=device) * 0.5).to(torch.bfloat16)
        with torch.no_grad():
            fn = lambda: layer.generation(x, kv, ikc, iks, past)
            fn()
            ms = median_ms(fn, args.reps)
            csv = os.path.join(args.out, "torch_generation_b%d_past%d.csv" % (b, past))
            kernel_csv(fn, 3, csv)
        out["generation"].append({"batch_size": b, "isl": 1, "step": past, "module_ms": ms, "kernel_csv": os.path.basename(csv)})
        print("generation b=%d past=%d: %.3f ms" % (b, past, ms), flush=True)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("compare", help="compare the mock layers' kernel outputs with the reference")
    c.add_argument("dump_dir")
    c.add_argument("--json", help="write the result here")
    l = sub.add_parser("layer", help="time the DSA layer and export torch.profiler kernel tables")
    l.add_argument("--config", required=True)
    l.add_argument("--heads", type=int, default=128, help="attention heads on this GPU (128 / tp)")
    l.add_argument("--context", type=int, nargs="*", default=[1024, 4096])
    l.add_argument("--generation", type=lambda s: tuple(int(v) for v in s.split("x")), nargs="*", default=[(64, 8192)],
                   help="BATCHxPAST")
    l.add_argument("--reps", type=int, default=10)
    l.add_argument("--out", required=True)
    args = p.parse_args()
    if not torch.cuda.is_available():
        print("dsa_reference: no CUDA device", file=sys.stderr)
        return 77
    dev = torch.device("cuda")
    if args.mode == "compare":
        res = compare(args.dump_dir, dev)
    else:
        res = run_layer(args, dev)
        with open(os.path.join(args.out, "dsa_reference_layer.json"), "w") as f:
            json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1) if args.mode == "compare" else "wrote " + args.out)
    if args.mode == "compare" and args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0 if res.get("passed", True) else 1


if __name__ == "__main__":
    sys.exit(main())
