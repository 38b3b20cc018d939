#pragma once
/// \file attention_mock_layer.h
/// The mock layer shared by the attention plugin (context_attention, generation_attention) and the
/// mla plugin (mla_context in MHA mode): random bf16 Q/K/V for one attention shape, several input
/// sets rotated so repeated timing misses L2, one flash-attention launch per run, and a check of
/// sampled rows against the CPU reference. Header only (compiled into each plugin, which links
/// aiconf_flash_attention_kernels, aiconf_flash_attention_reference and aiconf_mock_common);
/// include it from a .cu file.
#include <aiconf/flash_attention/flash_attention.h>
#include <aiconf_plugins/cuda_check.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/host_copy.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/random_fill.h>
#include <flash_attention_reference.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace aiconf::flash_attention {

/// One attention shape, as the mock layers derive it from a collector's key.
struct AttentionShape {
  std::int64_t batch = 0;    ///< sequences
  std::int64_t isl = 0;      ///< new tokens per sequence (query rows)
  std::int64_t step = 0;     ///< cached tokens before them (causal prefix)
  int heads = 0, kv_heads = 0, head_dim_qk = 0, head_dim_v = 0;
  std::int64_t keys() const { return step + isl; }
};

namespace mock_detail {
/// Counts bf16 values that are NaN or infinite (the poison left where nothing was written).
static __global__ void count_nonfinite_bf16(const __nv_bfloat16* x, std::size_t n, unsigned long long* count) {
  unsigned long long local = 0;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x)
    local += isfinite(__bfloat162float(x[i])) ? 0 : 1;
  if (local) atomicAdd(count, local);
}
}  // namespace mock_detail

/// Base of the flash-attention mock layers: subclasses turn the key into an AttentionShape.
class AttentionMockLayer : public plugins::MockLayerBase {
public:
  explicit AttentionMockLayer(std::string what) : MockLayerBase("aiconf_flash_attention_wgmma"), what_(std::move(what)) {}

  bool rotate_inputs() noexcept override {
    if (sets_ <= 1) return false;
    current_ = (current_ + 1) % sets_;
    return true;
  }

protected:
  /// The shape of `key`; throws aiconf::Error naming the field when the kernel cannot run it.
  virtual AttentionShape shape_of(const Params& key) const = 0;

  void configure(const Params& key, cudaStream_t stream) override {
    s_ = shape_of(key);
    if (s_.batch < 1 || s_.isl < 1 || s_.step < 0)
      throw Error(what_ + ": batch_size and isl must be >= 1 and step >= 0, got " + key.str());
    if (s_.batch > 65535 || s_.keys() > (std::int64_t(1) << 30))
      throw Error(what_ + ": batch_size <= 65535 and step + isl <= 2^30 expected, got " + key.str());
    const std::size_t q_n = std::size_t(s_.batch) * s_.isl * s_.heads * s_.head_dim_qk;
    const std::size_t kv_rows = std::size_t(s_.batch) * s_.kv_heads * s_.keys();
    const std::size_t o_n = std::size_t(s_.batch) * s_.isl * s_.heads * s_.head_dim_v;
    q_off_ = 0;
    k_off_ = aligned(q_n * 2);
    v_off_ = k_off_ + aligned(kv_rows * s_.head_dim_qk * 2);
    set_bytes_ = v_off_ + aligned(kv_rows * s_.head_dim_v * 2);
    // Enough sets that one round is >= 256 MB (L2 is 50-60 MB), at most 8, within free memory.
    std::size_t free_b = 0, total_b = 0;
    AICONF_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    const std::size_t out_bytes = aligned(o_n * 2) + aligned(std::size_t(s_.batch) * s_.isl * s_.heads * 4);
    if (set_bytes_ + out_bytes > free_b * 9 / 10)
      throw Error(what_ + ": " + key.str() + " needs " + std::to_string((set_bytes_ + out_bytes) >> 20) + " MiB, " +
                  std::to_string(free_b >> 20) + " MiB free");
    sets_ = static_cast<int>(std::clamp<std::size_t>(((std::size_t(256) << 20) + set_bytes_ - 1) / set_bytes_, 1, 8));
    sets_ = static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(sets_, (free_b * 7 / 10 - out_bytes) / set_bytes_)));
    current_ = 0;
    slab_.resize(set_bytes_ * sets_);
    out_.resize(o_n * 2);
    lse_.resize(std::size_t(s_.batch) * s_.isl * s_.heads * 4);
    for (int i = 0; i < sets_; ++i) {
      char* base = slab_.get<char>() + set_bytes_ * i;
      plugins::fill_uniform_bf16(base + q_off_, q_n, 100 + 3 * i, -1.f, 1.f, stream);
      plugins::fill_uniform_bf16(base + k_off_, kv_rows * s_.head_dim_qk, 101 + 3 * i, -1.f, 1.f, stream);
      plugins::fill_uniform_bf16(base + v_off_, kv_rows * s_.head_dim_v, 102 + 3 * i, -1.f, 1.f, stream);
    }
    params_ = params_for(0);
    if (const char* why = flash_attention_check(params_))
      throw Error(what_ + ": flash attention refuses " + key.str() + ": " + why);
    workspace_.resize(flash_attention_workspace_bytes(params_));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  void enqueue(cudaStream_t stream) override {
    AICONF_CUDA_CHECK(launch_flash_attention(params_for(current_), workspace_.get(), stream));
  }

  CheckReport verify(cudaStream_t stream) override {
    plugins::fill_bytes(out_.get(), out_.bytes(), 0xFF, stream);  // NaN poison
    plugins::fill_bytes(lse_.get(), lse_.bytes(), 0xFF, stream);
    enqueue(stream);
    const std::size_t o_n = out_.bytes() / 2;
    plugins::DeviceBuffer count(8);
    AICONF_CUDA_CHECK(cudaMemsetAsync(count.get(), 0, 8, stream));
    mock_detail::count_nonfinite_bf16<<<512, 256, 0, stream>>>(out_.get<__nv_bfloat16>(), o_n,
                                                               count.get<unsigned long long>());
    AICONF_CUDA_CHECK(cudaGetLastError());
    const auto nonfinite = plugins::to_host<unsigned long long>(count.get(), 1, stream)[0];

    // Sample: first and last sequence; first, middle and last new token; first, middle, last head.
    const char* base = slab_.get<char>() + set_bytes_ * current_;
    const int dqk = s_.head_dim_qk, dv = s_.head_dim_v, group = s_.heads / s_.kv_heads;
    std::vector<double> got, ref, out(dv);
    double lse_err = 0;
    std::map<std::pair<std::int64_t, int>, std::pair<std::vector<float>, std::vector<float>>> kv_cache;
    for (std::int64_t b : unique({0, s_.batch - 1}))
      for (std::int64_t t : unique({0, s_.isl / 2, s_.isl - 1}))
        for (std::int64_t h : unique({0, s_.heads / 2, s_.heads - 1})) {
          const int g = static_cast<int>(h) / group;
          auto& kv = kv_cache[{b, g}];
          if (kv.first.empty()) {
            const std::size_t row0 = (std::size_t(b) * s_.kv_heads + g) * s_.keys();
            kv.first = to_float(base + k_off_ + row0 * dqk * 2, std::size_t(s_.keys()) * dqk, stream);
            kv.second = to_float(base + v_off_ + row0 * dv * 2, std::size_t(s_.keys()) * dv, stream);
          }
          const std::size_t row = (std::size_t(b) * s_.isl + t) * s_.heads + h;
          const auto q = to_float(base + q_off_ + row * dqk * 2, dqk, stream);
          const double l = reference::attention_row(q.data(), kv.first.data(), dqk, kv.second.data(), dv,
                                                    static_cast<int>(s_.step + t + 1), dqk, dv, params_.sm_scale, out.data());
          const auto o = to_float(out_.get<char>() + row * dv * 2, dv, stream);
          for (int d = 0; d < dv; ++d) got.push_back(o[d]), ref.push_back(out[d]);
          const float lse_got = plugins::to_host<float>(lse_.get<float>() + row, 1, stream)[0];
          lse_err = std::max(lse_err, std::isfinite(lse_got) ? std::abs(lse_got - l) : INFINITY);
        }
    CheckReport c;
    c.max_rel_error = plugins::relative_l2_error(got.data(), ref.data(), got.size());
    c.passed = nonfinite == 0 && c.max_rel_error <= 1e-2 && lse_err <= 2e-3;
    c.details = what_ + " (" + flash_attention_variant(params_) + ", splits " + std::to_string(flash_attention_num_splits(params_)) +
                ", " + std::to_string(sets_) + " input sets): " + std::to_string(got.size() / dv) +
                " sampled rows, relative L2 error " + std::to_string(c.max_rel_error) + " (tolerance 1e-2), lse max error " +
                std::to_string(lse_err) + " (tolerance 2e-3), non-finite outputs " + std::to_string(nonfinite) + " of " +
                std::to_string(o_n);
    return c;
  }

  void free_buffers() noexcept override { slab_ = {}, out_ = {}, lse_ = {}, workspace_ = {}; }

private:
  static std::size_t aligned(std::size_t b) { return (b + 255) / 256 * 256; }
  static std::vector<std::int64_t> unique(std::vector<std::int64_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }
  static std::vector<float> to_float(const void* src, std::size_t n, cudaStream_t stream) {
    const auto bits = plugins::to_host<std::uint16_t>(src, n, stream);
    std::vector<float> f(n);
    for (std::size_t i = 0; i < n; ++i) f[i] = reference::bf16_to_float(bits[i]);
    return f;
  }

  /// K/V as a decode cache, [batch, kv_heads, step + isl, d]; Q/out [batch, isl, heads, d].
  FlashAttentionParams params_for(int set) const {
    const char* base = slab_.get<char>() + set_bytes_ * set;
    FlashAttentionParams p;
    p.batch = static_cast<int>(s_.batch);
    p.seqlen_q = static_cast<int>(s_.isl);
    p.seqlen_k = static_cast<int>(s_.keys());
    p.num_heads = s_.heads;
    p.num_kv_heads = s_.kv_heads;
    p.head_dim_qk = s_.head_dim_qk;
    p.head_dim_v = s_.head_dim_v;
    p.causal = true;
    p.sm_scale = 1.f / std::sqrt(static_cast<float>(s_.head_dim_qk));
    p.q = reinterpret_cast<const __nv_bfloat16*>(base + q_off_);
    p.k = reinterpret_cast<const __nv_bfloat16*>(base + k_off_);
    p.v = reinterpret_cast<const __nv_bfloat16*>(base + v_off_);
    p.k_row_stride = s_.head_dim_qk;
    p.k_head_stride = s_.keys() * s_.head_dim_qk;
    p.k_batch_stride = p.k_head_stride * s_.kv_heads;
    p.v_row_stride = s_.head_dim_v;
    p.v_head_stride = s_.keys() * s_.head_dim_v;
    p.v_batch_stride = p.v_head_stride * s_.kv_heads;
    p.out = out_.get<__nv_bfloat16>();
    p.lse = lse_.get<float>();
    return p;
  }

  std::string what_;
  AttentionShape s_;
  FlashAttentionParams params_;
  std::size_t q_off_ = 0, k_off_ = 0, v_off_ = 0, set_bytes_ = 0;
  int sets_ = 1, current_ = 0;
  plugins::DeviceBuffer slab_, out_, lse_, workspace_;
};

}  // namespace aiconf::flash_attention
