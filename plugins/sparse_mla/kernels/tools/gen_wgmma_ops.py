#!/usr/bin/env python3
"""Writes src/wgmma_ops.cuh: inline-PTX wrappers for the wgmma shapes the sparse MLA kernels use
(the 64-head-tile kernel: m64n32 and m64n256 with B transposed; the narrow-heads kernel: m64n16 and
m64n32, with A transposed for P V). The template is plugins/common/cuda/tools/wgmma_wrappers.py.
Run from the kernels folder: python3 tools/gen_wgmma_ops.py > src/wgmma_ops.cuh
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../common/cuda/tools"))
from wgmma_wrappers import print_header, ss  # noqa: E402


def name(n, tnsp_a=False, tnsp_b=False):
    return f"wgmma_m64n{n}k16_bf16_ss{'_ta' if tnsp_a else ''}{'_tb' if tnsp_b else ''}"


print_header("aiconf::sparse_mla::detail", [
    ss(32, name(32)),
    ss(256, name(256, tnsp_b=True), tnsp_b=True),
    ss(16, name(16)),
    ss(16, name(16, tnsp_a=True), tnsp_a=True),
    ss(32, name(32, tnsp_a=True), tnsp_a=True),
])
