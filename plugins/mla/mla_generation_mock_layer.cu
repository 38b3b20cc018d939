// CUDA mock layer of dense MLA decode (mla_generation): absorbed MQA mode, every head of a new
// token attends to the WHOLE latent cache of its sequence (causal among the isl new tokens).
// Dense attention is sparse attention with every key selected, so this runs the sparse MLA wgmma
// kernel (plugins/sparse_mla/kernels) in its dense mode: slot j = key j, per-token lengths
// step + i + 1, no index list in memory (caches up to 131071 + next_n tokens).
// Cache: pages of 64 tokens scattered over one pool (block table), bf16 rows (1152 B) or
// FlashMLA's FP8 rows (656 B), as the key's kv_cache_dtype says. Several cache copies (separate
// page ranges) rotate when the cache is small, so timed runs stream it from HBM.
#include "mla_mock_layers.h"

#include <aiconf/sparse_mla/sparse_mla.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/host_copy.h>
#include <aiconf_plugins/mla_fp8_cache_fill.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/random_fill.h>
#include <sparse_mla_reference.h>

#include <cuda_bf16.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace aiconf::mla {
using namespace aiconf::plugins;
using namespace aiconf::sparse_mla;
namespace ref = aiconf::sparse_mla::reference;

namespace {

constexpr int kPage = 64;
constexpr std::size_t kMinWorkingSetBytes = std::size_t{128} << 20;  // > 2x the H100/H200 L2
constexpr std::int64_t kMaxSets = 64;
constexpr int kCheckedHeads = 8;  // heads compared per sampled token (spread over all heads)

struct GenShape {
  int heads = 0, kv_lora = 0, rope = 0, nope = 0;
  std::int64_t batch = 0, isl = 0, step = 0;
  KvCacheFormat format = KvCacheFormat::kBf16;
  std::int64_t keys() const { return step + isl; }
  std::int64_t tokens() const { return batch * isl; }

  static GenShape from(const Params& p) {
    GenShape s;
    s.heads = static_cast<int>(p.integer("num_heads"));
    s.kv_lora = static_cast<int>(p.integer("kv_lora_rank"));
    s.rope = static_cast<int>(p.integer("qk_rope_head_dim"));
    s.nope = static_cast<int>(p.integer("qk_nope_head_dim"));
    s.batch = p.integer("batch_size");
    s.isl = p.integer("isl");
    s.step = p.integer_or("step", 0);
    if (s.kv_lora != 512 || s.rope != 64)
      throw Error("mla_generation mock layer: the kernel (aiconf_sparse_mla_wgmma, dense mode) supports kv_lora_rank 512 + "
                  "qk_rope_head_dim 64 only (q/k width 576, v width 512); the key has kv_lora_rank=" + std::to_string(s.kv_lora) +
                  ", qk_rope_head_dim=" + std::to_string(s.rope));
    const std::string mla = p.text_or("mla_dtype", "bfloat16");
    if (mla != "bfloat16") throw Error("mla_generation mock layer: key 'mla_dtype' = '" + mla + "': only bfloat16 queries are supported");
    const std::string kv = p.text_or("kv_cache_dtype", "bfloat16");
    if (kv == "fp8" || kv == "fp8_e4m3") s.format = KvCacheFormat::kFp8E4m3Scaled;
    else if (kv != "bfloat16")
      throw Error("mla_generation mock layer: key 'kv_cache_dtype' = '" + kv + "': expected bfloat16 or fp8 (656-byte FlashMLA rows)");
    if (s.heads < 1 || s.batch < 1 || s.isl < 1 || s.step < 0 || s.nope < 1)
      throw Error("mla_generation mock layer: expected num_heads, batch_size, isl, qk_nope_head_dim >= 1 and step >= 0: " + p.str());
    if (s.keys() > INT_MAX / 2 || s.tokens() * s.heads > INT_MAX)
      throw Error("mla_generation mock layer: shape too large for 32-bit kernel indexing: " + p.str());
    return s;
  }
};

// Copies `n` whole cache rows (row_bytes each), row r taken from page table[r / 64], into `dst`.
__global__ void gather_pages(const std::uint8_t* cache, int row_bytes, const std::int32_t* table, std::int64_t n, std::uint8_t* dst) {
  for (std::int64_t r = blockIdx.x; r < n; r += gridDim.x) {
    const std::int64_t phys = std::int64_t(table[r / kPage]) * kPage + r % kPage;
    for (int b = threadIdx.x; b < row_bytes; b += blockDim.x) dst[r * row_bytes + b] = cache[phys * row_bytes + b];
  }
}

class MlaGenerationLayer final : public MockLayerBase {
public:
  MlaGenerationLayer() : MockLayerBase("aiconf_sparse_mla_wgmma_dense") {}

protected:
  void configure(const Params& p, cudaStream_t stream) override {
    s_ = GenShape::from(p);
    const std::int64_t T = s_.tokens();
    const int row_bytes = kv_cache_row_bytes(s_.format);
    pages_per_seq_ = (s_.keys() + kPage - 1) / kPage;
    const std::int64_t pages = s_.batch * pages_per_seq_;
    q_stride_ = T * s_.heads * 576;  // bf16 elements per q set
    const std::size_t set_bytes = std::size_t(pages) * kPage * row_bytes + q_stride_ * 2;
    sets_ = static_cast<std::int64_t>((kMinWorkingSetBytes + set_bytes - 1) / set_bytes);
    if (sets_ > kMaxSets) sets_ = 1;  // tiny caches: one set, the harness flushes L2 instead
    current_ = 0;
    q_.resize(sets_ * q_stride_ * 2);
    cache_.resize(std::size_t(sets_) * pages * kPage * row_bytes);
    out_.resize(T * s_.heads * 512 * 2);
    lse_.resize(T * s_.heads * 4);
    fill_uniform_bf16(q_.get(), q_.bytes() / 2, 91, -1.f, 1.f, stream);
    if (s_.format == KvCacheFormat::kBf16) {
      fill_uniform_bf16(cache_.get(), cache_.bytes() / 2, 92, -1.f, 1.f, stream);
    } else {
      fill_mla_fp8_cache(cache_.get(), sets_ * pages * kPage, 92, stream);
    }
    // Each set owns pages [set * pages, (set + 1) * pages), shuffled, as a paged pool would be.
    std::vector<std::int32_t> table(sets_ * pages);
    std::mt19937 rng(17);
    for (std::int64_t set = 0; set < sets_; ++set) {
      auto first = table.begin() + set * pages;
      std::iota(first, first + pages, static_cast<std::int32_t>(set * pages));
      std::shuffle(first, first + pages, rng);
    }
    // Causal lengths: new token i of a sequence sees the cache plus new tokens 0..i.
    std::vector<std::int32_t> lens(T);
    for (std::int64_t t = 0; t < T; ++t) lens[t] = static_cast<std::int32_t>(s_.step + t % s_.isl + 1);
    table_.resize(table.size() * 4);
    lens_.resize(lens.size() * 4);
    AICONF_CUDA_CHECK(cudaMemcpyAsync(table_.get(), table.data(), table.size() * 4, cudaMemcpyHostToDevice, stream));
    AICONF_CUDA_CHECK(cudaMemcpyAsync(lens_.get(), lens.data(), lens.size() * 4, cudaMemcpyHostToDevice, stream));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));  // host vectors end here
    params_ = build_params();
    if (const char* why = sparse_mla_check(params_)) throw Error(std::string("mla_generation: the sparse MLA kernel refuses the shape: ") + why);
    workspace_.resize(sparse_mla_workspace_bytes(params_));
  }

  SparseMlaParams build_params() const {
    SparseMlaParams p;
    p.num_tokens = static_cast<int>(s_.tokens());
    p.num_heads = s_.heads;
    p.head_dim_qk = s_.kv_lora + s_.rope;
    p.head_dim_v = s_.kv_lora;
    p.topk = static_cast<int>(s_.keys());
    p.tokens_per_seq = static_cast<int>(s_.isl);
    p.sm_scale = 1.0f / std::sqrt(static_cast<float>(s_.nope + s_.rope));  // MHA-mode head dim, as the model uses
    p.q = q_.get<__nv_bfloat16>() + current_ * q_stride_;
    p.kv_cache = cache_.get();
    p.kv_format = s_.format;
    p.kv_seq_len = static_cast<int>(s_.keys());
    p.block_table = table_.get<std::int32_t>() + current_ * s_.batch * pages_per_seq_;
    p.block_table_stride = static_cast<int>(pages_per_seq_);
    p.page_size = kPage;
    p.dense_keys = true;
    p.topk_lengths = lens_.get<std::int32_t>();
    p.out = out_.get<__nv_bfloat16>();
    p.lse = lse_.get<float>();
    return p;
  }

  void enqueue(cudaStream_t stream) override {
    nvtxRangePushA(s_.format == KvCacheFormat::kBf16 ? "mla_generation.dense_bf16" : "mla_generation.dense_fp8");
    const cudaError_t e = launch_sparse_mla(params_, workspace_.get(), stream);
    nvtxRangePop();
    AICONF_CUDA_CHECK(e);
  }

  bool rotate_inputs() noexcept override {
    if (sets_ <= 1) return false;
    current_ = (current_ + 1) % sets_;
    params_ = build_params();  // same split factor and workspace: only q and block_table move
    return true;
  }

  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(out_.get(), out_.bytes(), 0xFF, stream);  // bf16 NaN poison
    fill_bytes(lse_.get(), lse_.bytes(), 0xFF, stream);  // fp32 NaN poison
    enqueue(stream);
    const std::int64_t T = s_.tokens();
    const int row_bytes = kv_cache_row_bytes(s_.format);
    // Every output must be written: scan the whole (small) lse and the sampled out rows below.
    const auto lse_all = to_host<float>(lse_.get(), T * s_.heads, stream);
    std::int64_t unwritten = 0;
    for (float v : lse_all) unwritten += std::isnan(v);

    std::vector<std::int64_t> tokens{0, T / 2, T - 1};
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    std::vector<int> heads;
    for (int j = 0; j < std::min(kCheckedHeads, s_.heads); ++j) heads.push_back(j * s_.heads / std::min(kCheckedHeads, s_.heads));
    const int nh = static_cast<int>(heads.size()), ns = static_cast<int>(tokens.size());
    const std::int64_t max_vis = s_.keys();
    // One reference problem: sample i is "sequence" i with its own block of max_vis gathered rows.
    std::vector<float> kv(std::size_t(ns) * max_vis * 576, 0.f), q(std::size_t(ns) * nh * 576);
    std::vector<std::int32_t> idx(std::size_t(ns) * max_vis), lens(ns);
    const std::int32_t* table_set = table_.get<std::int32_t>() + current_ * s_.batch * pages_per_seq_;
    DeviceBuffer dense(std::size_t(max_vis) * row_bytes);
    for (int i = 0; i < ns; ++i) {
      const std::int64_t t = tokens[i], seq = t / s_.isl, vis = s_.step + t % s_.isl + 1;
      lens[i] = static_cast<std::int32_t>(vis);
      std::iota(idx.begin() + i * max_vis, idx.begin() + (i + 1) * max_vis, 0);
      gather_pages<<<1024, 256, 0, stream>>>(cache_.get<std::uint8_t>(), row_bytes, table_set + seq * pages_per_seq_, vis,
                                             dense.get<std::uint8_t>());
      AICONF_CUDA_CHECK(cudaGetLastError());
      const auto rows = to_host<std::uint8_t>(dense.get(), std::size_t(vis) * row_bytes, stream);
      float* dst = kv.data() + std::size_t(i) * max_vis * 576;
      for (std::int64_t r = 0; r < vis; ++r) {
        if (s_.format == KvCacheFormat::kBf16) {
          for (int d = 0; d < 576; ++d) {
            std::uint16_t b;
            std::memcpy(&b, &rows[r * row_bytes + d * 2], 2);
            dst[r * 576 + d] = ref::bf16_to_float(b);
          }
        } else {
          ref::dequantize_fp8_row(&rows[r * row_bytes], dst + r * 576);
        }
      }
      const auto qb = to_host<std::uint16_t>(params_.q + t * s_.heads * 576, std::size_t(s_.heads) * 576, stream);
      for (int h = 0; h < nh; ++h)
        for (int d = 0; d < 576; ++d) q[(std::size_t(i) * nh + h) * 576 + d] = ref::bf16_to_float(qb[heads[h] * 576 + d]);
    }
    ref::ReferenceProblem rp;
    rp.num_tokens = ns;
    rp.num_heads = nh;
    rp.topk = static_cast<int>(max_vis);
    rp.tokens_per_seq = 1;
    rp.sm_scale = params_.sm_scale;
    rp.q = q.data();
    rp.kv = kv.data();
    rp.kv_seq_stride = max_vis;
    rp.kv_seq_len = static_cast<int>(max_vis);
    rp.indices = idx.data();
    rp.topk_lengths = lens.data();
    std::vector<float> r_out(std::size_t(ns) * nh * 512), r_lse(std::size_t(ns) * nh);
    ref::sparse_mla_reference(rp, r_out.data(), r_lse.data(), {}, ns);

    std::vector<double> got, want;
    double lse_err = 0;
    for (int i = 0; i < ns; ++i) {
      const auto ob = to_host<std::uint16_t>(out_.get<std::uint16_t>() + tokens[i] * s_.heads * 512, std::size_t(s_.heads) * 512, stream);
      for (std::uint16_t b : ob) unwritten += std::isnan(ref::bf16_to_float(b));
      for (int h = 0; h < nh; ++h) {
        for (int d = 0; d < 512; ++d) {
          got.push_back(ref::bf16_to_float(ob[heads[h] * 512 + d]));
          want.push_back(r_out[(std::size_t(i) * nh + h) * 512 + d]);
        }
        const double l = lse_all[tokens[i] * s_.heads + heads[h]];
        lse_err = std::max(lse_err, std::isfinite(l) ? std::abs(l - r_lse[std::size_t(i) * nh + h]) : 1e30);
      }
    }
    CheckReport c;
    c.max_rel_error = relative_l2_error(got.data(), want.data(), got.size());
    c.passed = c.max_rel_error <= 1e-2 && lse_err <= 1e-2 && unwritten == 0;
    c.details = std::string("dense MLA decode (") + (s_.format == KvCacheFormat::kBf16 ? "bf16" : "fp8 656 B") + " paged cache, " +
                std::to_string(sets_) + " set(s), split " + std::to_string(sparse_mla_num_splits(params_)) + ") tokens first/middle/last x " +
                std::to_string(nh) + " heads over " + std::to_string(max_vis) + " keys: relative L2 error " +
                std::to_string(c.max_rel_error) + " (tolerance 1e-2), max lse error " + std::to_string(lse_err) + ", " +
                std::to_string(unwritten) + " unwritten";
    return c;
  }

  void free_buffers() noexcept override { q_ = {}, cache_ = {}, out_ = {}, lse_ = {}, table_ = {}, lens_ = {}, workspace_ = {}; }

private:
  GenShape s_;
  std::int64_t pages_per_seq_ = 0, sets_ = 1, current_ = 0;
  std::size_t q_stride_ = 0;
  SparseMlaParams params_;
  DeviceBuffer q_, cache_, out_, lse_, table_, lens_, workspace_;
};

}  // namespace

void register_mla_generation_mock_layer(Registrar& r) {
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<MlaGenerationLayer>(
      "mla_generation", "mla_generation",
      "dense MLA decode over the whole paged latent cache (bf16 or FP8 656 B): sparse MLA wgmma kernel in dense mode")));
}

}  // namespace aiconf::mla
