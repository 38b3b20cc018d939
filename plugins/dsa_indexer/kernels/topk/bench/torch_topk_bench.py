#!/usr/bin/env python3
"""torch.topk baseline for the top-k benchmark: median of CUDA-event timings over rotated inputs
(>= 256 MB per shape so L2 never holds them). Prints "rows cols k median_us" per line
(the format topk_bench reads) and a human-readable line on stderr."""
import sys

import torch

K = 2048
SHAPES = [(64, 9295), (4096, 32768), (128, 131072), (1, 131072), (256, 4096)]


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device", file=sys.stderr)
        return 77
    torch.manual_seed(0)
    for rows, cols in SHAPES:
        nbuf = max(1, (256 << 20) // (rows * cols * 4) + 1)
        xs = [torch.randn(rows, cols, device="cuda") for _ in range(nbuf)]
        reps = 40 if rows * cols >= (64 << 20) else 200
        for i in range(5):
            torch.topk(xs[i % nbuf], K, dim=-1)
        torch.cuda.synchronize()
        times = []
        for i in range(reps):
            a = torch.cuda.Event(enable_timing=True)
            b = torch.cuda.Event(enable_timing=True)
            a.record()
            torch.topk(xs[i % nbuf], K, dim=-1)
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        times.sort()
        us = times[len(times) // 2] * 1e3
        print(f"{rows} {cols} {K} {us:.2f}")
        print(f"torch.topk {rows}x{cols} k={K}: {us:.1f} us ({torch.cuda.get_device_name()})",
              file=sys.stderr)
        del xs
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
