// GPU test of the flash-attention kernel against the CPU reference (double): random bf16 inputs,
// outputs poisoned with NaN first and checked fully written. Covers context and decode, causal with
// and without a cached prefix, length 1, odd lengths and non-multiples of the tiles, GQA ratios 1,
// 2 and 8, batch 1 and > 1, both K/V layouts, head dims 64, 128 and 192/128, forced and automatic
// split-KV. Exits 77 without a GPU.
#include <aiconf/flash_attention/flash_attention.h>
#include <flash_attention_reference.h>

#include <aiconf_plugins/gpu_program.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace fa = aiconf::flash_attention;
namespace ref = aiconf::flash_attention::reference;

namespace {

struct Case {
  std::string name;
  int batch, sq, sk, heads, kv_heads, dqk, dv;
  bool causal = true;
  bool bshd = false;  // K/V as [batch, seqlen, kv_heads, d] instead of [batch, kv_heads, max_len, d]
  int splits = 0;
  fa::KernelVariant variant = fa::KernelVariant::kAuto;
};

struct Dev {
  void* p = nullptr;
  explicit Dev(size_t bytes) { AICONF_GPU_CHECK(cudaMalloc(&p, std::max<size_t>(bytes, 16))); }
  ~Dev() { cudaFree(p); }
};

std::vector<std::uint16_t> random_bf16(size_t n, std::mt19937& rng, std::vector<float>& as_float) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<std::uint16_t> bits(n);
  as_float.resize(n);
  for (size_t i = 0; i < n; ++i) {
    bits[i] = ref::float_to_bf16(u(rng));
    as_float[i] = ref::bf16_to_float(bits[i]);
  }
  return bits;
}

bool run_case(const Case& c, std::mt19937& rng) {
  const int max_len = c.bshd ? c.sk : c.sk + 13;  // padded cache rows exercise the strides
  const size_t q_n = size_t(c.batch) * c.sq * c.heads * c.dqk;
  const size_t k_n = size_t(c.batch) * c.kv_heads * max_len * c.dqk;
  const size_t v_n = size_t(c.batch) * c.kv_heads * max_len * c.dv;
  const size_t o_rows = size_t(c.batch) * c.sq * c.heads;
  std::vector<float> qf, kf, vf;
  const auto qb = random_bf16(q_n, rng, qf);
  const auto kb = random_bf16(k_n, rng, kf);
  const auto vb = random_bf16(v_n, rng, vf);
  Dev q(q_n * 2), k(k_n * 2), v(v_n * 2), o(o_rows * c.dv * 2), lse(o_rows * 4);
  AICONF_GPU_CHECK(cudaMemcpy(q.p, qb.data(), q_n * 2, cudaMemcpyHostToDevice));
  AICONF_GPU_CHECK(cudaMemcpy(k.p, kb.data(), k_n * 2, cudaMemcpyHostToDevice));
  AICONF_GPU_CHECK(cudaMemcpy(v.p, vb.data(), v_n * 2, cudaMemcpyHostToDevice));
  AICONF_GPU_CHECK(cudaMemset(o.p, 0xFF, o_rows * c.dv * 2));  // NaN poison
  AICONF_GPU_CHECK(cudaMemset(lse.p, 0xFF, o_rows * 4));

  fa::FlashAttentionParams p;
  p.batch = c.batch, p.seqlen_q = c.sq, p.seqlen_k = c.sk, p.num_heads = c.heads, p.num_kv_heads = c.kv_heads;
  p.head_dim_qk = c.dqk, p.head_dim_v = c.dv, p.causal = c.causal, p.sm_scale = 1.f / std::sqrt(float(c.dqk));
  p.q = static_cast<const __nv_bfloat16*>(q.p);
  p.k = static_cast<const __nv_bfloat16*>(k.p);
  p.v = static_cast<const __nv_bfloat16*>(v.p);
  // Element offsets of (b, g, j) in each layout.
  auto strides = [&](int d, int64_t& bs, int64_t& hs, int64_t& rs) {
    if (c.bshd) bs = int64_t(max_len) * c.kv_heads * d, hs = d, rs = int64_t(c.kv_heads) * d;
    else bs = int64_t(c.kv_heads) * max_len * d, hs = int64_t(max_len) * d, rs = d;
  };
  strides(c.dqk, p.k_batch_stride, p.k_head_stride, p.k_row_stride);
  strides(c.dv, p.v_batch_stride, p.v_head_stride, p.v_row_stride);
  p.out = static_cast<__nv_bfloat16*>(o.p);
  p.lse = static_cast<float*>(lse.p);
  p.num_splits = c.splits;
  p.kernel_variant = c.variant;
  if (const char* why = fa::flash_attention_check(p)) {
    std::printf("FAIL %-40s refused: %s\n", c.name.c_str(), why);
    return false;
  }
  const int splits = fa::flash_attention_num_splits(p);
  Dev ws(fa::flash_attention_workspace_bytes(p));
  AICONF_GPU_CHECK(fa::launch_flash_attention(p, ws.p, 0));
  AICONF_GPU_CHECK(cudaDeviceSynchronize());
  std::vector<std::uint16_t> ob(o_rows * c.dv);
  std::vector<float> lb(o_rows);
  AICONF_GPU_CHECK(cudaMemcpy(ob.data(), o.p, ob.size() * 2, cudaMemcpyDeviceToHost));
  AICONF_GPU_CHECK(cudaMemcpy(lb.data(), lse.p, lb.size() * 4, cudaMemcpyDeviceToHost));

  // Every output element must be written (no NaN left from the poison).
  size_t nan = 0;
  for (auto b : ob) nan += std::isnan(ref::bf16_to_float(b));
  for (float l : lb) nan += std::isnan(l);

  // Reference on a row sample bounded to ~3e8 multiply-adds.
  const double work_per_row = double(c.sk) * (c.dqk + c.dv);
  const size_t stride = std::max<size_t>(1, size_t(work_per_row * o_rows / 3e8));
  const int group = c.heads / c.kv_heads;
  double err2 = 0, ref2 = 0, max_abs = 0, lse_err = 0;
  std::vector<double> out(c.dv);
  std::vector<float> krows, vrows;
  size_t checked = 0;
  for (size_t row = 0; row < o_rows; row += stride) {
    const int h = int(row % c.heads), t = int(row / c.heads % c.sq), b = int(row / c.heads / c.sq);
    const int g = h / group;
    const int n_keys = c.causal ? c.sk - c.sq + t + 1 : c.sk;
    auto at = [&](int d, int j) {
      return c.bshd ? ((size_t(b) * max_len + j) * c.kv_heads + g) * d : ((size_t(b) * c.kv_heads + g) * max_len + j) * d;
    };
    const float* kr = &kf[at(c.dqk, 0)];
    const float* vr = &vf[at(c.dv, 0)];
    const size_t ldk = c.bshd ? size_t(c.kv_heads) * c.dqk : c.dqk, ldv = c.bshd ? size_t(c.kv_heads) * c.dv : c.dv;
    const double l = ref::attention_row(&qf[row * c.dqk], kr, ldk, vr, ldv, n_keys, c.dqk, c.dv, p.sm_scale, out.data());
    for (int d = 0; d < c.dv; ++d) {
      const double got = ref::bf16_to_float(ob[row * c.dv + d]);
      err2 += (got - out[d]) * (got - out[d]);
      ref2 += out[d] * out[d];
      max_abs = std::max(max_abs, std::abs(got - out[d]));
    }
    lse_err = std::max(lse_err, std::abs(double(lb[row]) - l));
    ++checked;
  }
  const double rel = std::sqrt(err2 / std::max(ref2, 1e-300));
  const bool ok = nan == 0 && rel <= 1e-2 && lse_err <= 2e-3 && std::isfinite(rel);
  std::printf("%s %-44s splits %3d rows %7zu/%-8zu rel_l2 %.2e max_abs %.2e lse_err %.2e nan %zu (%s)\n",
              ok ? "PASS" : "FAIL", c.name.c_str(), splits, checked, o_rows, rel, max_abs, lse_err, nan,
              fa::flash_attention_variant(p));
  return ok;
}

}  // namespace

int main() {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs\n", prop.name, prop.multiProcessorCount);
  const std::vector<Case> cases = {
      // name                                   b   sq    sk   H  KV  dqk  dv  causal bshd splits
      {"ctx len1 h8 kv8 d128", 1, 1, 1, 8, 8, 128, 128},
      {"ctx b2 len77 gqa8 d128", 2, 77, 77, 8, 1, 128, 128},
      {"ctx b3 q200 prefix133 gqa1 d128 bshd", 3, 200, 333, 4, 4, 128, 128, true, true},
      {"ctx b1 len300 gqa8 d64", 1, 300, 300, 16, 2, 64, 64},
      {"ctx b2 len257 mla 192/128 bshd", 2, 257, 257, 4, 4, 192, 128, true, true},
      {"ctx b1 q1000 prefix500 gqa8 d128 auto-split", 1, 1000, 1500, 16, 2, 128, 128},
      {"ctx b1 len1029 gqa4 d128 split5", 1, 1029, 1029, 8, 2, 128, 128, true, false, 5},
      {"ctx b2 len2048 h32 gqa8 d128", 2, 2048, 2048, 32, 4, 128, 128},
      {"ctx b1 len4096 h16 mla 192/128", 1, 4096, 4096, 16, 16, 192, 128, true, true},
      {"ctx b2 q5 k300 noncausal gqa2 d128", 2, 5, 300, 4, 2, 128, 128, false},
      {"gen b1 k1 gqa8 d128", 1, 1, 1, 8, 1, 128, 128},
      {"gen b1 k4097 h32 gqa8 d128", 1, 1, 4097, 32, 4, 128, 128},
      {"gen b5 k999 gqa1 d64", 5, 1, 999, 8, 8, 64, 64},
      {"gen b3 sq3 k515 gqa8 d128 (MTP)", 3, 3, 515, 16, 2, 128, 128},
      {"gen b64 k2049 h64 gqa8 d128", 64, 1, 2049, 64, 8, 128, 128},
      {"gen b2 k16385 h8 gqa8 d128 split7", 2, 1, 16385, 8, 1, 128, 128, true, false, 7},
      {"gen b4 k700 gqa1 mla 192/128", 4, 1, 700, 4, 4, 192, 128},
      // every variant on shapes it is not picked for by default
      {"ctx b2 len77 gqa8 d128 [basic]", 2, 77, 77, 8, 1, 128, 128, true, false, 0, fa::KernelVariant::kBasic128x128},
      {"ctx b3 q200 prefix133 d128 bshd [basic]", 3, 200, 333, 4, 4, 128, 128, true, true, 0, fa::KernelVariant::kBasic128x128},
      {"ctx b1 len300 gqa8 d64 [small]", 1, 300, 300, 16, 2, 64, 64, true, false, 0, fa::KernelVariant::kSmall64x64},
      {"ctx b1 len777 mla 192/128 [small]", 1, 777, 777, 2, 2, 192, 128, true, false, 0, fa::KernelVariant::kSmall64x64},
      {"gen b9 k2049 h64 gqa8 d128 [overlap]", 9, 1, 2049, 64, 8, 128, 128, true, false, 0, fa::KernelVariant::kOverlap128x128},
      {"ctx b1 len100 (1 tile) d128 [overlap]", 1, 100, 100, 2, 2, 128, 128},
      {"ctx b2 q500 prefix77 gqa4 d128 [overlap fp32 P]", 2, 500, 577, 8, 2, 128, 128, true, false, 0,
       fa::KernelVariant::kOverlapFp32P128x128},
      {"ctx b1 len999 gqa2 d64 [overlap fp32 P]", 1, 999, 999, 4, 2, 64, 64, true, true, 0,
       fa::KernelVariant::kOverlapFp32P128x128},
      {"ctx b1 len300 split7 (empty splits) d128", 1, 300, 300, 2, 2, 128, 128, true, false, 7},
      {"ctx b2 q300 k555 noncausal d64 split3", 2, 300, 555, 4, 1, 64, 64, false, true, 3},
  };
  std::mt19937 rng(1234);
  int failures = 0;
  for (const auto& c : cases) failures += run_case(c, rng) ? 0 : 1;
  std::printf("%zu cases, %d failed\n", cases.size(), failures);
  return failures == 0 ? 0 : 1;
}
