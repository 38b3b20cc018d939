// CUDA mock layers of the MLA absorption BMMs (one cuBLASLt strided-batched GEMM over heads):
//   mla_bmm_pre : q_nope [T, H, nope] (a strided view of q_b's [T, H, nope + rope] output) x W_UK
//                 -> latent query [T, H, kv_lora] (written into the [T, H, kv_lora + rope] MQA query)
//   mla_bmm_post: attention output [T, H, kv_lora] x W_UV -> [T, H, v_head_dim]
// bmm_dtype bfloat16: bf16 operands. fp8: the activation is quantized per tensor (amax kernel +
// quantize kernel, dynamic scale, head-major e4m3 copy) and multiplied by e4m3 weights with one
// scale per tensor; the quantization is part of the timed work, as it is in a serving engine.
// Inputs and weights come in enough copies (rotate_inputs) that timed runs read them from HBM.
#include "mla_mock_layers.h"

#include "bmm/batched_gemm.h"
#include "bmm/fp8_per_tensor.h"

#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/host_copy.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/random_fill.h>
#include <sparse_mla_reference.h>

#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace aiconf::mla {
using namespace aiconf::plugins;
namespace ref = aiconf::sparse_mla::reference;

namespace {

// H100/H200 L2 is 50-60 MB: cycling through this many bytes of inputs keeps timed runs in HBM.
constexpr std::size_t kMinWorkingSetBytes = std::size_t{128} << 20;
// More copies than this and the layer keeps one set (the harness then flushes L2 between runs).
constexpr std::int64_t kMaxSets = 256;

std::size_t aligned(std::size_t bytes) { return (bytes + 255) / 256 * 256; }

std::int64_t positive(const Params& p, const char* key) {
  const std::int64_t v = p.integer(key);
  if (v < 1 || v > INT32_MAX) throw Error(std::string("mla BMM mock layer: key '") + key + "' = " + std::to_string(v) + ": expected 1..2^31-1");
  return v;
}

class BmmLayer : public MockLayerBase {
public:
  explicit BmmLayer(bool pre) : MockLayerBase("cublaslt_strided_batched_bmm"), pre_(pre) {}

protected:
  const char* op() const { return pre_ ? "mla_bmm_pre" : "mla_bmm_post"; }

  void configure(const Params& p, cudaStream_t stream) override {
    const std::string dtype = p.text("bmm_dtype");
    if (dtype != "bfloat16" && dtype != "fp8")
      throw Error(std::string(op()) + " mock layer: key 'bmm_dtype' = '" + dtype + "': expected bfloat16 or fp8");
    fp8_ = dtype == "fp8";
    T_ = positive(p, "num_tokens");
    H_ = positive(p, "num_heads");
    const std::int64_t kv_lora = positive(p, "kv_lora_rank"), nope = positive(p, "qk_nope_head_dim");
    const std::int64_t v = positive(p, "v_head_dim"), rope = p.integer_or("qk_rope_head_dim", 0);
    k_ = pre_ ? nope : kv_lora;
    n_ = pre_ ? kv_lora : v;
    // Row widths per head of the activations as the attention block lays them out (pre: q_b's
    // output holds nope + rope per head, the MQA query latent + rope; without a rope dim in the
    // key, dense).
    x_w_ = pre_ ? nope + rope : kv_lora;
    y_w_ = pre_ ? kv_lora + rope : v;
    if (fp8_ && k_ % 16 != 0)
      throw Error(std::string(op()) + " mock layer: fp8 needs the reduction width (" + (pre_ ? "qk_nope_head_dim" : "kv_lora_rank") +
                  " = " + std::to_string(k_) + ") to be a multiple of 16 (cuBLASLt fp8 rows)");
    const std::size_t in_bytes = fp8_ ? 1 : 2;
    x_stride_ = aligned(T_ * H_ * x_w_ * 2);
    w_stride_ = aligned(H_ * n_ * k_ * in_bytes);
    sets_ = (kMinWorkingSetBytes + x_stride_ + w_stride_ - 1) / (x_stride_ + w_stride_);
    if (sets_ > kMaxSets) sets_ = 1;
    current_ = 0;
    x_.resize(sets_ * x_stride_);
    w_.resize(sets_ * w_stride_);
    y_.resize(T_ * H_ * y_w_ * 2);
    fill_uniform_bf16(x_.get(), x_.bytes() / 2, 81, -1.f, 1.f, stream);
    if (fp8_) {
      fill_uniform_fp8(w_.get(), w_.bytes(), 82, -4.f, 4.f, stream);
      w_scale_.resize(16);
      fill_uniform_f32(w_scale_.get<float>(), 1, 83, 0.01f, 0.02f, stream);
      x8_.resize(H_ * T_ * k_);
      amax_.resize(16);
      x_scale_.resize(16);
    } else {
      fill_uniform_bf16(w_.get(), w_.bytes() / 2, 82, -0.05f, 0.05f, stream);
    }
    workspace_.resize(BatchedGemm::kWorkspaceBytes);
    gemm_.prepare(args());
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  const void* x_set() const { return x_.get<char>() + current_ * x_stride_; }
  const void* w_set() const { return w_.get<char>() + current_ * w_stride_; }

  BatchedGemmArgs args() const {
    BatchedGemmArgs a;
    a.fp8 = fp8_;
    a.m = T_, a.n = n_, a.k = k_, a.batch = H_;
    if (fp8_) {
      a.x = x8_.get();  // head-major [H, T, k] written by the quantizer
      a.ldx = k_;
      a.x_batch_stride = T_ * k_;
      a.x_scale = x_scale_.get<float>();
      a.w_scale = w_scale_.get<float>();
    } else {
      a.x = x_set();
      a.ldx = H_ * x_w_;
      a.x_batch_stride = x_w_;
    }
    a.w = w_set();
    a.y = y_.get();
    a.ldy = H_ * y_w_;
    a.y_batch_stride = y_w_;
    return a;
  }

  void enqueue(cudaStream_t stream) override {
    if (fp8_) {
      StridedBf16 src{x_set(), T_, H_, k_, H_ * x_w_, x_w_};
      nvtxRangePushA(pre_ ? "mla_bmm_pre.quantize_fp8" : "mla_bmm_post.quantize_fp8");
      const cudaError_t e = quantize_fp8_per_tensor(src, amax_.get<float>(), x8_.get<std::uint8_t>(), x_scale_.get<float>(), stream);
      nvtxRangePop();
      AICONF_CUDA_CHECK(e);
    }
    nvtxRangePushA(pre_ ? (fp8_ ? "mla_bmm_pre.cublaslt_fp8" : "mla_bmm_pre.cublaslt_bf16")
                        : (fp8_ ? "mla_bmm_post.cublaslt_fp8" : "mla_bmm_post.cublaslt_bf16"));
    try {
      gemm_.run(args(), workspace_.get(), stream);
    } catch (...) {
      nvtxRangePop();
      throw;
    }
    nvtxRangePop();
  }

  bool rotate_inputs() noexcept override {
    if (sets_ <= 1) return false;
    current_ = (current_ + 1) % sets_;
    return true;
  }

  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(y_.get(), y_.bytes(), 0xFF, stream);  // bf16 NaN poison
    enqueue(stream);
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
    // Weights of the current set, as floats the kernel sees them (fp8: e4m3 * scale).
    std::vector<double> w(H_ * n_ * k_);
    float w_scale = 1.f, x_scale = 1.f;
    if (fp8_) {
      const auto wb = to_host<std::uint8_t>(w_set(), w.size(), stream);
      w_scale = to_host<float>(w_scale_.get(), 1, stream)[0];
      x_scale = to_host<float>(x_scale_.get(), 1, stream)[0];
      for (std::size_t i = 0; i < w.size(); ++i) w[i] = double(ref::fp8_e4m3_to_float(wb[i])) * w_scale;
    } else {
      const auto wb = to_host<std::uint16_t>(w_set(), w.size(), stream);
      for (std::size_t i = 0; i < w.size(); ++i) w[i] = ref::bf16_to_float(wb[i]);
    }
    std::vector<std::int64_t> tokens{0, T_ / 2, T_ - 1};
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    std::vector<double> got, want;
    std::int64_t unwritten = 0, quant_bad = 0;
    for (std::int64_t t : tokens) {
      const auto xb = to_host<std::uint16_t>(static_cast<const std::uint16_t*>(x_set()) + t * H_ * x_w_, H_ * x_w_, stream);
      const auto yb = to_host<std::uint16_t>(y_.get<std::uint16_t>() + t * H_ * y_w_, H_ * y_w_, stream);
      std::vector<double> xv(H_ * k_);  // what the GEMM multiplies
      if (fp8_) {
        std::vector<std::uint8_t> q(H_ * k_);
        AICONF_CUDA_CHECK(cudaMemcpy2DAsync(q.data(), k_, x8_.get<std::uint8_t>() + t * k_, T_ * k_, k_, H_, cudaMemcpyDeviceToHost, stream));
        AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
        for (std::int64_t h = 0; h < H_; ++h)
          for (std::int64_t c = 0; c < k_; ++c) {
            const double x = ref::bf16_to_float(xb[h * x_w_ + c]);
            const double d = double(ref::fp8_e4m3_to_float(q[h * k_ + c])) * x_scale;
            // e4m3 keeps 3 mantissa bits (half-step 1/16 relative); subnormal step 2^-9 * scale.
            if (!(std::abs(d - x) <= (std::abs(x) / 16 + x_scale * 0x1p-10) * 1.001)) ++quant_bad;
            xv[h * k_ + c] = d;
          }
      } else {
        for (std::int64_t h = 0; h < H_; ++h)
          for (std::int64_t c = 0; c < k_; ++c) xv[h * k_ + c] = ref::bf16_to_float(xb[h * x_w_ + c]);
      }
      for (std::int64_t h = 0; h < H_; ++h)
        for (std::int64_t j = 0; j < n_; ++j) {
          double acc = 0;
          for (std::int64_t c = 0; c < k_; ++c) acc += xv[h * k_ + c] * w[(h * n_ + j) * k_ + c];
          const double g = ref::bf16_to_float(yb[h * y_w_ + j]);
          unwritten += std::isnan(g);
          got.push_back(g);
          want.push_back(acc);
        }
    }
    CheckReport c;
    c.max_rel_error = relative_l2_error(got.data(), want.data(), got.size());
    c.passed = c.max_rel_error <= 1e-2 && unwritten == 0 && quant_bad == 0;
    c.details = std::string(op()) + " (" + (fp8_ ? "fp8 per-tensor" : "bf16") + ", cuBLASLt batched over " + std::to_string(H_) +
                " heads, " + std::to_string(sets_) + " input sets) tokens first/middle/last, all heads: relative L2 error " +
                std::to_string(c.max_rel_error) + " (tolerance 1e-2), " + std::to_string(unwritten) + " unwritten" +
                (fp8_ ? ", " + std::to_string(quant_bad) + " fp8 values off their e4m3 rounding" : std::string());
    return c;
  }

  void free_buffers() noexcept override {
    x_ = {}, w_ = {}, y_ = {}, w_scale_ = {}, x8_ = {}, amax_ = {}, x_scale_ = {}, workspace_ = {};
  }

private:
  bool pre_;
  bool fp8_ = false;
  std::int64_t T_ = 0, H_ = 0, k_ = 0, n_ = 0, x_w_ = 0, y_w_ = 0, sets_ = 1, current_ = 0;
  std::size_t x_stride_ = 0, w_stride_ = 0;
  DeviceBuffer x_, w_, y_, w_scale_, x8_, amax_, x_scale_, workspace_;
  BatchedGemm gemm_;
};

struct BmmPreLayer final : BmmLayer {
  BmmPreLayer() : BmmLayer(true) {}
};
struct BmmPostLayer final : BmmLayer {
  BmmPostLayer() : BmmLayer(false) {}
};

}  // namespace

void register_mla_bmm_mock_layers(Registrar& r) {
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<BmmPreLayer>(
      "mla_bmm_pre", "mla_bmm_pre", "q absorption BMM per head (q_nope x W_UK), cuBLASLt strided-batched, bf16 or per-tensor fp8")));
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<BmmPostLayer>(
      "mla_bmm_post", "mla_bmm_post", "output de-absorption BMM per head (latent x W_UV), cuBLASLt strided-batched, bf16 or per-tensor fp8")));
}

}  // namespace aiconf::mla
