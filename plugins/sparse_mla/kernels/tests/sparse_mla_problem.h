// Host-side random sparse MLA problems (inputs + reference view) for the GPU test.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "aiconf/sparse_mla/sparse_mla.h"
#include "../reference/sparse_mla_reference.h"

namespace aiconf::sparse_mla::testing {

struct Case {
  const char* name;
  KvCacheFormat fmt;
  bool context;        ///< context: batch = T query tokens over one causal cache of T tokens
  int batch, s_q, heads, topk, kv_len;
  bool paged;          ///< block table with page size 64 and shuffled physical blocks
  float invalid_frac;  ///< probability of a -1 in a slot that would be valid
  bool use_lengths;    ///< pass topk_lengths (slots past the length hold valid-looking indices)
  int num_splits;      ///< 0 = auto
  int sample_stride;   ///< reference on every n-th token (+ the last ones); 1 = all
  bool dense = false;  ///< dense mode (generation): slot j = key j, topk = kv_len, causal lengths
  float kv_magnitude = 1.f;  ///< scales every cache value (small rows: tiny FP8 scales)
  SparseMlaKernel kernel = SparseMlaKernel::kAuto;  ///< forward kernel (forced for cross-checks)
  float q_magnitude = 1.f;  ///< scales every query value (keeps the logits moderate for large rows)
};

struct HostProblem {
  Case c;
  int num_tokens = 0, tokens_per_seq = 1, num_seqs = 1;
  int64_t cache_rows = 0;
  std::vector<uint16_t> q;            // bf16 bits [tokens, heads, 576]
  std::vector<uint8_t> cache;         // rows of kv_cache_row_bytes(fmt)
  std::vector<float> q_f, kv_f;       // what the kernels see, as floats
  std::vector<int32_t> indices, lengths, block_table;
  int blocks_per_seq = 0;
};

inline HostProblem make_problem(const Case& c, uint64_t seed) {
  using namespace reference;
  HostProblem hp;
  hp.c = c;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  hp.num_tokens = c.context ? c.batch : c.batch * c.s_q;
  hp.tokens_per_seq = c.context ? c.batch : c.s_q;
  hp.num_seqs = c.context ? 1 : c.batch;
  const int kv_len = c.context ? c.batch : c.kv_len;
  hp.blocks_per_seq = (kv_len + 63) / 64;
  hp.cache_rows = c.paged ? int64_t(hp.num_seqs) * hp.blocks_per_seq * 64 : int64_t(hp.num_seqs) * kv_len;
  if (c.paged) {
    hp.block_table.resize(size_t(hp.num_seqs) * hp.blocks_per_seq);
    std::iota(hp.block_table.begin(), hp.block_table.end(), 0);
    std::shuffle(hp.block_table.begin(), hp.block_table.end(), rng);
  }

  hp.q.resize(size_t(hp.num_tokens) * c.heads * 576);
  hp.q_f.resize(hp.q.size());
  for (size_t i = 0; i < hp.q.size(); ++i) {
    hp.q[i] = float_to_bf16(uni(rng) * c.q_magnitude);
    hp.q_f[i] = bf16_to_float(hp.q[i]);
  }
  const int row_bytes = kv_cache_row_bytes(c.fmt);
  hp.cache.resize(size_t(hp.cache_rows) * row_bytes);
  hp.kv_f.resize(size_t(hp.cache_rows) * 576);
  std::vector<uint16_t> row(576);
  for (int64_t r = 0; r < hp.cache_rows; ++r) {
    // A per-128-group magnitude so that the FP8 scales differ inside a row.
    const float mag[5] = {2.f * (1.5f + uni(rng)), 0.5f + std::abs(uni(rng)), 3.f, 1.f + uni(rng), 1.f};
    for (int i = 0; i < 576; ++i) row[i] = float_to_bf16(uni(rng) * mag[i / 128] * c.kv_magnitude);
    if (c.fmt == KvCacheFormat::kBf16) {
      std::copy(row.begin(), row.end(), reinterpret_cast<uint16_t*>(hp.cache.data()) + r * 576);
      for (int i = 0; i < 576; ++i) hp.kv_f[r * 576 + i] = bf16_to_float(row[i]);
    } else {
      quantize_fp8_row(row.data(), hp.cache.data() + r * row_bytes);
      dequantize_fp8_row(hp.cache.data() + r * row_bytes, hp.kv_f.data() + r * 576);
    }
  }

  hp.indices.assign(size_t(hp.num_tokens) * c.topk, -1);
  if (c.use_lengths) hp.lengths.assign(hp.num_tokens, 0);
  std::bernoulli_distribution skip(c.invalid_frac);
  std::vector<int> pool;
  for (int t = 0; t < hp.num_tokens; ++t) {
    int32_t* idx = hp.indices.data() + size_t(t) * c.topk;
    int n = c.topk;
    if (c.dense) {
      // What the kernel implies in dense mode, spelled out for the reference: every key, and the
      // s_q new tokens of a sequence see kv_len - s_q + 1 .. kv_len of them (causal).
      std::iota(idx, idx + c.topk, 0);
      hp.lengths[t] = c.kv_len - (c.s_q - 1 - t % c.s_q);
      continue;
    }
    if (c.context) {
      // Causal: n = min(t + 1, topk) distinct positions of [0, t].
      n = std::min(t + 1, c.topk);
      pool.resize(t + 1);
      std::iota(pool.begin(), pool.end(), 0);
      for (int j = 0; j < n; ++j) {
        std::uniform_int_distribution<int> pick(j, t);
        std::swap(pool[j], pool[pick(rng)]);
        idx[j] = pool[j];
      }
    } else {
      std::uniform_int_distribution<int> pick(0, kv_len - 1);
      for (int j = 0; j < n; ++j) idx[j] = pick(rng);
    }
    for (int j = 0; j < n; ++j)
      if (skip(rng)) idx[j] = -1;
    if (c.use_lengths) {
      hp.lengths[t] = c.context ? n : std::max(1, n - int(rng() % 97));
      // Slots past the length look valid: a kernel that ignores the length reads them.
      std::uniform_int_distribution<int> pick(0, kv_len - 1);
      for (int j = hp.lengths[t]; j < c.topk; ++j) idx[j] = pick(rng);
    }
  }
  return hp;
}

inline reference::ReferenceProblem reference_view(const HostProblem& hp, float sm_scale) {
  reference::ReferenceProblem r;
  r.num_tokens = hp.num_tokens;
  r.num_heads = hp.c.heads;
  r.topk = hp.c.topk;
  r.tokens_per_seq = hp.tokens_per_seq;
  r.sm_scale = sm_scale;
  r.q = hp.q_f.data();
  r.kv = hp.kv_f.data();
  r.kv_seq_len = hp.c.context ? hp.c.batch : hp.c.kv_len;
  r.kv_seq_stride = hp.c.context ? 0 : hp.c.kv_len;
  if (hp.c.paged) {
    r.block_table = hp.block_table.data();
    r.block_table_stride = hp.blocks_per_seq;
    r.page_size = 64;
  }
  r.indices = hp.indices.data();
  r.topk_lengths = hp.lengths.empty() ? nullptr : hp.lengths.data();
  return r;
}

}  // namespace aiconf::sparse_mla::testing
