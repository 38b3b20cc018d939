#pragma once
/// \file linear_layer.h
/// LinearLayer: one linear layer of an attention-block mock layer, y[m, n] = x[m, k] W[n, k]^T,
/// through the gemm kernels' GemmRunner (cuBLASLt) with random weights, in bf16 or with DeepSeek
/// FP8 128x128 block scales. For FP8 the bf16 input is quantized per 1x128 group first (that
/// kernel is part of the cost, as in a serving engine).
///
/// Shared by the MLA and DSA module mock layers (plugins/mla, plugins/sparse_mla) so that both
/// blocks time their projections the same way. Header-only: include it from a .cu/.cpp file of a
/// plugin that links aiconf_gemm_kernels (GemmRunner, quantize_fp8_per_token_group) and
/// aiconf_mock_common (DeviceBuffer, random fills).

#include <aiconf/gemm/fp8_quantize.h>
#include <aiconf/gemm/gemm_runner.h>
#include <aiconf_plugins/cuda_check.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/random_fill.h>

#include <cstdint>
#include <string>

namespace aiconf::plugins {

struct LinearLayer {
  std::int64_t m = 0, n = 0, k = 0;
  gemm::GemmDtype dtype = gemm::GemmDtype::kBf16;
  DeviceBuffer w, w_scale, xq, x_scale;

  /// Allocates and fills random weights (and, for FP8, weight scales and the buffers of the
  /// quantized input) for an [m, k] x [n, k]^T layer; `seed` and `seed + 1` are used.
  void init(std::int64_t m_, std::int64_t n_, std::int64_t k_, gemm::GemmDtype d, std::uint64_t seed, cudaStream_t s) {
    m = m_, n = n_, k = k_, dtype = d;
    if (dtype == gemm::GemmDtype::kBf16) {
      w.resize(n * k * 2);
      fill_uniform_bf16(w.get(), n * k, seed, -0.05f, 0.05f, s);
    } else {
      w.resize(n * k);
      fill_uniform_fp8(w.get(), n * k, seed, -2.f, 2.f, s);
      w_scale.resize(gemm::weight_scale_elems(n, k) * 4);
      fill_uniform_f32(w_scale.get<float>(), gemm::weight_scale_elems(n, k), seed + 1, 0.01f, 0.02f, s);
      xq.resize(gemm::gemm_rows_allocated(dtype, m) * k);
      x_scale.resize(gemm::act_scale_elems(m, k) * 4);
    }
  }
  /// Runs the layer on `s`: `x` bf16 [gemm_rows_allocated(m), k]; `y` bf16
  /// [gemm_rows_allocated(m), n]. Throws aiconf::Error naming the shape when the GEMM fails.
  void run(gemm::GemmRunner& runner, void* workspace, const void* x, void* y, cudaStream_t s) {
    gemm::GemmArgs a;
    a.dtype = dtype;
    a.m = m, a.n = n, a.k = k;
    a.b = w.get();
    a.d = y;
    if (dtype == gemm::GemmDtype::kBf16) {
      a.a = x;
    } else {
      AICONF_CUDA_CHECK(gemm::quantize_fp8_per_token_group(x, xq.get<std::uint8_t>(), x_scale.get<float>(), m, k, s));
      a.a = xq.get();
      a.a_scale = x_scale.get<float>();
      a.b_scale = w_scale.get<float>();
    }
    const gemm::GemmStatus st = runner.run(a, workspace, s);
    if (!st.ok()) throw Error("module GEMM " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k) + ": " + st.message);
  }
  /// Frees the device buffers (the shape stays).
  void release() noexcept { w.release(), w_scale.release(), xq.release(), x_scale.release(); }
};

}  // namespace aiconf::plugins
