// CUDA mock layer of one whole DSA attention block (DeepSeek-V3.2 style), composed from the same
// kernel libraries as the op-level mock layers, so that module latency and the sum of op latencies
// can be compared (alignment):
//   fused q_a + kv_a GEMM -> q_b GEMM -> absorption BMM (q_nope -> latent) -> latent KV cache write
//   indexer: wq_b GEMM, wk GEMM, weights_proj GEMM, FP8 quantization of q and k, head-weight fold,
//            FP8 logits, top-k
//   sparse MLA over the selected keys -> absorption BMM (latent -> v) -> o_proj GEMM.
// Not modelled (small, memory-bound): RMSNorm/LayerNorm of the latents and of the indexer key,
// RoPE, and in generation the scatter of the new tokens into the paged caches. The GEMMs run in
// bf16 or with FP8 128x128 block scales (gemm_type); the BMMs stay in bf16.
#include "sparse_mla_mock_layers.h"

#include <aiconf/dsa/indexer_logits.h>
#include <aiconf/dsa/topk.h>
#include <aiconf/gemm/fp8_quantize.h>
#include <aiconf/gemm/gemm_runner.h>
#include <aiconf/sparse_mla/sparse_mla.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/linear_layer.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/prefill_chunks.h>
#include <aiconf_plugins/random_fill.h>

#include <cublas_v2.h>
#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace aiconf::sparse_mla {
using namespace aiconf::plugins;

namespace {

constexpr int kPage = 64;

#define AICONF_CUBLAS_CHECK(call)                                                                   \
  do {                                                                                              \
    cublasStatus_t st_ = (call);                                                                    \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                               \
      throw Error(std::string(#call) + " failed: cuBLAS status " + std::to_string(static_cast<int>(st_))); \
  } while (0)

struct ModuleShape {
  std::int64_t hidden = 0, q_lora = 0, kv_lora = 0, nope = 0, rope = 0, v = 0;
  std::int64_t heads = 0, index_heads = 0, index_dim = 0, topk = 0;
  std::int64_t batch = 0, isl = 0, step = 0;
  gemm::GemmDtype gemm = gemm::GemmDtype::kBf16;
  std::int64_t tokens() const { return batch * isl; }
  std::int64_t keys() const { return step + isl; }
  static ModuleShape from(const Params& p) {
    ModuleShape s;
    s.hidden = p.integer("hidden_size");
    s.q_lora = p.integer("q_lora_rank");
    s.kv_lora = p.integer("kv_lora_rank");
    s.nope = p.integer("qk_nope_head_dim");
    s.rope = p.integer("qk_rope_head_dim");
    s.v = p.integer("v_head_dim");
    s.heads = p.integer("num_heads");
    s.index_heads = p.integer("index_n_heads");
    s.index_dim = p.integer("index_head_dim");
    s.topk = p.integer("index_topk");
    s.batch = p.integer("batch_size");
    s.isl = p.integer("isl");
    s.step = p.integer_or("step", 0);
    const std::string g = p.text_or("gemm_type", "bfloat16");
    if (g == "fp8_block") s.gemm = gemm::GemmDtype::kFp8Block;
    else if (g != "bfloat16") throw Error("gemm_type must be bfloat16 or fp8_block, got '" + g + "'");
    if (s.q_lora <= 0) throw Error("the DSA module mock layer needs q_lora_rank > 0");
    if (p.text_or("kv_cache_dtype", "bfloat16") != "bfloat16") throw Error("the DSA module mock layer models a bf16 latent cache");
    return s;
  }
};

// w_f32[t, h] = bf16 weights_proj output * the FP8 scale of q[t, h] (the indexer folds the q scale
// into the head weight).
__global__ void fold_head_weights(const __nv_bfloat16* w, const float* q_scale, float* out, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < n; i += std::int64_t(gridDim.x) * blockDim.x)
    out[i] = __bfloat162float(w[i]) * q_scale[i];
}

// The new tokens' latent KV (the tail of the fused a-projection output) into their cache rows:
// token i of sequence j goes to row j * keys + step + i.
__global__ void write_latent_cache(const std::uint16_t* a_out, std::int64_t a_ld, std::int64_t a_offset, std::uint16_t* cache,
                                   std::int64_t width, std::int64_t tokens, std::int64_t isl, std::int64_t step,
                                   std::int64_t keys) {
  const std::int64_t total = tokens * width;
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < total; i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t t = i / width, c = i % width;
    cache[((t / isl) * keys + step + t % isl) * width + c] = a_out[t * a_ld + a_offset + c];
  }
}

// The logit of each selected key, for comparing two top-k results up to ties: slot j of token row r
// (of a chunk: sequence r / isl, whose keys start at column (r / isl) * keys) -> its logit, or
// -inf for an empty slot (-1).
__global__ void gather_topk_logits(const float* logits, std::int64_t ld, std::int64_t keys, std::int64_t isl,
                                   const std::int32_t* indices, std::int64_t k, std::int64_t rows, float* out) {
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < rows * k; i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t r = i / k;
    const std::int32_t v = indices[i];
    out[i] = v < 0 ? -INFINITY : logits[r * ld + (r / isl) * keys + v];
  }
}

class DsaModuleLayer : public MockLayerBase {
public:
  explicit DsaModuleLayer(bool generation) : MockLayerBase("aiconf_dsa_module"), generation_(generation) {}

protected:
  void configure(const Params& p, cudaStream_t stream) override {
    s_ = ModuleShape::from(p);
    const std::int64_t T = s_.tokens(), Tr = gemm::gemm_rows_allocated(s_.gemm, T);
    const std::int64_t qk_mqa = s_.kv_lora + s_.rope;
    if (!dsa::indexer_logits_supported(static_cast<int>(s_.index_heads), static_cast<int>(s_.index_dim)))
      throw Error("indexer logits kernel has no instance for index_n_heads=" + std::to_string(s_.index_heads));
    // Activations (rows padded for the FP8 block GEMM's multiple-of-4 rule).
    x_.resize(Tr * s_.hidden * 2);
    fill_uniform_bf16(x_.get(), Tr * s_.hidden, 51, -1.f, 1.f, stream);
    a_out_.resize(Tr * (s_.q_lora + qk_mqa) * 2);
    q_lat_.resize(Tr * s_.q_lora * 2);
    q_b_out_.resize(Tr * s_.heads * (s_.nope + s_.rope) * 2);
    q_mqa_.resize(T * s_.heads * qk_mqa * 2);
    iq_.resize(Tr * s_.index_heads * s_.index_dim * 2);
    ik_.resize(Tr * s_.index_dim * 2);
    iw_.resize(Tr * s_.index_heads * 2);
    iq8_.resize(T * s_.index_heads * s_.index_dim);
    iq_scale_.resize(gemm::act_scale_ld(T * s_.index_heads) * 4);
    iw_f32_.resize(T * s_.index_heads * 4);
    ik8_.resize(T * s_.index_dim);
    ik_scale_.resize(gemm::act_scale_ld(T) * 4);
    attn_.resize(T * s_.heads * s_.kv_lora * 2);
    attn_v_.resize(Tr * s_.heads * s_.v * 2);
    out_.resize(Tr * s_.hidden * 2);
    indices_.resize(T * s_.topk * 4);

    fused_a_.init(T, s_.q_lora + qk_mqa, s_.hidden, s_.gemm, 61, stream);
    q_b_.init(T, s_.heads * (s_.nope + s_.rope), s_.q_lora, s_.gemm, 62, stream);
    wq_b_.init(T, s_.index_heads * s_.index_dim, s_.q_lora, s_.gemm, 63, stream);
    wk_.init(T, s_.index_dim, s_.hidden, s_.gemm, 64, stream);
    weights_proj_.init(T, s_.index_heads, s_.hidden, gemm::GemmDtype::kBf16, 65, stream);
    o_proj_.init(T, s_.hidden, s_.heads * s_.v, s_.gemm, 66, stream);
    w_uk_.resize(s_.heads * s_.nope * s_.kv_lora * 2);
    w_uv_.resize(s_.heads * s_.kv_lora * s_.v * 2);
    fill_uniform_bf16(w_uk_.get(), s_.heads * s_.nope * s_.kv_lora, 67, -0.05f, 0.05f, stream);
    fill_uniform_bf16(w_uv_.get(), s_.heads * s_.kv_lora * s_.v, 68, -0.05f, 0.05f, stream);
    // q_lat is the normalized q_a output; the mock feeds random values of the same shape.
    fill_uniform_bf16(q_lat_.get(), Tr * s_.q_lora, 69, -1.f, 1.f, stream);

    // Caches: latent (bf16, 576 per token) and index (fp8 + fp32 scale), prefixes random.
    const std::int64_t rows_per_seq = generation_ ? (s_.keys() + kPage - 1) / kPage * kPage : s_.keys();
    cache_rows_ = s_.batch * rows_per_seq;
    cache_.resize(cache_rows_ * qk_mqa * 2);
    fill_uniform_bf16(cache_.get(), cache_rows_ * qk_mqa, 70, -1.f, 1.f, stream);
    if (generation_) {
      index_pool_.resize(cache_rows_ * (s_.index_dim + 4));
      fill_uniform_fp8(index_pool_.get(), index_pool_.bytes(), 71, -4.f, 4.f, stream);
      // Scales live after each page's keys; make them sane (the fp8 fill above gave random bytes).
      for_each_page_scale(stream);
      std::vector<std::int32_t> table(cache_rows_ / kPage), lens(s_.batch, static_cast<std::int32_t>(s_.keys()));
      std::iota(table.begin(), table.end(), 0);
      std::shuffle(table.begin(), table.end(), std::mt19937(5));
      table_.resize(table.size() * 4);
      lens_.resize(lens.size() * 4);
      AICONF_CUDA_CHECK(cudaMemcpyAsync(table_.get(), table.data(), table.size() * 4, cudaMemcpyHostToDevice, stream));
      AICONF_CUDA_CHECK(cudaMemcpyAsync(lens_.get(), lens.data(), lens.size() * 4, cudaMemcpyHostToDevice, stream));
      ld_logits_ = (s_.keys() + 3) / 4 * 4;
      logits_.resize(T * ld_logits_ * 4);
      row_lens_.resize(T * 4);
      std::vector<std::int32_t> rl(T);
      for (std::int64_t t = 0; t < T; ++t) rl[t] = static_cast<std::int32_t>(s_.step + t % s_.isl + 1);
      AICONF_CUDA_CHECK(cudaMemcpyAsync(row_lens_.get(), rl.data(), T * 4, cudaMemcpyHostToDevice, stream));
      AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
      block_table_stride_ = static_cast<int>(rows_per_seq / kPage);
    } else {
      index_k_.resize(cache_rows_ * s_.index_dim);
      index_scale_.resize(cache_rows_ * 4);
      fill_uniform_fp8(index_k_.get(), index_k_.bytes(), 72, -4.f, 4.f, stream);
      fill_uniform_f32(index_scale_.get<float>(), cache_rows_, 73, 0.5f, 1.5f, stream);
      // Logits in chunks of sequences, as in the op-level mock layer (prefill_chunks.h).
      chunks_.plan(s_.batch, s_.isl, s_.step, stream);
      ld_logits_ = chunks_.ld;
      logits_.resize(chunks_.logits_bytes(s_.isl));
      topk_rows_.resize(chunks_.chunk * s_.topk * 4);
    }
    gemm_workspace_.resize(gemm::GemmRunner::workspace_bytes());
    if (!cublas_) AICONF_CUBLAS_CHECK(cublasCreate(&cublas_));
    AICONF_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
    mla_ = mla_params();
    if (const char* why = sparse_mla_check(mla_)) throw Error(std::string("sparse MLA refuses the module shape: ") + why);
    mla_workspace_.resize(sparse_mla_workspace_bytes(mla_));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  void for_each_page_scale(cudaStream_t stream) {
    const std::int64_t pages = cache_rows_ / kPage;
    const std::int64_t page_bytes = kPage * (s_.index_dim + 4);
    // One 2-D fill: the scale block of every page (64 floats at offset 64*D of each page).
    DeviceBuffer scales(pages * kPage * 4);
    fill_uniform_f32(scales.get<float>(), pages * kPage, 74, 0.5f, 1.5f, stream);
    AICONF_CUDA_CHECK(cudaMemcpy2DAsync(index_pool_.get<std::uint8_t>() + kPage * s_.index_dim, page_bytes, scales.get(),
                                        kPage * 4, kPage * 4, pages, cudaMemcpyDeviceToDevice, stream));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  SparseMlaParams mla_params() const {
    SparseMlaParams p;
    p.num_tokens = static_cast<int>(s_.tokens());
    p.num_heads = static_cast<int>(s_.heads);
    p.head_dim_qk = static_cast<int>(s_.kv_lora + s_.rope);
    p.head_dim_v = static_cast<int>(s_.kv_lora);
    p.topk = static_cast<int>(s_.topk);
    p.tokens_per_seq = static_cast<int>(s_.isl);
    p.sm_scale = 1.0f / std::sqrt(static_cast<float>(s_.nope + s_.rope));
    p.q = q_mqa_.get<__nv_bfloat16>();
    p.kv_cache = cache_.get();
    p.kv_format = KvCacheFormat::kBf16;
    p.kv_seq_len = static_cast<int>(s_.keys());
    if (generation_) {
      p.block_table = table_.get<std::int32_t>();
      p.block_table_stride = block_table_stride_;
      p.page_size = kPage;
    } else {
      p.kv_seq_stride = s_.keys();
    }
    p.indices = indices_.get<std::int32_t>();
    p.out = attn_.get<__nv_bfloat16>();
    return p;
  }

  // Per-head batched y_i = x_i W_i over heads (row-major views; cuBLAS is column-major, so each
  // product is computed transposed: y_i^T = W_i^T x_i^T).
  void batched_heads(const void* x, std::int64_t ldx, std::int64_t x_head_stride, const void* w, std::int64_t k,
                     std::int64_t n, void* y, std::int64_t ldy, std::int64_t y_head_stride, cudaStream_t stream) {
    const float one = 1.f, zero = 0.f;
    AICONF_CUBLAS_CHECK(cublasSetStream(cublas_, stream));
    AICONF_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        cublas_, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(s_.tokens()), static_cast<int>(k), &one, w,
        CUDA_R_16BF, static_cast<int>(n), k * n, x, CUDA_R_16BF, static_cast<int>(ldx), x_head_stride, &zero, y, CUDA_R_16BF,
        static_cast<int>(ldy), y_head_stride, static_cast<int>(s_.heads), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }

  void enqueue(cudaStream_t stream) override {
    const std::int64_t T = s_.tokens(), qk_mqa = s_.kv_lora + s_.rope, qk_mha = s_.nope + s_.rope;
    void* ws = gemm_workspace_.get();
    // Projections from the hidden state.
    fused_a_.run(runner_, ws, x_.get(), a_out_.get(), stream);
    wk_.run(runner_, ws, x_.get(), ik_.get(), stream);
    weights_proj_.run(runner_, ws, x_.get(), iw_.get(), stream);
    // Query path: q_b, then absorb W_UK into the latent query (heads batched).
    q_b_.run(runner_, ws, q_lat_.get(), q_b_out_.get(), stream);
    batched_heads(q_b_out_.get(), s_.heads * qk_mha, qk_mha, w_uk_.get(), s_.nope, s_.kv_lora, q_mqa_.get(), s_.heads * qk_mqa,
                  qk_mqa, stream);
    // Latent KV of the new tokens into the cache (context: each sequence's rows after its prefix).
    if (!generation_) {
      write_latent_cache<<<512, 256, 0, stream>>>(a_out_.get<std::uint16_t>(), s_.q_lora + qk_mqa, s_.q_lora,
                                                  cache_.get<std::uint16_t>(), qk_mqa, T, s_.isl, s_.step, s_.keys());
      AICONF_CUDA_CHECK(cudaGetLastError());
    }
    // Indexer: q and k to FP8 with per-(token, head) / per-token scales, head weights folded.
    wq_b_.run(runner_, ws, q_lat_.get(), iq_.get(), stream);
    AICONF_CUDA_CHECK(gemm::quantize_fp8_per_token_group(iq_.get(), iq8_.get<std::uint8_t>(), iq_scale_.get<float>(),
                                                         T * s_.index_heads, s_.index_dim, stream));
    AICONF_CUDA_CHECK(gemm::quantize_fp8_per_token_group(ik_.get(), ik8_.get<std::uint8_t>(), ik_scale_.get<float>(), T,
                                                         s_.index_dim, stream));
    fold_head_weights<<<256, 256, 0, stream>>>(iw_.get<__nv_bfloat16>(), iq_scale_.get<float>(), iw_f32_.get<float>(),
                                               T * s_.index_heads);
    AICONF_CUDA_CHECK(cudaGetLastError());
    if (generation_) indexer_generation(stream);
    else indexer_context(stream);
    // Sparse MLA over the selected keys, then W_UV per head and the output projection.
    AICONF_CUDA_CHECK(launch_sparse_mla(mla_, mla_workspace_.get(), stream));
    batched_heads(attn_.get(), s_.heads * s_.kv_lora, s_.kv_lora, w_uv_.get(), s_.kv_lora, s_.v, attn_v_.get(), s_.heads * s_.v,
                  s_.v, stream);
    o_proj_.run(runner_, ws, attn_v_.get(), out_.get(), stream);
  }

  void indexer_context(cudaStream_t stream) {
    for (std::int64_t first = 0; first < s_.batch; first += chunks_.chunk) {
      const std::int64_t seqs = std::min(chunks_.chunk, s_.batch - first);
      context_logits(first, seqs, stream);
      // Fewer launches either way: one per position when the chunk has more sequences than positions.
      context_topk(first, seqs, s_.isl < seqs, indices_.get<std::int32_t>(), stream);
    }
  }

  /// Indexer logits of the chunk of `seqs` sequences starting at `first` into logits_: row t of
  /// sequence j holds its keys at columns [j * keys, j * keys + step + t + 1).
  void context_logits(std::int64_t first, std::int64_t seqs, cudaStream_t stream) {
    dsa::IndexerLogitsContextArgs a;
    a.q = iq8_.get<std::uint8_t>() + first * s_.isl * s_.index_heads * s_.index_dim;
    a.weights = iw_f32_.get<float>() + first * s_.isl * s_.index_heads;
    a.k_fp8 = index_k_.get<std::uint8_t>() + first * s_.keys() * s_.index_dim;
    a.k_scale = index_scale_.get<float>() + first * s_.keys();
    a.ks = chunks_.ks.get<std::int32_t>();
    a.ke = chunks_.ke.get<std::int32_t>();
    a.logits = logits_.get<float>();
    a.ld_logits = ld_logits_;
    a.n_tokens = static_cast<int>(seqs * s_.isl);
    a.n_keys = a.n_cols = static_cast<int>(seqs * s_.keys());
    a.n_heads = static_cast<int>(s_.index_heads);
    a.head_dim = static_cast<int>(s_.index_dim);
    a.fill_masked = false;
    AICONF_CUDA_CHECK(dsa::launch_indexer_logits_context(a, stream));
  }

  /// Top-k of the chunk's logits into `indices` (token-major [tokens, topk]). Per sequence: one
  /// launch over its isl rows, whose columns start at its own key offset. Per position (`by_position`):
  /// row t of every sequence of the chunk is equally spaced (stride isl * ld + keys) with the same
  /// length step + t + 1, so one launch covers the chunk's row t (that engines batch the top-k over
  /// sequences is what makes many short prefills cheap); for isl > 1 its rows go through
  /// topk_rows_ and a 2-D copy into their token slots.
  void context_topk(std::int64_t first, std::int64_t seqs, bool by_position, std::int32_t* indices, cudaStream_t stream) {
    const std::int64_t keys = s_.keys(), k = s_.topk;
    dsa::TopkProblem t;
    t.k = static_cast<std::int32_t>(k);
    if (!by_position) {
      for (std::int64_t j = 0; j < seqs; ++j) {
        t.logits = logits_.get<float>() + j * s_.isl * ld_logits_ + j * keys;
        t.indices = indices + (first + j) * s_.isl * k;
        t.rows = s_.isl;
        t.cols = keys;
        t.ld = ld_logits_;
        t.causal = true;
        t.causal_offset = s_.step;
        AICONF_CUDA_CHECK(dsa::launch_topk(t, nullptr, 0, stream));
      }
      return;
    }
    for (std::int64_t pos = 0; pos < s_.isl; ++pos) {
      std::int32_t* dst = indices + (first * s_.isl + pos) * k;
      t.logits = logits_.get<float>() + pos * ld_logits_;
      t.indices = s_.isl == 1 ? dst : topk_rows_.get<std::int32_t>();
      t.rows = seqs;
      t.cols = s_.step + pos + 1;
      t.ld = s_.isl * ld_logits_ + keys;
      AICONF_CUDA_CHECK(dsa::launch_topk(t, nullptr, 0, stream));
      if (s_.isl > 1)
        AICONF_CUDA_CHECK(cudaMemcpy2DAsync(dst, s_.isl * k * 4, topk_rows_.get(), k * 4, k * 4, seqs,
                                            cudaMemcpyDeviceToDevice, stream));
    }
  }

  void indexer_generation(cudaStream_t stream) {
    dsa::IndexerLogitsGenerationArgs a;
    a.q = iq8_.get();
    a.weights = iw_f32_.get<float>();
    a.context_lens = lens_.get<std::int32_t>();
    a.layout = dsa::IndexCacheLayout::kPaged;
    a.kv_pool = index_pool_.get();
    a.block_table = table_.get<std::int32_t>();
    a.block_table_stride = block_table_stride_;
    a.num_pages = static_cast<int>(cache_rows_ / kPage);
    a.page_size = kPage;
    a.logits = logits_.get<float>();
    a.ld_logits = ld_logits_;
    a.batch = static_cast<int>(s_.batch);
    a.n_next = static_cast<int>(s_.isl);
    a.max_context_len = static_cast<int>(s_.keys());
    a.n_heads = static_cast<int>(s_.index_heads);
    a.head_dim = static_cast<int>(s_.index_dim);
    a.fill_masked = false;
    AICONF_CUDA_CHECK(dsa::launch_indexer_logits_generation(a, stream));
    dsa::TopkProblem t;
    t.logits = logits_.get<float>();
    t.row_lengths = row_lens_.get<std::int32_t>();
    t.indices = indices_.get<std::int32_t>();
    t.rows = s_.tokens();
    t.cols = s_.keys();
    t.ld = ld_logits_;
    t.k = static_cast<std::int32_t>(s_.topk);
    AICONF_CUDA_CHECK(dsa::launch_topk(t, nullptr, 0, stream));
  }

  // The stages are checked against CPU references by their own mock layers; here the chain must
  // produce a fully written, finite output and in-range top-k indices.
  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(out_.get(), out_.bytes(), 0xFF, stream);
    fill_bytes(indices_.get(), indices_.bytes(), 0x7F, stream);
    enqueue(stream);
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
    const std::int64_t T = s_.tokens();
    std::vector<std::uint16_t> out(T * s_.hidden);
    AICONF_CUDA_CHECK(cudaMemcpy(out.data(), out_.get(), out.size() * 2, cudaMemcpyDeviceToHost));
    std::vector<std::int32_t> idx(T * s_.topk);
    AICONF_CUDA_CHECK(cudaMemcpy(idx.data(), indices_.get(), idx.size() * 4, cudaMemcpyDeviceToHost));
    std::int64_t bad_out = 0, bad_idx = 0;
    for (auto b : out) bad_out += (b & 0x7F80) == 0x7F80;  // bf16 Inf/NaN (and the 0xFFFF poison)
    for (std::int64_t t = 0; t < T; ++t) {
      const std::int64_t visible = s_.step + t % s_.isl + 1;
      for (std::int64_t j = 0; j < s_.topk; ++j) {
        const std::int32_t v = idx[t * s_.topk + j];
        bad_idx += !(v == -1 || (v >= 0 && v < visible));
      }
    }
    const std::int64_t layout_mismatch = generation_ ? 0 : topk_layouts_mismatch(stream);
    CheckReport c;
    c.passed = bad_out == 0 && bad_idx == 0 && layout_mismatch == 0;
    c.max_rel_error = c.passed ? 0 : 1;
    c.details = "DSA module: " + std::to_string(bad_out) + " non-finite/unwritten outputs of " + std::to_string(out.size()) +
                ", " + std::to_string(bad_idx) + " out-of-range top-k indices (stages are checked by their own mock layers)";
    if (!generation_)
      c.details += ", " + std::to_string(layout_mismatch) +
                   " rows whose top-k logits differ between the per-sequence and the per-position launches";
    return c;
  }

  /// Context: recomputes every chunk's logits and takes the top-k both ways (per sequence, per
  /// position), whatever enqueue() picks for this shape. Returns the rows whose selections differ
  /// other than by ties: different index sets must select the same multiset of logits (the FP8
  /// indexer's logits tie now and then, and either key of a tie at the k-th place is a right answer).
  /// The indices are poisoned differently, so an unwritten slot cannot pass (nor index the logits:
  /// the poisons are checked before gathering).
  std::int64_t topk_layouts_mismatch(cudaStream_t stream) {
    const std::int64_t T = s_.tokens(), k = s_.topk;
    DeviceBuffer by_seq(T * k * 4), by_pos(T * k * 4), val_seq(T * k * 4), val_pos(T * k * 4);
    fill_bytes(by_seq.get(), by_seq.bytes(), 0x7F, stream);
    fill_bytes(by_pos.get(), by_pos.bytes(), 0x7E, stream);
    std::int64_t bad = 0;
    for (std::int64_t first = 0; first < s_.batch; first += chunks_.chunk) {
      const std::int64_t seqs = std::min(chunks_.chunk, s_.batch - first), rows = seqs * s_.isl, off = first * s_.isl * k;
      context_logits(first, seqs, stream);
      context_topk(first, seqs, false, by_seq.get<std::int32_t>(), stream);
      context_topk(first, seqs, true, by_pos.get<std::int32_t>(), stream);
      std::vector<std::int32_t> a(rows * k), b(rows * k);
      AICONF_CUDA_CHECK(cudaMemcpyAsync(a.data(), by_seq.get<std::int32_t>() + off, a.size() * 4, cudaMemcpyDeviceToHost, stream));
      AICONF_CUDA_CHECK(cudaMemcpyAsync(b.data(), by_pos.get<std::int32_t>() + off, b.size() * 4, cudaMemcpyDeviceToHost, stream));
      AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
      std::vector<char> row_ok(rows, 1);
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t visible = s_.step + r % s_.isl + 1;
        for (std::int64_t j = 0; j < k; ++j)
          for (std::int32_t v : {a[r * k + j], b[r * k + j]}) row_ok[r] &= v == -1 || (v >= 0 && v < visible);
      }
      for (std::int64_t r = 0; r < rows; ++r) bad += !row_ok[r];
      if (bad) continue;  // out-of-range indices: not gathered
      gather_topk_logits<<<256, 256, 0, stream>>>(logits_.get<float>(), ld_logits_, s_.keys(), s_.isl,
                                                  by_seq.get<std::int32_t>() + off, k, rows, val_seq.get<float>());
      gather_topk_logits<<<256, 256, 0, stream>>>(logits_.get<float>(), ld_logits_, s_.keys(), s_.isl,
                                                  by_pos.get<std::int32_t>() + off, k, rows, val_pos.get<float>());
      AICONF_CUDA_CHECK(cudaGetLastError());
      std::vector<float> va(rows * k), vb(rows * k);
      AICONF_CUDA_CHECK(cudaMemcpyAsync(va.data(), val_seq.get(), va.size() * 4, cudaMemcpyDeviceToHost, stream));
      AICONF_CUDA_CHECK(cudaMemcpyAsync(vb.data(), val_pos.get(), vb.size() * 4, cudaMemcpyDeviceToHost, stream));
      AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
      for (std::int64_t r = 0; r < rows; ++r) {
        std::sort(va.begin() + r * k, va.begin() + (r + 1) * k);
        std::sort(vb.begin() + r * k, vb.begin() + (r + 1) * k);
        bad += !std::equal(va.begin() + r * k, va.begin() + (r + 1) * k, vb.begin() + r * k);
      }
    }
    return bad;
  }

  void free_buffers() noexcept override {
    for (DeviceBuffer* b : {&x_, &a_out_, &q_lat_, &q_b_out_, &q_mqa_, &iq_, &ik_, &iw_, &iq8_, &iq_scale_, &iw_f32_, &ik8_,
                            &ik_scale_, &attn_, &attn_v_, &out_, &indices_, &w_uk_, &w_uv_, &cache_, &index_pool_, &table_,
                            &lens_, &logits_, &row_lens_, &index_k_, &index_scale_, &topk_rows_, &gemm_workspace_,
                            &mla_workspace_})
      b->release();
    chunks_.release();
    for (LinearLayer* l : {&fused_a_, &q_b_, &wq_b_, &wk_, &weights_proj_, &o_proj_}) *l = LinearLayer{};
  }

public:
  ~DsaModuleLayer() override {
    if (cublas_) cublasDestroy(cublas_);
  }

private:
  bool generation_;
  ModuleShape s_;
  gemm::GemmRunner runner_;
  cublasHandle_t cublas_ = nullptr;
  LinearLayer fused_a_, q_b_, wq_b_, wk_, weights_proj_, o_proj_;
  DeviceBuffer x_, a_out_, q_lat_, q_b_out_, q_mqa_, iq_, ik_, iw_, iq8_, iq_scale_, iw_f32_, ik8_, ik_scale_, attn_, attn_v_,
      out_, indices_, w_uk_, w_uv_, cache_, index_pool_, table_, lens_, logits_, row_lens_, index_k_, index_scale_,
      topk_rows_, gemm_workspace_, mla_workspace_;
  PrefillChunks chunks_;
  std::int64_t cache_rows_ = 0, ld_logits_ = 0;
  int block_table_stride_ = 0;
  SparseMlaParams mla_;
};

struct ContextModule final : DsaModuleLayer {
  ContextModule() : DsaModuleLayer(false) {}
};
struct GenerationModule final : DsaModuleLayer {
  GenerationModule() : DsaModuleLayer(true) {}
};

}  // namespace

void register_dsa_module_mock_layers(Registrar& r) {
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<ContextModule>(
      "dsa_context_module", "dsa_context_module", "one DSA attention block in prefill: projections, indexer, top-k, sparse MLA")));
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<GenerationModule>(
      "dsa_generation_module", "dsa_generation_module", "one DSA attention block in decode over paged caches")));
}

}  // namespace aiconf::sparse_mla
