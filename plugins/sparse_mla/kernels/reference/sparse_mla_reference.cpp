// CPU reference for sparse MLA: a direct softmax over the selected keys in fp64.
#include "sparse_mla_reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

namespace aiconf::sparse_mla::reference {

float bf16_to_float(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f)) return 0x7FC0;
  u += 0x7FFF + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}

float fp8_e4m3_to_float(uint8_t v) {
  const int sign = v >> 7, exp = (v >> 3) & 0xF, man = v & 7;
  if (exp == 0xF && man == 7) return std::numeric_limits<float>::quiet_NaN();
  const float mag = exp == 0 ? std::ldexp(static_cast<float>(man) / 8.f, -6)
                             : std::ldexp(1.f + static_cast<float>(man) / 8.f, exp - 7);
  return sign ? -mag : mag;
}

uint8_t float_to_fp8_e4m3(float f) {
  // Positive codes 0x00..0x7E increase monotonically in value: binary search for the neighbours,
  // then take the nearer one (ties to the even code).
  const uint8_t sign = std::signbit(f) ? 0x80 : 0;
  const float a = std::min(std::fabs(f), 448.f);
  int lo = 0, hi = 0x7E;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    (fp8_e4m3_to_float(static_cast<uint8_t>(mid)) <= a ? lo : hi) = mid;
  }
  const float elo = a - fp8_e4m3_to_float(static_cast<uint8_t>(lo));
  const float ehi = fp8_e4m3_to_float(static_cast<uint8_t>(hi)) - a;
  int best = elo < ehi ? lo : ehi < elo ? hi : ((lo & 1) == 0 ? lo : hi);
  if (a <= 0.f) best = 0;
  return static_cast<uint8_t>(sign | best);
}

void quantize_fp8_row(const uint16_t* row576, uint8_t* out656) {
  float scales[4];
  for (int g = 0; g < 4; ++g) {
    float amax = 0.f;
    for (int i = 0; i < 128; ++i) amax = std::max(amax, std::fabs(bf16_to_float(row576[g * 128 + i])));
    scales[g] = amax > 0.f ? amax / 448.f : 1.f;
    for (int i = 0; i < 128; ++i)
      out656[g * 128 + i] = float_to_fp8_e4m3(bf16_to_float(row576[g * 128 + i]) / scales[g]);
  }
  std::memcpy(out656 + 512, scales, 16);
  std::memcpy(out656 + 528, row576 + 512, 128);
}

void dequantize_fp8_row(const uint8_t* in656, float* row576) {
  float scales[4];
  std::memcpy(scales, in656 + 512, 16);
  for (int i = 0; i < 512; ++i) row576[i] = bf16_to_float(float_to_bf16(fp8_e4m3_to_float(in656[i]) * scales[i / 128]));
  uint16_t rope[64];
  std::memcpy(rope, in656 + 528, 128);
  for (int i = 0; i < 64; ++i) row576[512 + i] = bf16_to_float(rope[i]);
}

namespace {

int64_t row_of(const ReferenceProblem& p, int seq, int idx) {
  if (idx < 0 || idx >= p.kv_seq_len) return -1;
  if (p.block_table != nullptr)
    return static_cast<int64_t>(p.block_table[static_cast<int64_t>(seq) * p.block_table_stride + idx / p.page_size]) *
               p.page_size +
           idx % p.page_size;
  return static_cast<int64_t>(seq) * p.kv_seq_stride + idx;
}

void one_token(const ReferenceProblem& p, int t, float* out, float* lse) {
  const int seq = t / p.tokens_per_seq;
  const int len = p.topk_lengths ? std::clamp(p.topk_lengths[t], 0, p.topk) : p.topk;
  std::vector<int64_t> rows;
  for (int j = 0; j < len; ++j) {
    const int64_t r = row_of(p, seq, p.indices[static_cast<int64_t>(t) * p.topk + j]);
    if (r >= 0) rows.push_back(r);
  }
  std::vector<double> s(rows.size()), acc(512);
  for (int h = 0; h < p.num_heads; ++h) {
    const float* q = p.q + (static_cast<int64_t>(t) * p.num_heads + h) * 576;
    double m = -std::numeric_limits<double>::infinity();
    for (size_t j = 0; j < rows.size(); ++j) {
      const float* k = p.kv + rows[j] * 576;
      double d = 0.0;
      for (int i = 0; i < 576; ++i) d += static_cast<double>(q[i]) * k[i];
      s[j] = d * p.sm_scale;
      m = std::max(m, s[j]);
    }
    std::fill(acc.begin(), acc.end(), 0.0);
    double l = 0.0;
    for (size_t j = 0; j < rows.size(); ++j) {
      const double e = std::exp(s[j] - m);
      l += e;
      const float* v = p.kv + rows[j] * 576;
      for (int i = 0; i < 512; ++i) acc[i] += e * v[i];
    }
    float* o = out + (static_cast<int64_t>(t) * p.num_heads + h) * 512;
    for (int i = 0; i < 512; ++i) o[i] = l > 0.0 ? static_cast<float>(acc[i] / l) : 0.f;
    lse[static_cast<int64_t>(t) * p.num_heads + h] =
        l > 0.0 ? static_cast<float>(m + std::log(l)) : -std::numeric_limits<float>::infinity();
  }
}

}  // namespace

void sparse_mla_reference(const ReferenceProblem& p, float* out, float* lse, const std::vector<int>& tokens,
                          int threads) {
  std::vector<int> list = tokens;
  if (list.empty())
    for (int t = 0; t < p.num_tokens; ++t) list.push_back(t);
  threads = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int w = 0; w < threads; ++w)
    pool.emplace_back([&, w] {
      for (size_t i = w; i < list.size(); i += threads) one_token(p, list[i], out, lse);
    });
  for (auto& th : pool) th.join();
}

}  // namespace aiconf::sparse_mla::reference
