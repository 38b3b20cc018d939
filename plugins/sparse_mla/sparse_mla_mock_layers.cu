// CUDA mock layers of sparse MLA (MQA mode over top-k selected keys): context (a batch of causal
// prefills over their own latent caches) and generation (s_q new tokens per sequence over a paged
// cache), with a bf16 or FP8 (656 B/token) cache, on random inputs and random top-k selections.
#include "sparse_mla_mock_layers.h"

#include <aiconf/sparse_mla/sparse_mla.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/host_copy.h>
#include <aiconf_plugins/mla_fp8_cache_fill.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/random_fill.h>
#include <sparse_mla_reference.h>

#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace aiconf::sparse_mla {
using namespace aiconf::plugins;

namespace {

constexpr int kPage = 64;

struct Shape {
  int heads = 0, topk = 0, kv_lora = 0, rope = 0;
  std::int64_t batch = 0, isl = 0, step = 0;
  KvCacheFormat format = KvCacheFormat::kBf16;
  std::int64_t keys() const { return step + isl; }
  static Shape from(const Params& p) {
    Shape s;
    s.heads = static_cast<int>(p.integer("num_heads"));
    s.topk = static_cast<int>(p.integer("index_topk"));
    s.kv_lora = static_cast<int>(p.integer("kv_lora_rank"));
    s.rope = static_cast<int>(p.integer("qk_rope_head_dim"));
    s.batch = p.integer("batch_size");
    s.isl = p.integer("isl");
    s.step = p.integer_or("step", 0);
    const std::string kv = p.text_or("kv_cache_dtype", "bfloat16");
    if (kv == "fp8" || kv == "fp8_e4m3") s.format = KvCacheFormat::kFp8E4m3Scaled;
    else if (kv != "bfloat16") throw Error("kv_cache_dtype must be bfloat16 or fp8, got '" + kv + "'");
    if (s.batch < 1 || s.isl < 1 || s.step < 0 || s.topk < 1) throw Error("bad sparse MLA shape: " + p.str());
    return s;
  }
};

// Top-k selections as an indexer would produce them: min(topk, visible) distinct keys among the
// `visible` ones, spread over the whole visible range (one per bucket of visible/topk keys).
__global__ void make_indices(int* indices, std::int64_t tokens, int tokens_per_seq, std::int64_t step, int topk) {
  const std::int64_t total = tokens * topk;
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < total; i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t t = i / topk, j = i % topk;
    const std::int64_t visible = step + t % tokens_per_seq + 1;
    int v = -1;
    if (visible <= topk) {
      v = j < visible ? static_cast<int>(j) : -1;
    } else {
      const std::int64_t lo = j * visible / topk, hi = (j + 1) * visible / topk;  // hi > lo
      v = static_cast<int>(lo + (i * 2654435761ull) % (hi - lo));
    }
    indices[i] = v;
  }
}

// Copies whole cache rows (row_bytes each) listed in `rows` into a dense buffer.
__global__ void gather_rows(const std::uint8_t* cache, int row_bytes, const std::int64_t* rows, int n, std::uint8_t* dst) {
  for (int r = blockIdx.x; r < n; r += gridDim.x)
    for (int b = threadIdx.x; b < row_bytes; b += blockDim.x) dst[std::int64_t(r) * row_bytes + b] = cache[rows[r] * row_bytes + b];
}

class SparseMlaLayer : public MockLayerBase {
public:
  explicit SparseMlaLayer(bool generation)
      : MockLayerBase("aiconf_sparse_mla_wgmma"), generation_(generation) {}

protected:
  void configure(const Params& p, cudaStream_t stream) override {
    s_ = Shape::from(p);
    const std::int64_t tokens = s_.batch * s_.isl;
    const int row_bytes = kv_cache_row_bytes(s_.format);
    // Generation: pages of 64 tokens scattered over one pool; context: each sequence contiguous.
    const std::int64_t rows_per_seq = generation_ ? (s_.keys() + kPage - 1) / kPage * kPage : s_.keys();
    const std::int64_t cache_rows = s_.batch * rows_per_seq;
    q_.resize(tokens * s_.heads * (s_.kv_lora + s_.rope) * 2);
    out_.resize(tokens * s_.heads * s_.kv_lora * 2);
    lse_.resize(tokens * s_.heads * 4);
    cache_.resize(cache_rows * row_bytes);
    indices_.resize(tokens * s_.topk * 4);
    fill_uniform_bf16(q_.get(), q_.bytes() / 2, 41, -1.f, 1.f, stream);
    if (s_.format == KvCacheFormat::kBf16) {
      fill_uniform_bf16(cache_.get(), cache_.bytes() / 2, 42, -1.f, 1.f, stream);
    } else {
      fill_mla_fp8_cache(cache_.get(), cache_rows, 42, stream);
    }
    make_indices<<<1024, 256, 0, stream>>>(indices_.get<int>(), tokens, static_cast<int>(s_.isl), s_.step, s_.topk);
    AICONF_CUDA_CHECK(cudaGetLastError());
    if (generation_) {
      const std::int64_t pages = cache_rows / kPage;
      std::vector<std::int32_t> table(pages);
      std::iota(table.begin(), table.end(), 0);
      std::shuffle(table.begin(), table.end(), std::mt19937(9));
      table_.resize(pages * 4);
      AICONF_CUDA_CHECK(cudaMemcpyAsync(table_.get(), table.data(), pages * 4, cudaMemcpyHostToDevice, stream));
      AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));  // `table` goes out of scope
    }
    params_ = build_params(rows_per_seq);
    if (const char* why = sparse_mla_check(params_)) throw Error(std::string("sparse MLA kernel refuses the shape: ") + why);
    workspace_.resize(sparse_mla_workspace_bytes(params_));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  SparseMlaParams build_params(std::int64_t rows_per_seq) const {
    SparseMlaParams p;
    p.num_tokens = static_cast<int>(s_.batch * s_.isl);
    p.num_heads = s_.heads;
    p.head_dim_qk = s_.kv_lora + s_.rope;
    p.head_dim_v = s_.kv_lora;
    p.topk = s_.topk;
    p.tokens_per_seq = static_cast<int>(s_.isl);
    p.sm_scale = 1.0f / std::sqrt(192.0f);  // (qk_nope + rope)^-1/2 of DeepSeek; the value does not change the cost
    p.q = q_.get<__nv_bfloat16>();
    p.kv_cache = cache_.get();
    p.kv_format = s_.format;
    p.kv_seq_len = static_cast<int>(s_.keys());
    if (generation_) {
      p.block_table = table_.get<std::int32_t>();
      p.block_table_stride = static_cast<int>(rows_per_seq / kPage);
      p.page_size = kPage;
    } else {
      p.kv_seq_stride = rows_per_seq;
    }
    p.indices = indices_.get<std::int32_t>();
    p.out = out_.get<__nv_bfloat16>();
    p.lse = lse_.get<float>();
    return p;
  }

  void enqueue(cudaStream_t stream) override { AICONF_CUDA_CHECK(launch_sparse_mla(params_, workspace_.get(), stream)); }

  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(out_.get(), out_.bytes(), 0xFF, stream);  // bf16 NaN poison
    enqueue(stream);
    const int row_bytes = kv_cache_row_bytes(s_.format), dqk = s_.kv_lora + s_.rope;
    const std::int64_t tokens = s_.batch * s_.isl;
    std::vector<double> got, ref;
    std::vector<std::int32_t> table;
    if (generation_) table = to_host<std::int32_t>(table_.get(), table_.bytes() / 4, stream);
    for (std::int64_t t : {std::int64_t(0), tokens / 2, tokens - 1}) {
      const std::int64_t seq = t / s_.isl;
      const auto idx = to_host<std::int32_t>(indices_.get<std::int32_t>() + t * s_.topk, s_.topk, stream);
      // Physical rows of the selected keys, gathered on the device into one dense block.
      std::vector<std::int64_t> phys;
      std::vector<std::int32_t> local(s_.topk, -1);
      for (int j = 0; j < s_.topk; ++j) {
        if (idx[j] < 0) continue;
        std::int64_t row = generation_
                               ? std::int64_t(table[seq * params_.block_table_stride + idx[j] / kPage]) * kPage + idx[j] % kPage
                               : seq * params_.kv_seq_stride + idx[j];
        local[j] = static_cast<std::int32_t>(phys.size());
        phys.push_back(row);
      }
      std::vector<float> kv(std::max<std::size_t>(phys.size(), 1) * dqk);
      if (!phys.empty()) {
        DeviceBuffer rows_d(phys.size() * 8), dense_d(phys.size() * row_bytes);
        AICONF_CUDA_CHECK(cudaMemcpyAsync(rows_d.get(), phys.data(), phys.size() * 8, cudaMemcpyHostToDevice, stream));
        gather_rows<<<256, 256, 0, stream>>>(cache_.get<std::uint8_t>(), row_bytes, rows_d.get<std::int64_t>(),
                                             static_cast<int>(phys.size()), dense_d.get<std::uint8_t>());
        AICONF_CUDA_CHECK(cudaGetLastError());
        const auto dense = to_host<std::uint8_t>(dense_d.get(), phys.size() * row_bytes, stream);
        for (std::size_t r = 0; r < phys.size(); ++r) {
          if (s_.format == KvCacheFormat::kBf16) {
            for (int d = 0; d < dqk; ++d) {
              std::uint16_t b;
              std::memcpy(&b, &dense[r * row_bytes + d * 2], 2);
              kv[r * dqk + d] = reference::bf16_to_float(b);
            }
          } else {
            reference::dequantize_fp8_row(&dense[r * row_bytes], &kv[r * dqk]);
          }
        }
      }
      const auto qb = to_host<std::uint16_t>(q_.get<std::uint16_t>() + t * s_.heads * dqk, std::size_t(s_.heads) * dqk, stream);
      std::vector<float> q(qb.size());
      for (std::size_t i = 0; i < qb.size(); ++i) q[i] = reference::bf16_to_float(qb[i]);
      reference::ReferenceProblem rp;
      rp.num_tokens = 1;
      rp.num_heads = s_.heads;
      rp.topk = s_.topk;
      rp.sm_scale = params_.sm_scale;
      rp.q = q.data();
      rp.kv = kv.data();
      rp.kv_seq_len = static_cast<int>(std::max<std::size_t>(phys.size(), 1));
      rp.indices = local.data();
      std::vector<float> r_out(std::size_t(s_.heads) * s_.kv_lora), r_lse(s_.heads);
      reference::sparse_mla_reference(rp, r_out.data(), r_lse.data(), {0}, 1);
      const auto ob = to_host<std::uint16_t>(out_.get<std::uint16_t>() + t * s_.heads * s_.kv_lora,
                                             std::size_t(s_.heads) * s_.kv_lora, stream);
      for (std::size_t i = 0; i < ob.size(); ++i) {
        got.push_back(reference::bf16_to_float(ob[i]));
        ref.push_back(r_out[i]);
      }
    }
    CheckReport c;
    c.max_rel_error = relative_l2_error(got.data(), ref.data(), got.size());
    c.passed = c.max_rel_error <= 1e-2;
    c.details = std::string("sparse MLA (") + (generation_ ? "generation, paged" : "context") +
                ") first/middle/last token: relative L2 error " + std::to_string(c.max_rel_error) + " (tolerance 1e-2)";
    return c;
  }

  void free_buffers() noexcept override {
    q_ = {}, out_ = {}, lse_ = {}, cache_ = {}, indices_ = {}, table_ = {}, workspace_ = {};
  }

private:
  bool generation_;
  Shape s_;
  SparseMlaParams params_;
  DeviceBuffer q_, out_, lse_, cache_, indices_, table_, workspace_;
};

struct ContextLayer final : SparseMlaLayer {
  ContextLayer() : SparseMlaLayer(false) {}
};
struct GenerationLayer final : SparseMlaLayer {
  GenerationLayer() : SparseMlaLayer(true) {}
};

}  // namespace

void register_sparse_mla_mock_layers(Registrar& r) {
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<ContextLayer>(
      "sparse_mla_context", "sparse_mla_context", "wgmma sparse MLA over causal top-k selections, contiguous latent caches")));
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<GenerationLayer>(
      "sparse_mla_generation", "sparse_mla_generation", "wgmma sparse MLA decode over a paged latent cache (bf16 or FP8 656 B)")));
  register_dsa_module_mock_layers(r);
}

}  // namespace aiconf::sparse_mla
