// CUDA mock layers of one whole dense-MLA attention block (DeepSeek-V3/R1), composed from the same
// kernels as the op-level mock layers, so module latency and the sum of op latencies can be compared:
//   generation (absorbed MQA mode): fused q_a + kv_a GEMM -> q_b GEMM -> absorption BMM (q_nope ->
//     latent) -> mla_generation (sparse MLA wgmma kernel, dense mode, paged bf16/FP8 cache) ->
//     absorption BMM (latent -> v) -> o_proj GEMM
//   context (MHA mode; built with AICONF_MLA_WITH_CONTEXT): fused q_a + kv_a GEMM -> q_b GEMM ->
//     the new tokens' latent into the cache -> kv_b GEMM over every visible token (prefix included)
//     -> K = [k_nope | shared k_rope] per head -> flash attention (q/k 192, v 128) -> o_proj GEMM
// GEMMs in bf16 or FP8 128x128 block scales (gemm_type); BMMs in bf16 or per-tensor fp8 as
// bmm_dtype_of(gemm_type) says (the op composition's choice). Not modelled (small, memory-bound):
// the RMSNorms of the latents, RoPE, and in generation the scatter of the new token into the cache.
#include "mla_mock_layers.h"

#include "bmm/batched_gemm.h"
#include "bmm/fp8_per_tensor.h"

#include <aiconf/gemm/gemm_runner.h>
#include <aiconf/sparse_mla/sparse_mla.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/linear_layer.h>
#include <aiconf_plugins/mla_fp8_cache_fill.h>
#include <aiconf_plugins/mla_module_parts.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/random_fill.h>
#ifdef AICONF_MLA_WITH_CONTEXT
#include <aiconf/flash_attention/flash_attention.h>
#include <aiconf/flash_attention/fp8_quantize.h>
#include <aiconf_plugins/host_copy.h>
#include <flash_attention_reference.h>
#include <fp8_e4m3_reference.h>
#endif

#include <cuda_bf16.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace aiconf::mla {
using namespace aiconf::plugins;

namespace {

constexpr int kPage = 64;

struct ModuleShape {
  std::int64_t hidden = 0, q_lora = 0, kv_lora = 0, nope = 0, rope = 0, v = 0, heads = 0;
  std::int64_t batch = 0, isl = 0, step = 0;
  gemm::GemmDtype gemm = gemm::GemmDtype::kBf16;
  bool bmm_fp8 = false;
  sparse_mla::KvCacheFormat kv = sparse_mla::KvCacheFormat::kBf16;
  bool context_fp8 = false;  ///< prefill with an FP8 KV cache: Q/K/V quantized to e4m3 before the attention
  std::int64_t tokens() const { return batch * isl; }
  std::int64_t keys() const { return step + isl; }
  std::int64_t qk() const { return nope + rope; }

  static ModuleShape from(const Params& p, bool generation) {
    const char* who = generation ? "mla_generation_module mock layer" : "mla_context_module mock layer";
    ModuleShape s;
    s.hidden = p.integer("hidden_size");
    s.q_lora = p.integer_or("q_lora_rank", 0);
    s.kv_lora = p.integer("kv_lora_rank");
    s.nope = p.integer("qk_nope_head_dim");
    s.rope = p.integer("qk_rope_head_dim");
    s.v = p.integer("v_head_dim");
    s.heads = p.integer("num_heads");
    s.batch = p.integer("batch_size");
    s.isl = p.integer("isl");
    s.step = p.integer_or("step", 0);
    const std::string g = p.text_or("gemm_type", "bfloat16");
    if (g == "fp8_block") s.gemm = gemm::GemmDtype::kFp8Block;
    else if (g != "bfloat16") throw Error(std::string(who) + ": key 'gemm_type' = '" + g + "': expected bfloat16 or fp8_block");
    s.bmm_fp8 = bmm_dtype_of(g) == "fp8";
    const std::string kv = p.text_or("kv_cache_dtype", "bfloat16");
    if (kv == "fp8" && generation) s.kv = sparse_mla::KvCacheFormat::kFp8E4m3Scaled;
    else if (kv == "fp8") s.context_fp8 = true;
    else if (kv != "bfloat16")
      throw Error(std::string(who) + ": key 'kv_cache_dtype' = '" + kv + "': expected bfloat16 or fp8");
    if (p.text_or("mla_dtype", "bfloat16") != "bfloat16") throw Error(std::string(who) + ": only mla_dtype bfloat16 is supported");
    if (generation && (s.kv_lora != 512 || s.rope != 64))
      throw Error(std::string(who) + ": the dense MLA decode kernel supports kv_lora_rank 512 + qk_rope_head_dim 64 only, got " +
                  std::to_string(s.kv_lora) + " + " + std::to_string(s.rope));
    if (!generation && (s.nope + s.rope != 192 || s.v != 128))
      throw Error(std::string(who) + ": the flash-attention kernel supports qk_nope_head_dim + qk_rope_head_dim = 192 and "
                  "v_head_dim = 128, got " + std::to_string(s.nope) + " + " + std::to_string(s.rope) + " and " + std::to_string(s.v));
    if (s.batch < 1 || s.isl < 1 || s.step < 0 || s.heads < 1 || s.hidden < 1)
      throw Error(std::string(who) + ": expected batch_size, isl, num_heads, hidden_size >= 1 and step >= 0: " + p.str());
    return s;
  }
};

// One absorption BMM with its own weights, in bf16 or per-tensor fp8 (quantizer + cuBLASLt).
struct Bmm {
  BatchedGemmArgs args;
  StridedBf16 src;
  DeviceBuffer w, w_scale, x8, amax, x_scale;
  BatchedGemm gemm;
  const char* name = "";

  // x: bf16 [T, H, x_w] (first k columns used); y: bf16 [T, H, y_w] (first n columns written).
  void init(const char* label, bool fp8, std::int64_t T, std::int64_t H, std::int64_t k, std::int64_t n, const void* x,
            std::int64_t x_w, void* y, std::int64_t y_w, std::uint64_t seed, cudaStream_t s) {
    name = label;
    args = BatchedGemmArgs{};
    args.fp8 = fp8;
    args.m = T, args.n = n, args.k = k, args.batch = H;
    if (fp8) {
      w.resize(H * n * k);
      fill_uniform_fp8(w.get(), w.bytes(), seed, -4.f, 4.f, s);
      w_scale.resize(16);
      fill_uniform_f32(w_scale.get<float>(), 1, seed + 1, 0.01f, 0.02f, s);
      x8.resize(H * T * k);
      amax.resize(16);
      x_scale.resize(16);
      src = StridedBf16{x, T, H, k, H * x_w, x_w};
      args.x = x8.get();
      args.ldx = k;
      args.x_batch_stride = T * k;
      args.x_scale = x_scale.get<float>();
      args.w_scale = w_scale.get<float>();
    } else {
      w.resize(H * n * k * 2);
      fill_uniform_bf16(w.get(), H * n * k, seed, -0.05f, 0.05f, s);
      args.x = x;
      args.ldx = H * x_w;
      args.x_batch_stride = x_w;
    }
    args.w = w.get();
    args.y = y;
    args.ldy = H * y_w;
    args.y_batch_stride = y_w;
    gemm.prepare(args);
  }
  void run(void* workspace, cudaStream_t s) {
    nvtxRangePushA(name);
    if (args.fp8) {
      const cudaError_t e = quantize_fp8_per_tensor(src, amax.get<float>(), x8.get<std::uint8_t>(), x_scale.get<float>(), s);
      if (e != cudaSuccess) {
        nvtxRangePop();
        AICONF_CUDA_CHECK(e);
      }
    }
    try {
      gemm.run(args, workspace, s);
    } catch (...) {
      nvtxRangePop();
      throw;
    }
    nvtxRangePop();
  }
  void release() noexcept { w.release(), w_scale.release(), x8.release(), amax.release(), x_scale.release(); }
};

// Context: the new tokens' latent (a_out columns [off, off + kv_lora) and [off + kv_lora, + rope))
// into the c_kv [b * keys, kv_lora] and k_pe [b * keys, rope] caches, after each sequence's prefix.
__global__ void write_latent(const __nv_bfloat16* a_out, std::int64_t a_ld, std::int64_t off, __nv_bfloat16* ckv,
                             __nv_bfloat16* kpe, std::int64_t kv_lora, std::int64_t rope, std::int64_t tokens, std::int64_t isl,
                             std::int64_t step) {
  const std::int64_t width = kv_lora + rope, total = tokens * width, keys = step + isl;
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < total; i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t t = i / width, c = i % width, row = (t / isl) * keys + step + t % isl;
    const __nv_bfloat16 v = a_out[t * a_ld + off + c];
    if (c < kv_lora) ckv[row * kv_lora + c] = v;
    else kpe[row * rope + c - kv_lora] = v;
  }
}

// Context: K [rows, H, nope + rope] = per head k_nope (kv_b output, [rows, H, nope + v]) and the
// shared k_rope of the row.
__global__ void build_k(const __nv_bfloat16* kv, const __nv_bfloat16* kpe, __nv_bfloat16* k, std::int64_t rows, std::int64_t H,
                        std::int64_t nope, std::int64_t rope, std::int64_t v) {
  const std::int64_t qk = nope + rope, total = rows * H * qk;
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < total; i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t c = i % qk, rh = i / qk, h = rh % H, r = rh / H;
    k[i] = c < nope ? kv[(r * H + h) * (nope + v) + c] : kpe[r * rope + c - nope];
  }
}

class MlaModuleLayer : public MockLayerBase {
public:
  explicit MlaModuleLayer(bool generation) : MockLayerBase(generation ? "aiconf_mla_generation_module" : "aiconf_mla_context_module"),
                                             generation_(generation) {}

protected:
  void configure(const Params& p, cudaStream_t stream) override {
#ifndef AICONF_MLA_WITH_CONTEXT
    if (!generation_) throw Error("mla_context_module mock layer: built without the flash-attention kernels");
#endif
    s_ = ModuleShape::from(p, generation_);
    const std::int64_t T = s_.tokens(), Tr = gemm::gemm_rows_allocated(s_.gemm, T), H = s_.heads;
    const std::int64_t latent = s_.kv_lora + s_.rope, a_width = s_.q_lora + latent;
    x_.resize(Tr * s_.hidden * 2);
    fill_uniform_bf16(x_.get(), Tr * s_.hidden, 101, -1.f, 1.f, stream);
    a_out_.resize(Tr * a_width * 2);
    q_b_out_.resize(Tr * H * s_.qk() * 2);
    attn_v_.resize(Tr * H * s_.v * 2);
    out_.resize(Tr * s_.hidden * 2);
    // Without a query latent (q_lora_rank 0) q comes straight from the hidden state.
    fused_a_.init(T, a_width, s_.hidden, s_.gemm, 111, stream);
    if (s_.q_lora > 0) {
      q_lat_.resize(Tr * s_.q_lora * 2);
      fill_uniform_bf16(q_lat_.get(), Tr * s_.q_lora, 102, -1.f, 1.f, stream);  // stands in for RMSNorm(q_a)
      q_b_.init(T, H * s_.qk(), s_.q_lora, s_.gemm, 112, stream);
    } else {
      q_b_.init(T, H * s_.qk(), s_.hidden, s_.gemm, 112, stream);
    }
    o_proj_.init(T, s_.hidden, H * s_.v, s_.gemm, 113, stream);
    gemm_ws_.resize(gemm::GemmRunner::workspace_bytes());
    bmm_ws_.resize(BatchedGemm::kWorkspaceBytes);
    if (generation_) configure_generation(stream);
    else configure_context(stream);
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  void configure_generation(cudaStream_t stream) {
    const std::int64_t T = s_.tokens(), H = s_.heads, mqa = s_.kv_lora + s_.rope;
    q_mqa_.resize(T * H * mqa * 2);
    fill_uniform_bf16(q_mqa_.get(), T * H * mqa, 103, -1.f, 1.f, stream);  // rope columns: stand-in for RoPE(q_pe)
    attn_.resize(T * H * s_.kv_lora * 2);
    pre_.init("mla_generation_module.bmm_pre", s_.bmm_fp8, T, H, s_.nope, s_.kv_lora, q_b_out_.get(), s_.qk(), q_mqa_.get(), mqa,
              114, stream);
    post_.init("mla_generation_module.bmm_post", s_.bmm_fp8, T, H, s_.kv_lora, s_.v, attn_.get(), s_.kv_lora, attn_v_.get(), s_.v,
               115, stream);
    // Paged latent cache, pages shuffled, causal lengths per new token.
    const int row_bytes = sparse_mla::kv_cache_row_bytes(s_.kv);
    const std::int64_t pages_per_seq = (s_.keys() + kPage - 1) / kPage, pages = s_.batch * pages_per_seq;
    cache_.resize(pages * kPage * row_bytes);
    if (s_.kv == sparse_mla::KvCacheFormat::kBf16) {
      fill_uniform_bf16(cache_.get(), cache_.bytes() / 2, 104, -1.f, 1.f, stream);
    } else {
      fill_mla_fp8_cache(cache_.get(), pages * kPage, 104, stream);
    }
    std::vector<std::int32_t> table(pages), lens(T);
    std::iota(table.begin(), table.end(), 0);
    std::shuffle(table.begin(), table.end(), std::mt19937(23));
    for (std::int64_t t = 0; t < T; ++t) lens[t] = static_cast<std::int32_t>(s_.step + t % s_.isl + 1);
    table_.resize(pages * 4);
    lens_.resize(T * 4);
    AICONF_CUDA_CHECK(cudaMemcpyAsync(table_.get(), table.data(), pages * 4, cudaMemcpyHostToDevice, stream));
    AICONF_CUDA_CHECK(cudaMemcpyAsync(lens_.get(), lens.data(), T * 4, cudaMemcpyHostToDevice, stream));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
    sparse_mla::SparseMlaParams& m = mla_;
    m = sparse_mla::SparseMlaParams{};
    m.num_tokens = static_cast<int>(T);
    m.num_heads = static_cast<int>(H);
    m.topk = static_cast<int>(s_.keys());
    m.tokens_per_seq = static_cast<int>(s_.isl);
    m.sm_scale = 1.0f / std::sqrt(static_cast<float>(s_.qk()));
    m.q = q_mqa_.get<__nv_bfloat16>();
    m.kv_cache = cache_.get();
    m.kv_format = s_.kv;
    m.kv_seq_len = static_cast<int>(s_.keys());
    m.block_table = table_.get<std::int32_t>();
    m.block_table_stride = static_cast<int>(pages_per_seq);
    m.page_size = kPage;
    m.dense_keys = true;
    m.topk_lengths = lens_.get<std::int32_t>();
    m.out = attn_.get<__nv_bfloat16>();
    if (const char* why = sparse_mla::sparse_mla_check(m)) throw Error(std::string("mla_generation_module: sparse MLA kernel refuses: ") + why);
    attn_ws_.resize(sparse_mla::sparse_mla_workspace_bytes(m));
  }

  void configure_context(cudaStream_t stream) {
#ifdef AICONF_MLA_WITH_CONTEXT
    const std::int64_t H = s_.heads, rows = s_.batch * s_.keys(), rows_r = gemm::gemm_rows_allocated(s_.gemm, rows);
    ckv_.resize(rows_r * s_.kv_lora * 2);
    kpe_.resize(rows * s_.rope * 2);
    fill_uniform_bf16(ckv_.get(), rows_r * s_.kv_lora, 105, -1.f, 1.f, stream);  // the cached prefix (and padding rows)
    fill_uniform_bf16(kpe_.get(), rows * s_.rope, 106, -1.f, 1.f, stream);
    kv_out_.resize(rows_r * H * (s_.nope + s_.v) * 2);
    k_.resize(rows * H * s_.qk() * 2);
    kv_b_.init(rows, H * (s_.nope + s_.v), s_.kv_lora, s_.gemm, 116, stream);
    flash_attention::FlashAttentionParams& f = fa_;
    f = flash_attention::FlashAttentionParams{};
    f.batch = static_cast<int>(s_.batch);
    f.seqlen_q = static_cast<int>(s_.isl);
    f.seqlen_k = static_cast<int>(s_.keys());
    f.num_heads = f.num_kv_heads = static_cast<int>(H);
    f.head_dim_qk = static_cast<int>(s_.qk());
    f.head_dim_v = static_cast<int>(s_.v);
    f.causal = true;
    f.sm_scale = 1.0f / std::sqrt(static_cast<float>(s_.qk()));
    f.q = q_b_out_.get<__nv_bfloat16>();
    f.k = k_.get<__nv_bfloat16>();
    f.k_row_stride = H * s_.qk();
    f.k_head_stride = s_.qk();
    f.k_batch_stride = s_.keys() * H * s_.qk();
    // V: the second half of each head's kv_b output, read in place.
    f.v = kv_out_.get<__nv_bfloat16>() + s_.nope;
    f.v_row_stride = H * (s_.nope + s_.v);
    f.v_head_stride = s_.nope + s_.v;
    f.v_batch_stride = s_.keys() * H * (s_.nope + s_.v);
    f.out = attn_v_.get<__nv_bfloat16>();
    if (const char* why = flash_attention::flash_attention_check(f))
      throw Error(std::string("mla_context_module: flash-attention kernel refuses: ") + why);
    attn_ws_.resize(flash_attention::flash_attention_workspace_bytes(f));
    if (s_.context_fp8) configure_context_fp8(stream);
#else
    (void)stream;
#endif
  }

#ifdef AICONF_MLA_WITH_CONTEXT
  // FP8 KV cache in prefill: TensorRT-LLM quantizes the FMHA's Q, K and V to e4m3 in one copy kernel
  // (invokeMLAContextFp8Quantize) before an FP8 context FMHA. Here the same copy runs every step
  // (V read in place from the interleaved kv_b output); the attention itself stays the bf16 kernel.
  // The static scales stand in for a checkpoint's: calibrated once on this chain's own outputs.
  void configure_context_fp8(cudaStream_t stream) {
    const std::int64_t T = s_.tokens(), H = s_.heads, rows = s_.batch * s_.keys();
    for (auto& j : fp8_jobs_) j = {};  // no quantize in the calibration run below (stale pointers if reused)
    q8_.resize(T * H * s_.qk());
    k8_.resize(rows * H * s_.qk());
    v8_.resize(rows * H * s_.v);
    fp8_scales_.resize(3 * sizeof(float));
    run_chain(stream);  // fills q, K and kv_b output once, for the calibration
    float* scale = fp8_scales_.get<float>();
    AICONF_CUDA_CHECK(flash_attention::fp8_scale_from_absmax(q_b_out_.get<__nv_bfloat16>(), T * H * s_.qk(), scale, stream));
    AICONF_CUDA_CHECK(flash_attention::fp8_scale_from_absmax(k_.get<__nv_bfloat16>(), rows * H * s_.qk(), scale + 1, stream));
    AICONF_CUDA_CHECK(flash_attention::fp8_scale_from_absmax(kv_out_.get<__nv_bfloat16>() + s_.nope, rows * H * s_.v, scale + 2, stream,
                                                             s_.v, s_.nope + s_.v));
    fp8_jobs_[0] = {q_b_out_.get<__nv_bfloat16>(), q8_.get<std::uint8_t>(), static_cast<std::size_t>(T * H * s_.qk()), scale};
    fp8_jobs_[1] = {k_.get<__nv_bfloat16>(), k8_.get<std::uint8_t>(), static_cast<std::size_t>(rows * H * s_.qk()), scale + 1};
    fp8_jobs_[2] = {kv_out_.get<__nv_bfloat16>() + s_.nope, v8_.get<std::uint8_t>(), static_cast<std::size_t>(rows * H * s_.v), scale + 2,
                    static_cast<std::size_t>(s_.v), static_cast<std::size_t>(s_.nope + s_.v)};
    if (const char* why = flash_attention::fp8_quantize_check(fp8_jobs_, 3))
      throw Error(std::string("mla_context_module: fp8 quantize refuses: ") + why);
  }
#endif

  void enqueue(cudaStream_t stream) override { run_chain(stream); }

  void run_chain(cudaStream_t stream) {
    void* ws = gemm_ws_.get();
    fused_a_.run(runner_, ws, x_.get(), a_out_.get(), stream);
    q_b_.run(runner_, ws, s_.q_lora > 0 ? q_lat_.get() : x_.get(), q_b_out_.get(), stream);
    if (generation_) {
      pre_.run(bmm_ws_.get(), stream);
      nvtxRangePushA(s_.kv == sparse_mla::KvCacheFormat::kBf16 ? "mla_generation_module.dense_mla_bf16" : "mla_generation_module.dense_mla_fp8");
      const cudaError_t e = sparse_mla::launch_sparse_mla(mla_, attn_ws_.get(), stream);
      nvtxRangePop();
      AICONF_CUDA_CHECK(e);
      post_.run(bmm_ws_.get(), stream);
    } else {
#ifdef AICONF_MLA_WITH_CONTEXT
      const std::int64_t T = s_.tokens(), H = s_.heads, rows = s_.batch * s_.keys();
      nvtxRangePushA("mla_context_module.write_latent");
      write_latent<<<512, 256, 0, stream>>>(a_out_.get<__nv_bfloat16>(), s_.q_lora + s_.kv_lora + s_.rope, s_.q_lora,
                                            ckv_.get<__nv_bfloat16>(), kpe_.get<__nv_bfloat16>(), s_.kv_lora, s_.rope, T, s_.isl, s_.step);
      nvtxRangePop();
      AICONF_CUDA_CHECK(cudaGetLastError());
      kv_b_.run(runner_, ws, ckv_.get(), kv_out_.get(), stream);
      nvtxRangePushA("mla_context_module.build_k");
      build_k<<<2048, 256, 0, stream>>>(kv_out_.get<__nv_bfloat16>(), kpe_.get<__nv_bfloat16>(), k_.get<__nv_bfloat16>(), rows, H,
                                         s_.nope, s_.rope, s_.v);
      nvtxRangePop();
      AICONF_CUDA_CHECK(cudaGetLastError());
      if (s_.context_fp8 && fp8_jobs_[0].dst != nullptr) {  // null until calibrated (configure_context_fp8)
        nvtxRangePushA("mla_context_module.fp8_quantize");
        const cudaError_t q = flash_attention::launch_fp8_quantize(fp8_jobs_, 3, stream);
        nvtxRangePop();
        AICONF_CUDA_CHECK(q);
      }
      nvtxRangePushA("mla_context_module.flash_attention");
      const cudaError_t e = flash_attention::launch_flash_attention(fa_, attn_ws_.get(), stream);
      nvtxRangePop();
      AICONF_CUDA_CHECK(e);
#endif
    }
    o_proj_.run(runner_, ws, attn_v_.get(), out_.get(), stream);
  }

  // The stages are checked against CPU references by their own mock layers; here the chain must
  // produce a fully written, finite output.
  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(out_.get(), out_.bytes(), 0xFF, stream);
#ifdef AICONF_MLA_WITH_CONTEXT
    if (s_.context_fp8)  // e4m3 NaN: a saturating conversion never writes it
      for (DeviceBuffer* b : {&q8_, &k8_, &v8_}) fill_bytes(b->get(), b->bytes(), 0x7F, stream);
#endif
    enqueue(stream);
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
    const std::int64_t n = s_.tokens() * s_.hidden;
    std::vector<std::uint16_t> out(n);
    AICONF_CUDA_CHECK(cudaMemcpy(out.data(), out_.get(), n * 2, cudaMemcpyDeviceToHost));
    std::int64_t bad = 0, zero = 0;
    for (auto b : out) {
      bad += (b & 0x7F80) == 0x7F80;  // bf16 Inf/NaN (and the 0xFFFF poison)
      zero += (b & 0x7FFF) == 0;
    }
    CheckReport c;
    c.passed = bad == 0 && zero < n / 2;
    c.max_rel_error = c.passed ? 0 : 1;
    c.details = std::string(generation_ ? "MLA generation module" : "MLA context module") + ": " + std::to_string(bad) +
                " non-finite/unwritten and " + std::to_string(zero) + " zero outputs of " + std::to_string(n) +
                " (stages are checked by their own mock layers)";
#ifdef AICONF_MLA_WITH_CONTEXT
    if (s_.context_fp8) check_context_fp8(stream, &c);
#endif
    return c;
  }

#ifdef AICONF_MLA_WITH_CONTEXT
  // The e4m3 copies of Q, K and V: every byte written, and V (read in place, strided, from the
  // kv_b output) equal to the CPU's quantization on the first, a middle and the last row.
  void check_context_fp8(cudaStream_t stream, CheckReport* c) {
    namespace ref = flash_attention::reference;
    std::size_t unwritten = 0, mismatch = 0, checked = 0;
    for (const auto& job : fp8_jobs_) {
      const auto bytes = plugins::to_host<std::uint8_t>(job.dst, job.n, stream);
      for (auto b : bytes) unwritten += (b & 0x7F) == 0x7F;
    }
    const float v_scale = plugins::to_host<float>(fp8_scales_.get<float>() + 2, 1, stream)[0];
    const std::int64_t v_rows = s_.batch * s_.keys() * s_.heads, width = s_.nope + s_.v;
    for (std::int64_t r : {std::int64_t(0), v_rows / 2, v_rows - 1}) {
      const auto x = plugins::to_host<std::uint16_t>(kv_out_.get<__nv_bfloat16>() + r * width + s_.nope, s_.v, stream);
      const auto q = plugins::to_host<std::uint8_t>(v8_.get<std::uint8_t>() + r * s_.v, s_.v, stream);
      for (std::int64_t j = 0; j < s_.v; ++j) mismatch += q[j] != ref::quantize_e4m3(ref::bf16_to_float(x[j]), v_scale);
      checked += s_.v;
    }
    c->passed = c->passed && unwritten == 0 && mismatch == 0;
    if (!c->passed) c->max_rel_error = 1;
    c->details += "; fp8 Q/K/V: " + std::to_string(unwritten) + " unwritten e4m3 bytes, V rows first/middle/last " +
                  std::to_string(mismatch) + " of " + std::to_string(checked) + " differ from the CPU quantization";
  }
#endif

  void free_buffers() noexcept override {
    for (DeviceBuffer* b : {&x_, &a_out_, &q_lat_, &q_b_out_, &q_mqa_, &attn_, &attn_v_, &out_, &cache_, &table_, &lens_, &ckv_, &kpe_,
                            &kv_out_, &k_, &gemm_ws_, &bmm_ws_, &attn_ws_, &q8_, &k8_, &v8_, &fp8_scales_})
      b->release();
#ifdef AICONF_MLA_WITH_CONTEXT
    for (auto& j : fp8_jobs_) j = {};  // their pointers were into the buffers just released
#endif
    for (LinearLayer* l : {&fused_a_, &q_b_, &kv_b_, &o_proj_}) l->release();
    pre_.release();
    post_.release();
  }

private:
  bool generation_;
  ModuleShape s_;
  gemm::GemmRunner runner_;
  LinearLayer fused_a_, q_b_, kv_b_, o_proj_;
  Bmm pre_, post_;
  DeviceBuffer x_, a_out_, q_lat_, q_b_out_, q_mqa_, attn_, attn_v_, out_, cache_, table_, lens_, ckv_, kpe_, kv_out_, k_, gemm_ws_,
      bmm_ws_, attn_ws_, q8_, k8_, v8_, fp8_scales_;
  sparse_mla::SparseMlaParams mla_;
#ifdef AICONF_MLA_WITH_CONTEXT
  flash_attention::FlashAttentionParams fa_;
  flash_attention::Fp8QuantizeTensor fp8_jobs_[3] = {};
#endif
};

struct GenerationModule final : MlaModuleLayer {
  GenerationModule() : MlaModuleLayer(true) {}
};
struct ContextModule final : MlaModuleLayer {
  ContextModule() : MlaModuleLayer(false) {}
};

}  // namespace

void register_mla_module_mock_layers(Registrar& r) {
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<GenerationModule>(
      "mla_generation_module", "mla_generation_module",
      "one dense-MLA attention block in decode: fused q_a/kv_a, q_b, absorption BMMs, dense MLA over the paged cache, o_proj")));
#ifdef AICONF_MLA_WITH_CONTEXT
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<ContextModule>(
      "mla_context_module", "mla_context_module",
      "one dense-MLA attention block in prefill: fused q_a/kv_a, q_b, kv_b over every visible token, flash attention 192/128, o_proj")));
#endif
}

}  // namespace aiconf::mla
