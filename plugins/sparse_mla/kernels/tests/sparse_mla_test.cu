// GPU test: fast (wgmma) and simple sparse MLA kernels against the fp64 CPU reference on fresh
// random inputs; outputs poisoned with NaN before each run and checked fully written.
// Exit 0 = pass, 1 = failure, 77 = no CUDA device.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "aiconf/sparse_mla/sparse_mla.h"
#include <aiconf_plugins/gpu_program.h>
#include "fp8_dequant_check.cuh"
#include "sparse_mla_problem.h"

using aiconf::plugins::GpuBuffer;

using namespace aiconf::sparse_mla;
using testing::Case;

namespace {

constexpr float kScale = 0.25f;  // logits spread over a few units: a peaked, non-trivial softmax

struct DeviceProblem {
  GpuBuffer q, cache, indices, lengths, block_table, out, lse, ws;
  SparseMlaParams p;
};

DeviceProblem upload(const testing::HostProblem& hp) {
  DeviceProblem d;
  auto put = [](GpuBuffer& b, const void* src, size_t n) {
    b = GpuBuffer(n);
    if (n) AICONF_GPU_CHECK(cudaMemcpy(b.ptr, src, n, cudaMemcpyHostToDevice));
  };
  put(d.q, hp.q.data(), hp.q.size() * 2);
  put(d.cache, hp.cache.data(), hp.cache.size());
  put(d.indices, hp.indices.data(), hp.indices.size() * 4);
  put(d.lengths, hp.lengths.data(), hp.lengths.size() * 4);
  put(d.block_table, hp.block_table.data(), hp.block_table.size() * 4);
  d.out = GpuBuffer(size_t(hp.num_tokens) * hp.c.heads * 512 * 2);
  d.lse = GpuBuffer(size_t(hp.num_tokens) * hp.c.heads * 4);
  SparseMlaParams& p = d.p;
  p.num_tokens = hp.num_tokens;
  p.num_heads = hp.c.heads;
  p.topk = hp.c.topk;
  p.tokens_per_seq = hp.tokens_per_seq;
  p.sm_scale = kScale;
  p.q = d.q.as<__nv_bfloat16>();
  p.kv_cache = d.cache.ptr;
  p.kv_format = hp.c.fmt;
  p.kv_seq_len = hp.c.context ? hp.c.batch : hp.c.kv_len;
  p.kv_seq_stride = hp.c.context ? 0 : hp.c.kv_len;
  if (hp.c.paged) {
    p.block_table = d.block_table.as<int32_t>();
    p.block_table_stride = hp.blocks_per_seq;
    p.page_size = 64;
  }
  p.indices = hp.c.dense ? nullptr : d.indices.as<int32_t>();
  p.dense_keys = hp.c.dense;
  p.topk_lengths = hp.lengths.empty() ? nullptr : d.lengths.as<int32_t>();
  p.out = d.out.as<__nv_bfloat16>();
  p.lse = d.lse.as<float>();
  p.num_splits = hp.c.num_splits;
  p.kernel = hp.c.kernel;
  d.ws = GpuBuffer(sparse_mla_workspace_bytes(p));
  return d;
}

struct Result {
  std::vector<float> out, lse;
  bool all_written = true;
};

Result run(DeviceProblem& d, bool fast) {
  const size_t n_out = size_t(d.p.num_tokens) * d.p.num_heads * 512, n_lse = size_t(d.p.num_tokens) * d.p.num_heads;
  AICONF_GPU_CHECK(cudaMemset(d.out.ptr, 0xFF, d.out.bytes));  // bf16 0xFFFF and fp32 0xFFFFFFFF are NaN
  AICONF_GPU_CHECK(cudaMemset(d.lse.ptr, 0xFF, d.lse.bytes));
  AICONF_GPU_CHECK(fast ? launch_sparse_mla(d.p, d.ws.ptr, nullptr) : launch_sparse_mla_simple(d.p, nullptr));
  AICONF_GPU_CHECK(cudaDeviceSynchronize());
  std::vector<uint16_t> ob(n_out);
  Result r;
  r.lse.resize(n_lse);
  AICONF_GPU_CHECK(cudaMemcpy(ob.data(), d.out.ptr, n_out * 2, cudaMemcpyDeviceToHost));
  AICONF_GPU_CHECK(cudaMemcpy(r.lse.data(), d.lse.ptr, n_lse * 4, cudaMemcpyDeviceToHost));
  r.out.resize(n_out);
  for (size_t i = 0; i < n_out; ++i) {
    r.out[i] = reference::bf16_to_float(ob[i]);
    if (!std::isfinite(r.out[i])) r.all_written = false;
  }
  for (float v : r.lse)
    if (std::isnan(v) || v == INFINITY) r.all_written = false;
  return r;
}

struct Errors {
  double out_rel = 0, lse_abs = 0;
  bool lse_inf_mismatch = false;
};

Errors compare(const Result& got, const std::vector<float>& out_ref, const std::vector<float>& lse_ref,
               const std::vector<int>& tokens, int heads) {
  double num = 0, den = 0;
  Errors e;
  for (int t : tokens)
    for (int h = 0; h < heads; ++h) {
      const size_t th = size_t(t) * heads + h;
      for (int i = 0; i < 512; ++i) {
        const double a = got.out[th * 512 + i], b = out_ref[th * 512 + i];
        num += (a - b) * (a - b);
        den += b * b;
      }
      const float la = got.lse[th], lb = lse_ref[th];
      if (std::isinf(la) || std::isinf(lb)) {
        if (la != lb) e.lse_inf_mismatch = true;
      } else {
        e.lse_abs = std::max(e.lse_abs, double(std::fabs(la - lb)));
      }
    }
  e.out_rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  return e;
}

}  // namespace

int main() {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop;
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs\n", prop.name, prop.multiProcessorCount);
  if (prop.major != 9) {
    std::printf("needs sm_90 (Hopper); found sm_%d%d: skipped\n", prop.major, prop.minor);
    return 77;
  }
  const auto bf = KvCacheFormat::kBf16;
  const auto f8 = KvCacheFormat::kFp8E4m3Scaled;
  // name, fmt, context, batch(T), s_q, heads, topk, kv_len, paged, invalid, lengths, splits, sample
  const std::vector<Case> cases = {
      {"gen bf16 b1 h128 k2048", bf, false, 1, 1, 128, 2048, 5000, false, 0.05f, false, 0, 1},
      {"gen bf16 b1 h128 k2048 nosplit", bf, false, 1, 1, 128, 2048, 5000, false, 0.05f, false, 1, 1},
      {"gen bf16 b33 sq2 h16 k2048", bf, false, 33, 2, 16, 2048, 3001, false, 0.1f, false, 0, 1},
      {"gen bf16 b33 h128 k64 paged", bf, false, 33, 1, 128, 64, 777, true, 0.1f, false, 0, 1},
      {"gen bf16 b4 sq2 h128 k1", bf, false, 4, 2, 128, 1, 100, false, 0.3f, false, 0, 1},
      {"gen bf16 b33 h16 k1 (some empty)", bf, false, 33, 1, 16, 1, 100, false, 0.5f, false, 0, 1},
      {"gen bf16 b5 h64 k300 lengths", bf, false, 5, 2, 64, 300, 1000, true, 0.0f, true, 0, 1},
      {"gen bf16 b3 h8 k2048", bf, false, 3, 1, 8, 2048, 2049, false, 0.0f, false, 0, 1},
      {"gen bf16 b2 h100 k130", bf, false, 2, 1, 100, 130, 4097, false, 0.0f, false, 0, 1},
      {"gen fp8 b1 h128 k2048", f8, false, 1, 1, 128, 2048, 8191, false, 0.05f, false, 0, 1},
      {"gen fp8 b33 sq2 h16 k2048", f8, false, 33, 2, 16, 2048, 3001, false, 0.1f, false, 0, 1},
      {"gen fp8 b33 h128 k64 paged", f8, false, 33, 1, 128, 64, 777, true, 0.1f, false, 0, 1},
      {"gen fp8 b2 h16 k1", f8, false, 2, 2, 16, 1, 65, false, 0.3f, false, 0, 1},
      {"gen fp8 b64 h128 k2048", f8, false, 64, 1, 128, 2048, 2100, false, 0.02f, false, 0, 8},
      // Odd tile counts per split (11 tiles in 3 splits: 4, 4, 3) and per-token lengths; a head
      // count that leaves a partial head tile with 3 tiles: the FP8 path's look-ahead ends early.
      {"gen fp8 b7 sq2 h128 k700 lengths s3", f8, false, 7, 2, 128, 700, 5000, true, 0.05f, true, 3, 1},
      {"gen fp8 b3 h100 k130", f8, false, 3, 1, 100, 130, 4097, false, 0.0f, false, 0, 1},
      // Block amax 3e-3..1.5e-2: FP8 scales of 7e-6..3.4e-5 (subnormal in fp16, which the v8/v9
      // experiments computed in; the kept bf16 path has fp32's exponent range).
      {"gen fp8 b8 h128 k512 small rows", f8, false, 8, 1, 128, 512, 1000, false, 0.0f, false, 0, 1, false, 3e-3f},
      // Large rows, the other end from the small ones: cache values x1.5e4, FP8 scales 33..170 (the
      // query x1/1.5e4 keeps the logits as in the other cases). A dequantization that scales
      // through a narrower type (the bf16 scale split of results/split_scale_2026-11-28) must
      // handle these.
      {"gen fp8 b8 sq2 h128 k512 large rows", f8, false, 8, 2, 128, 512, 1000, false, 0.0f, false, 0, 1, false, 1.5e4f,
       SparseMlaKernel::kAuto, 1.f / 1.5e4f},
      // Dense mode (dense MLA over the whole cache; indices implied, causal lengths).
      {"dense bf16 b3 sq2 h128 L4099 paged", bf, false, 3, 2, 128, 4099, 4099, true, 0.0f, true, 0, 1, true},
      {"dense bf16 b1 h16 L20000", bf, false, 1, 1, 16, 20000, 20000, false, 0.0f, true, 0, 1, true},
      {"dense fp8 b5 sq2 h64 L1500 paged", f8, false, 5, 2, 64, 1500, 1500, true, 0.0f, true, 0, 1, true},
      {"ctx bf16 T300 h128 k64 lengths", bf, true, 300, 1, 128, 64, 0, false, 0.0f, true, 0, 1},
      {"ctx bf16 T2100 h16 k2048", bf, true, 2100, 1, 16, 2048, 0, false, 0.02f, false, 0, 23},
      {"ctx bf16 T2100 h128 k2048 lengths", bf, true, 2100, 1, 128, 2048, 0, false, 0.0f, true, 0, 97},
      // The narrow-heads kernel (bf16, <= 32 heads; the cases above with 8 and 16 heads use it too):
      // 1, 17 (the 32-wide kernel with 15 absent heads) and 32 heads (forced where kAuto would pick the
      // head-tile kernel), splits, paging, lengths, context; and the 64-head-tile kernel forced at 16
      // heads, so both stay checked there.
      {"narrow gen bf16 b9 h32 k777 paged lengths", bf, false, 9, 1, 32, 777, 3000, true, 0.1f, true, 0, 1, false, 1.f,
       SparseMlaKernel::kNarrowHeads},
      {"narrow gen bf16 b3 sq2 h1 k2048 s4", bf, false, 3, 2, 1, 2048, 4096, false, 0.05f, false, 4, 1},
      {"narrow gen bf16 b64 h17 k2048", bf, false, 64, 1, 17, 2048, 2100, false, 0.02f, false, 0, 5},
      {"narrow gen bf16 b2 h16 k70 s7 (empty splits)", bf, false, 2, 1, 16, 70, 500, false, 0.2f, false, 7, 1},
      {"narrow ctx bf16 T700 h32 k512 lengths", bf, true, 700, 1, 32, 512, 0, false, 0.0f, true, 0, 7},
      {"narrow dense bf16 b2 sq2 h16 L3000 paged", bf, false, 2, 2, 16, 3000, 3000, true, 0.0f, true, 0, 1, true},
      {"tile64 gen bf16 b33 sq2 h16 k2048", bf, false, 33, 2, 16, 2048, 3001, false, 0.1f, false, 0, 1, false, 1.f,
       SparseMlaKernel::kHeadTile64},
      {"tile64 ctx bf16 T900 h16 k512", bf, true, 900, 1, 16, 512, 0, false, 0.0f, false, 0, 9, false, 1.f,
       SparseMlaKernel::kHeadTile64},
  };
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  bool ok = true;
  uint64_t seed = 20261127;
  std::printf("%-44s %6s %6s %10s %10s %10s %10s %10s\n", "case", "kernel", "splits", "fast_rel", "fast_lse", "simple_rel",
              "simple_lse", "fast~simp");
  // SMLA_TEST_FILTER=text: only the cases whose name contains it (e.g. under compute-sanitizer).
  const char* filter = std::getenv("SMLA_TEST_FILTER");
  if (filter == nullptr || std::strstr("fp8 dequant", filter) != nullptr) ok = testing::check_fp8_dequant(seed) && ok;
  for (const Case& c : cases) {
    if (filter != nullptr && std::strstr(c.name, filter) == nullptr) continue;
    const testing::HostProblem hp = testing::make_problem(c, seed++);
    std::vector<int> tokens;
    for (int t = 0; t < hp.num_tokens; t += c.sample_stride) tokens.push_back(t);
    for (int t = std::max(0, hp.num_tokens - 3); t < hp.num_tokens; ++t)
      if (tokens.back() < t) tokens.push_back(t);
    std::vector<float> out_ref(size_t(hp.num_tokens) * c.heads * 512), lse_ref(size_t(hp.num_tokens) * c.heads);
    reference::sparse_mla_reference(testing::reference_view(hp, kScale), out_ref.data(), lse_ref.data(), tokens,
                                    threads);
    DeviceProblem d = upload(hp);
    const Result fast = run(d, true);
    // The simple kernel re-reads every row per head: skip it where it would take minutes.
    const bool with_simple = double(hp.num_tokens) * c.heads * c.topk <= 2e7;
    const Result simple = with_simple ? run(d, false) : fast;
    const Errors ef = compare(fast, out_ref, lse_ref, tokens, c.heads);
    const Errors es = with_simple ? compare(simple, out_ref, lse_ref, tokens, c.heads) : Errors{-1, -1, false};
    std::vector<int> all(hp.num_tokens);
    for (int t = 0; t < hp.num_tokens; ++t) all[t] = t;
    const Errors efs = compare(fast, simple.out, simple.lse, all, c.heads);
    const bool pass = fast.all_written && simple.all_written && ef.out_rel < 1e-2 && es.out_rel < 1e-2 &&
                      efs.out_rel < 1e-2 && ef.lse_abs < 1e-2 && es.lse_abs < 1e-2 && !ef.lse_inf_mismatch &&
                      !es.lse_inf_mismatch && !efs.lse_inf_mismatch;
    std::printf("%-44s %6s %6d %10.2e %10.2e %10.2e %10.2e %10.2e %s%s\n", c.name,
                sparse_mla_kernel(d.p) == SparseMlaKernel::kNarrowHeads ? "narrow" : "tile64", sparse_mla_num_splits(d.p),
                ef.out_rel, ef.lse_abs, es.out_rel, es.lse_abs, efs.out_rel, pass ? "PASS" : "FAIL",
                fast.all_written && simple.all_written ? "" : " (unwritten/NaN output)");
    std::fflush(stdout);
    ok = ok && pass;
  }
  std::printf("%s\n", ok ? "ALL PASS" : "SOME FAILED");
  return ok ? 0 : 1;
}
