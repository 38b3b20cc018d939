// GPU test of the DSA indexer logits kernel against the CPU reference (same dequantised FP8
// values). Exit 0: pass, 1: failure, 77: no CUDA device.
//
// Each case draws fresh random inputs, poisons the output with NaN bytes, runs the kernel twice
// (the two results must be bit-identical: a race would show up here), and checks
//  - relative L2 error of the unmasked entries <= 2e-3 (fp32 accumulation of exact fp8 products),
//  - every masked entry is -inf (fill mode) or -inf/untouched (no-fill mode),
//  - the padding columns [n_cols, ld) are untouched.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "aiconf/dsa/indexer_logits.h"
#include "aiconf/dsa/indexer_logits_reference.h"
#include "logits_test_util.h"

using namespace aiconf::dsa;
using namespace logits_test;

namespace {

constexpr int kD = 128;
constexpr uint32_t kPoison = 0xFFFFFFFFu;

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

struct Result {
  double rel = 0;
  long unmasked = 0, bad_value = 0, bad_mask = 0, bad_pad = 0, mismatch = 0;
};

Result compare(const std::vector<float>& out, const std::vector<float>& out2, const std::vector<double>& ref, int rows,
               int n_cols, int64_t ld, bool fill) {
  Result r;
  double err2 = 0, ref2 = 0;
  for (int t = 0; t < rows; ++t) {
    for (int64_t c = 0; c < ld; ++c) {
      const float g = out[t * ld + c];
      if (bits(g) != bits(out2[t * ld + c])) ++r.mismatch;
      if (c >= n_cols) {
        if (bits(g) != kPoison) ++r.bad_pad;
        continue;
      }
      const double v = ref[static_cast<size_t>(t) * n_cols + c];
      if (std::isinf(v)) {
        const bool ok = (std::isinf(g) && g < 0) || (!fill && bits(g) == kPoison);
        if (!ok) ++r.bad_mask;
      } else {
        ++r.unmasked;
        if (!std::isfinite(g)) {
          ++r.bad_value;
          continue;
        }
        err2 += (g - v) * (g - v);
        ref2 += v * v;
      }
    }
  }
  r.rel = ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2);
  return r;
}

bool report(const char* name, const Result& r) {
  const bool ok = r.rel <= 2e-3 && r.bad_value == 0 && r.bad_mask == 0 && r.bad_pad == 0 && r.mismatch == 0;
  std::printf("%-58s %s rel=%.2e unmasked=%ld bad_value=%ld bad_mask=%ld bad_pad=%ld run_mismatch=%ld\n", name,
              ok ? "PASS" : "FAIL", r.rel, r.unmasked, r.bad_value, r.bad_mask, r.bad_pad, r.mismatch);
  return ok;
}

// seqs: (prefix, new tokens) per sequence; keys of all sequences concatenated.
bool run_context(const char* name, const std::vector<std::pair<int, int>>& seqs, int heads, bool fill,
                 std::mt19937& rng) {
  std::vector<int32_t> ks, ke;
  int key_ofs = 0;
  for (auto [prefix, n] : seqs) {
    for (int i = 0; i < n; ++i) {
      ks.push_back(key_ofs);
      ke.push_back(key_ofs + prefix + i + 1);
    }
    key_ofs += prefix + n;
  }
  const int T = static_cast<int>(ks.size());
  const int S = key_ofs;
  const int n_cols = S;
  const int64_t ld = S + 3;
  auto q = random_fp8(static_cast<size_t>(T) * heads * kD, rng);
  auto k = random_fp8(static_cast<size_t>(S) * kD, rng);
  auto w = random_floats(static_cast<size_t>(T) * heads, rng, -0.5f, 1.0f);
  auto sc = random_floats(S, rng, 0.005f, 0.02f);

  DeviceBuffer<uint8_t> dq(q.size()), dk(k.size());
  DeviceBuffer<float> dw(w.size()), dsc(sc.size()), dout(static_cast<size_t>(T) * ld);
  DeviceBuffer<int32_t> dks(T), dke(T);
  dq.upload(q);
  dk.upload(k);
  dw.upload(w);
  dsc.upload(sc);
  dks.upload(ks);
  dke.upload(ke);

  IndexerLogitsContextArgs a;
  a.q = dq.ptr;
  a.weights = dw.ptr;
  a.k_fp8 = dk.ptr;
  a.k_scale = dsc.ptr;
  a.ks = dks.ptr;
  a.ke = dke.ptr;
  a.logits = dout.ptr;
  a.ld_logits = ld;
  a.n_tokens = T;
  a.n_keys = S;
  a.n_cols = n_cols;
  a.n_heads = heads;
  a.head_dim = kD;
  a.fill_masked = fill;

  std::vector<float> outs[2];
  for (auto& o : outs) {
    AICONF_GPU_CHECK(cudaMemset(dout.ptr, 0xFF, dout.count * sizeof(float)));
    AICONF_GPU_CHECK(launch_indexer_logits_context(a, nullptr));
    AICONF_GPU_CHECK(cudaDeviceSynchronize());
    o = dout.download();
  }
  std::vector<double> ref;
  indexer_logits_reference_context(q.data(), w.data(), k.data(), sc.data(), ks.data(), ke.data(), T, heads, kD, n_cols,
                                   ref);
  char full[160];
  std::snprintf(full, sizeof full, "context %s H=%d T=%d S=%d fill=%d", name, heads, T, S, fill);
  return report(full, compare(outs[0], outs[1], ref, T, n_cols, ld, fill));
}

bool run_generation(const char* name, const std::vector<int>& lens, int n_next, int heads, IndexCacheLayout layout,
                    int page_size, bool fill, std::mt19937& rng) {
  const int B = static_cast<int>(lens.size());
  const int max_len = *std::max_element(lens.begin(), lens.end()) + 37;  // columns past every length: -inf
  const int seq_stride = (max_len + 63) / 64 * 64;
  const int rows = B * n_next;
  const int64_t ld = max_len + 5;
  auto q = random_fp8(static_cast<size_t>(rows) * heads * kD, rng);
  auto w = random_floats(static_cast<size_t>(rows) * heads, rng, -0.5f, 1.0f);
  auto k = random_fp8(static_cast<size_t>(B) * seq_stride * kD, rng);
  auto sc = random_floats(static_cast<size_t>(B) * seq_stride, rng, 0.005f, 0.02f);
  // Garbage (NaN bytes included) past each sequence's end: it must never reach a written logit.
  std::uniform_int_distribution<int> byte(0, 255);
  for (int b = 0; b < B; ++b) {
    for (int s = lens[b]; s < seq_stride; ++s) {
      for (int d = 0; d < kD; ++d) k[(static_cast<size_t>(b) * seq_stride + s) * kD + d] = static_cast<uint8_t>(byte(rng));
      sc[static_cast<size_t>(b) * seq_stride + s] = std::nanf("");
    }
  }
  std::vector<int32_t> lens32(lens.begin(), lens.end());

  DeviceBuffer<uint8_t> dq(q.size());
  DeviceBuffer<float> dw(w.size()), dout(static_cast<size_t>(rows) * ld);
  DeviceBuffer<int32_t> dlens(B);
  dq.upload(q);
  dw.upload(w);
  dlens.upload(lens32);

  IndexerLogitsGenerationArgs a;
  a.q = dq.ptr;
  a.weights = dw.ptr;
  a.context_lens = dlens.ptr;
  a.layout = layout;
  a.logits = dout.ptr;
  a.ld_logits = ld;
  a.batch = B;
  a.n_next = n_next;
  a.max_context_len = max_len;
  a.n_heads = heads;
  a.head_dim = kD;
  a.fill_masked = fill;

  DeviceBuffer<uint8_t> dk, dpool;
  DeviceBuffer<float> dsc;
  DeviceBuffer<int32_t> dtable;
  if (layout == IndexCacheLayout::kContiguous) {
    dk = DeviceBuffer<uint8_t>(k.size());
    dsc = DeviceBuffer<float>(sc.size());
    dk.upload(k);
    dsc.upload(sc);
    a.k_fp8 = dk.ptr;
    a.k_scale = dsc.ptr;
    a.seq_stride = seq_stride;
  } else {
    // Pages of the whole slot of every sequence, in shuffled pool order, plus spare pages.
    const int pages_per_seq = seq_stride / page_size + (seq_stride % page_size ? 1 : 0);
    const int num_pages = B * pages_per_seq + 3;
    std::vector<int32_t> perm(num_pages);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const size_t page_bytes = static_cast<size_t>(page_size) * (kD + 4);
    std::vector<uint8_t> pool(page_bytes * num_pages);
    for (auto& x : pool) x = static_cast<uint8_t>(byte(rng));
    std::vector<int32_t> table(static_cast<size_t>(B) * pages_per_seq);
    for (int b = 0; b < B; ++b) {
      for (int j = 0; j < pages_per_seq; ++j) {
        const int page = perm[b * pages_per_seq + j];
        table[static_cast<size_t>(b) * pages_per_seq + j] = page;
        uint8_t* base = pool.data() + page * page_bytes;
        for (int r = 0; r < page_size; ++r) {
          const int s = j * page_size + r;
          if (s >= seq_stride) break;
          const size_t key = static_cast<size_t>(b) * seq_stride + s;
          std::memcpy(base + static_cast<size_t>(r) * kD, &k[key * kD], kD);
          std::memcpy(base + static_cast<size_t>(page_size) * kD + r * 4, &sc[key], 4);
        }
      }
    }
    dpool = DeviceBuffer<uint8_t>(pool.size());
    dtable = DeviceBuffer<int32_t>(table.size());
    dpool.upload(pool);
    dtable.upload(table);
    a.kv_pool = dpool.ptr;
    a.block_table = dtable.ptr;
    a.block_table_stride = pages_per_seq;
    a.num_pages = num_pages;
    a.page_size = page_size;
  }

  std::vector<float> outs[2];
  for (auto& o : outs) {
    AICONF_GPU_CHECK(cudaMemset(dout.ptr, 0xFF, dout.count * sizeof(float)));
    AICONF_GPU_CHECK(launch_indexer_logits_generation(a, nullptr));
    AICONF_GPU_CHECK(cudaDeviceSynchronize());
    o = dout.download();
  }
  std::vector<double> ref;
  indexer_logits_reference_generation(q.data(), w.data(), k.data(), sc.data(), lens32.data(), B, n_next, seq_stride,
                                      heads, kD, max_len, ref);
  char full[200];
  std::snprintf(full, sizeof full, "gen %s %s(page %d) H=%d B=%d n_next=%d fill=%d", name,
                layout == IndexCacheLayout::kPaged ? "paged" : "contig", page_size, heads, B, n_next, fill);
  return report(full, compare(outs[0], outs[1], ref, rows, max_len, ld, fill));
}

}  // namespace

int main() {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s (%d SMs)\n", prop.name, prop.multiProcessorCount);
  std::mt19937 rng(20261127);
  int fails = 0;

  // Argument checks: unsupported shapes are refused before any launch.
  {
    IndexerLogitsContextArgs bad;
    bad.n_heads = 48;
    if (launch_indexer_logits_context(bad, nullptr) != cudaErrorInvalidValue) {
      std::printf("argument check H=48 FAIL\n");
      ++fails;
    }
    (void)cudaGetLastError();
  }

  const std::vector<std::pair<int, int>> batch = {{0, 1}, {5, 7}, {64, 129}, {300, 1000}};
  const std::vector<int> lens = {1, 63, 5000};
  // INDEXER_LOGITS_QUICK=1: a few cases only (for runs under compute-sanitizer).
  if (const char* quick = std::getenv("INDEXER_LOGITS_QUICK"); quick != nullptr && quick[0] == '1') {
    fails += !run_context("batch 1/7/129/1000 with prefixes", batch, 64, true, rng);
    fails += !run_generation("lens 1/63/5000", lens, 2, 64, IndexCacheLayout::kPaged, 64, true, rng);
    fails += !run_generation("lens 1/63/5000", lens, 1, 32, IndexCacheLayout::kContiguous, 64, true, rng);
    std::printf("%s: %d failing case(s)\n", fails ? "FAILED" : "ALL PASSED", fails);
    return fails ? 1 : 0;
  }
  for (int heads : {64, 32}) {
    fails += !run_context("len 1", {{0, 1}}, heads, true, rng);
    fails += !run_context("len 7", {{0, 7}}, heads, true, rng);
    fails += !run_context("len 129", {{0, 129}}, heads, true, rng);
    fails += !run_context("len 1000", {{0, 1000}}, heads, true, rng);
    fails += !run_context("prefix 77 + 200", {{77, 200}}, heads, true, rng);
    fails += !run_context("batch 1/7/129/1000 with prefixes", batch, heads, true, rng);
  }
  fails += !run_context("batch, no fill", batch, 64, false, rng);
  fails += !run_context("prefix 17 + 300", {{17, 300}}, 128, true, rng);
  fails += !run_context("prefix 17 + 300", {{17, 300}}, 16, true, rng);
  fails += !run_context("len 2500 (multi chunk)", {{0, 2500}}, 64, true, rng);

  for (int heads : {64, 32}) {
    for (int n_next : {1, 2}) {
      fails += !run_generation("lens 1/63/5000", lens, n_next, heads, IndexCacheLayout::kContiguous, 64, true, rng);
      fails += !run_generation("lens 1/63/5000", lens, n_next, heads, IndexCacheLayout::kPaged, 64, true, rng);
    }
  }
  fails += !run_generation("lens 1/63/5000", lens, 4, 64, IndexCacheLayout::kPaged, 64, true, rng);
  fails += !run_generation("lens 1/63/5000", lens, 3, 64, IndexCacheLayout::kPaged, 128, true, rng);
  fails += !run_generation("lens 1/63/5000 no fill", lens, 2, 64, IndexCacheLayout::kPaged, 64, false, rng);
  fails += !run_generation("lens 1/63/5000", lens, 1, 128, IndexCacheLayout::kPaged, 64, true, rng);
  {
    std::vector<int> many(64);
    std::uniform_int_distribution<int> len(1, 3000);
    for (auto& l : many) l = len(rng);
    fails += !run_generation("64 random lens", many, 2, 64, IndexCacheLayout::kPaged, 64, true, rng);
    fails += !run_generation("64 random lens", many, 1, 64, IndexCacheLayout::kContiguous, 64, true, rng);
  }

  std::printf("%s: %d failing case(s)\n", fails ? "FAILED" : "ALL PASSED", fails);
  return fails ? 1 : 0;
}
