#!/usr/bin/env python3
"""Writes src/fa_wgmma_ops.cuh: inline-PTX wrappers for the wgmma shapes of the flash-attention kernel.

S = Q K^T  : A and B from shared memory, both K-major (ss), N = keys per tile (64 or 128).
O += P V   : A (P) from registers (rs), B (V) from shared memory MN-major (tb), N = head_dim_v.
The template is plugins/common/cuda/tools/wgmma_wrappers.py (shared with the sparse MLA kernels).
Run from the kernels folder: python3 tools/gen_wgmma_ops.py > src/fa_wgmma_ops.cuh
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../common/cuda/tools"))
from wgmma_wrappers import print_header, rs_tb, ss  # noqa: E402

print_header("aiconf::flash_attention::detail",
             [ss(n, f"wgmma_m64n{n}k16_ss") for n in (64, 128)] + [rs_tb(n, f"wgmma_m64n{n}k16_rs_tb") for n in (64, 128)])
