// CPU reference of the DSA indexer logits. Straightforward loops; rows are split over threads
// only so that the GPU tests finish in seconds.
#include "aiconf/dsa/indexer_logits_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace aiconf::dsa {

float fp8_e4m3_to_float(uint8_t v) {
  const int sign = (v >> 7) & 1;
  const int exp = (v >> 3) & 0xF;
  const int man = v & 0x7;
  float mag;
  if (exp == 0xF && man == 0x7) return std::numeric_limits<float>::quiet_NaN();
  if (exp == 0) {
    mag = std::ldexp(static_cast<float>(man), -9);  // subnormal: man/8 * 2^-6
  } else {
    mag = std::ldexp(static_cast<float>(8 + man), exp - 10);  // (1 + man/8) * 2^(exp-7)
  }
  return sign ? -mag : mag;
}

namespace {

std::vector<float> decode(const uint8_t* p, size_t n) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = fp8_e4m3_to_float(p[i]);
  return out;
}

template <class F>
void parallel_rows(int rows, F&& f) {
  const int nt = std::max(1u, std::min(32u, std::thread::hardware_concurrency()));
  std::vector<std::thread> th;
  for (int i = 0; i < nt; ++i)
    th.emplace_back([&, i] {
      for (int r = i; r < rows; r += nt) f(r);
    });
  for (auto& t : th) t.join();
}

// One logit: k_scale * sum_h w[h] * relu(q[h] . k).
double logit(const float* qrow, const float* wrow, const float* krow, float kscale, int heads, int dim) {
  double acc = 0.0;
  for (int h = 0; h < heads; ++h) {
    const float* qh = qrow + static_cast<size_t>(h) * dim;
    float dot = 0.f;
    for (int d = 0; d < dim; ++d) dot += qh[d] * krow[d];
    if (dot > 0.f) acc += static_cast<double>(wrow[h]) * dot;
  }
  return acc * kscale;
}

}  // namespace

void indexer_logits_reference_context(const uint8_t* q, const float* w, const uint8_t* k, const float* k_scale,
                                      const int32_t* ks, const int32_t* ke, int n_tokens, int n_heads, int head_dim,
                                      int n_cols, std::vector<double>& out) {
  int s_max = 0;
  for (int t = 0; t < n_tokens; ++t) s_max = std::max(s_max, ke[t]);
  const std::vector<float> qf = decode(q, static_cast<size_t>(n_tokens) * n_heads * head_dim);
  const std::vector<float> kf = decode(k, static_cast<size_t>(s_max) * head_dim);
  out.assign(static_cast<size_t>(n_tokens) * n_cols, -std::numeric_limits<double>::infinity());
  parallel_rows(n_tokens, [&](int t) {
    const int lo = std::max(0, ks[t]);
    const int hi = std::min(n_cols, ke[t]);
    for (int s = lo; s < hi; ++s)
      out[static_cast<size_t>(t) * n_cols + s] =
          logit(&qf[static_cast<size_t>(t) * n_heads * head_dim], w + static_cast<size_t>(t) * n_heads,
                &kf[static_cast<size_t>(s) * head_dim], k_scale[s], n_heads, head_dim);
  });
}

void indexer_logits_reference_generation(const uint8_t* q, const float* w, const uint8_t* k, const float* k_scale,
                                         const int32_t* context_lens, int batch, int n_next, int seq_stride,
                                         int n_heads, int head_dim, int n_cols, std::vector<double>& out) {
  const int rows = batch * n_next;
  const std::vector<float> qf = decode(q, static_cast<size_t>(rows) * n_heads * head_dim);
  const std::vector<float> kf = decode(k, static_cast<size_t>(batch) * seq_stride * head_dim);
  out.assign(static_cast<size_t>(rows) * n_cols, -std::numeric_limits<double>::infinity());
  parallel_rows(rows, [&](int r) {
    const int b = r / n_next;
    const int i = r % n_next;
    const int hi = std::min({n_cols, context_lens[b], context_lens[b] - n_next + i + 1});
    for (int s = 0; s < hi; ++s) {
      const size_t key = static_cast<size_t>(b) * seq_stride + s;
      out[static_cast<size_t>(r) * n_cols + s] =
          logit(&qf[static_cast<size_t>(r) * n_heads * head_dim], w + static_cast<size_t>(r) * n_heads,
                &kf[key * head_dim], k_scale[key], n_heads, head_dim);
    }
  });
}

}  // namespace aiconf::dsa
