// Host code (compiled by nvcc for cuda_bf16.h / cuda_fp8.h's host conversions, the very rounding
// functions the kernels use).
#include "moe_reference.h"
#include "moe_kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace aiconf::moe::reference {

float bf16_to_float(std::uint16_t bits) {
  const std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float bf16_round(float v) { return __bfloat162float(__float2bfloat16(v)); }

float e4m3_to_float(std::uint8_t b) {
  const int sign = b >> 7, exp = (b >> 3) & 0xF, man = b & 0x7;
  const float v = exp == 0 ? std::ldexp(man / 8.0f, -6) : std::ldexp(1.0f + man / 8.0f, exp - 7);
  return sign ? -v : v;
}

namespace {
float fp8_roundtrip(float v, float scale) {
  return e4m3_to_float(__nv_cvt_float_to_fp8(v / scale, __NV_SATFINITE, __NV_E4M3)) * scale;
}
}  // namespace

std::vector<float> quantize_row(const std::vector<float>& v, MoeDtype dtype, float scale) {
  std::vector<float> q(v.size());
  if (dtype == MoeDtype::kBf16) {
    for (std::size_t i = 0; i < v.size(); ++i) q[i] = bf16_round(v[i]);
  } else if (dtype == MoeDtype::kFp8) {
    for (std::size_t i = 0; i < v.size(); ++i) q[i] = fp8_roundtrip(v[i], scale);
  } else {
    for (std::size_t g = 0; g < v.size(); g += 128) {
      const std::size_t end = std::min(v.size(), g + 128);
      float amax = 0;
      for (std::size_t i = g; i < end; ++i) amax = std::max(amax, std::fabs(v[i]));
      const float s = std::max(amax, kAmaxFloor) / kE4m3Max;
      for (std::size_t i = g; i < end; ++i) q[i] = fp8_roundtrip(v[i], s);
    }
  }
  return q;
}

std::vector<float> dequantize_weight(const std::vector<std::uint8_t>& raw, std::int64_t n, std::int64_t k, MoeDtype dtype,
                                     const std::vector<float>& scales) {
  std::vector<float> w(n * k);
  const std::int64_t sld = ((k + 127) / 128 + 3) / 4 * 4;  // weight_scale_ld(k) of aiconf/gemm/gemm_types.h
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t c = 0; c < k; ++c) {
      const std::int64_t i = r * k + c;
      if (dtype == MoeDtype::kBf16) {
        std::uint16_t b;
        std::memcpy(&b, &raw[2 * i], 2);
        w[i] = bf16_to_float(b);
      } else {
        const float s = dtype == MoeDtype::kFp8 ? scales[0] : scales[(r / 128) * sld + c / 128];
        w[i] = e4m3_to_float(raw[i]) * s;
      }
    }
  return w;
}

std::vector<double> expert_forward(const std::vector<float>& x, const std::vector<float>& w13, const std::vector<float>& w2,
                                   std::int64_t hidden, std::int64_t inter, MoeDtype dtype, float act_scale) {
  std::vector<float> gu(2 * inter);
  for (std::int64_t n = 0; n < 2 * inter; ++n) {
    double acc = 0;
    for (std::int64_t c = 0; c < hidden; ++c) acc += double(x[c]) * w13[n * hidden + c];
    gu[n] = bf16_round(static_cast<float>(acc));
  }
  std::vector<float> act(inter);
  for (std::int64_t c = 0; c < inter; ++c) {
    const float g = gu[c], u = gu[inter + c];
    act[c] = g / (1.f + std::exp(-g)) * u;
  }
  act = quantize_row(act, dtype, act_scale);
  std::vector<double> y(hidden);
  for (std::int64_t n = 0; n < hidden; ++n) {
    double acc = 0;
    for (std::int64_t c = 0; c < inter; ++c) acc += double(act[c]) * w2[n * inter + c];
    y[n] = bf16_round(static_cast<float>(acc));
  }
  return y;
}

Route route(const std::vector<float>& logits, int topk, bool sigmoid, const std::int32_t* forced) {
  const int e = static_cast<int>(logits.size());
  std::vector<double> sc(e);
  if (sigmoid) {
    for (int i = 0; i < e; ++i) sc[i] = 1 / (1 + std::exp(-double(logits[i])));
  } else {
    const double mx = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (int i = 0; i < e; ++i) sum += sc[i] = std::exp(logits[i] - mx);
    for (auto& s : sc) s /= sum;
  }
  Route r;
  std::vector<int> order(e);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return sc[a] > sc[b]; });
  double sum = 0, fsum = 0;
  for (int j = 0; j < topk; ++j) r.ids.push_back(order[j]), r.weights.push_back(sc[order[j]]), sum += sc[order[j]];
  for (int j = 0; j < topk; ++j) r.forced_weights.push_back(sc[forced[j]]), fsum += sc[forced[j]];
  for (auto& w : r.weights) w /= sum;
  for (auto& w : r.forced_weights) w /= fsum;
  return r;
}

}  // namespace aiconf::moe::reference
