#pragma once
/// \file attention_mock_layer.h
/// The mock layer shared by the attention plugin (context_attention, generation_attention) and the
/// mla plugin (mla_context in MHA mode): random bf16 Q/K/V for one attention shape, several input
/// sets rotated so repeated timing misses L2, one flash-attention launch per run, and a check of
/// sampled rows against the CPU reference. With an FP8 KV cache (AttentionShape::fp8_kv) each run
/// first quantizes this step's Q, K and V to e4m3 (per-tensor scales, fp8_quantize.h), the copy a
/// serving engine makes for its FP8 cache / FP8 FMHA; the attention itself still reads the bf16
/// tensors (the kernel has no e4m3 operand path). Header only (compiled into each plugin, which links
/// aiconf_flash_attention_kernels, aiconf_flash_attention_reference and aiconf_mock_common);
/// include it from a .cu file.
#include <aiconf/flash_attention/flash_attention.h>
#include <aiconf/flash_attention/fp8_quantize.h>
#include <aiconf_plugins/cuda_check.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/host_copy.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/random_fill.h>
#include <flash_attention_reference.h>
#include <fp8_e4m3_reference.h>

#include <algorithm>
#include <array>
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
  /// kv_cache_dtype fp8: quantize Q, K and V (all keys) to e4m3 before the attention, every run.
  bool fp8_kv = false;
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
/// Counts e4m3 bytes that are NaN (0x7F / 0xFF: the poison; a saturating conversion never writes it).
static __global__ void count_nan_e4m3(const std::uint8_t* x, std::size_t n, unsigned long long* count) {
  unsigned long long local = 0;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x)
    local += (x[i] & 0x7F) == 0x7F;
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
    // FP8: each set also holds its e4m3 Q/K/V and their three scales, so the quantize writes
    // rotate with the inputs as well.
    fp8_[0] = {q_off_, q_n};
    fp8_[1] = {k_off_, kv_rows * s_.head_dim_qk};
    fp8_[2] = {v_off_, kv_rows * s_.head_dim_v};
    if (s_.fp8_kv) {
      for (auto& t : fp8_) t.dst_off = set_bytes_, set_bytes_ += aligned(t.n);
      scale_off_ = set_bytes_;
      set_bytes_ += aligned(3 * sizeof(float));
    }
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
      // Calibration (amax / 448) happens here, outside the timed work: engines quantize with a
      // static scale from the checkpoint, they do not reduce over the tensors every step.
      if (s_.fp8_kv)
        for (int t = 0; t < 3; ++t)
          AICONF_CUDA_CHECK(fp8_scale_from_absmax(reinterpret_cast<const __nv_bfloat16*>(base + fp8_[t].src_off), fp8_[t].n,
                                                  reinterpret_cast<float*>(base + scale_off_) + t, stream));
    }
    params_ = params_for(0);
    if (const char* why = flash_attention_check(params_))
      throw Error(what_ + ": flash attention refuses " + key.str() + ": " + why);
    workspace_.resize(flash_attention_workspace_bytes(params_));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  void enqueue(cudaStream_t stream) override {
    if (s_.fp8_kv) {
      const auto jobs = fp8_jobs(current_);
      AICONF_CUDA_CHECK(launch_fp8_quantize(jobs.data(), static_cast<int>(jobs.size()), stream));
    }
    AICONF_CUDA_CHECK(launch_flash_attention(params_for(current_), workspace_.get(), stream));
  }

  CheckReport verify(cudaStream_t stream) override {
    plugins::fill_bytes(out_.get(), out_.bytes(), 0xFF, stream);  // NaN poison
    plugins::fill_bytes(lse_.get(), lse_.bytes(), 0xFF, stream);
    char* set = slab_.get<char>() + set_bytes_ * current_;
    if (s_.fp8_kv)
      for (const auto& t : fp8_) plugins::fill_bytes(set + t.dst_off, t.n, 0x7F, stream);  // e4m3 NaN poison
    enqueue(stream);
    const std::size_t o_n = out_.bytes() / 2;
    plugins::DeviceBuffer count(8);
    AICONF_CUDA_CHECK(cudaMemsetAsync(count.get(), 0, 8, stream));
    mock_detail::count_nonfinite_bf16<<<512, 256, 0, stream>>>(out_.get<__nv_bfloat16>(), o_n,
                                                               count.get<unsigned long long>());
    AICONF_CUDA_CHECK(cudaGetLastError());
    const auto nonfinite = plugins::to_host<unsigned long long>(count.get(), 1, stream)[0];
    unsigned long long fp8_unwritten = 0;
    if (s_.fp8_kv) {
      AICONF_CUDA_CHECK(cudaMemsetAsync(count.get(), 0, 8, stream));
      for (const auto& t : fp8_) {
        mock_detail::count_nan_e4m3<<<512, 256, 0, stream>>>(reinterpret_cast<const std::uint8_t*>(set + t.dst_off), t.n,
                                                             count.get<unsigned long long>());
        AICONF_CUDA_CHECK(cudaGetLastError());
      }
      fp8_unwritten = plugins::to_host<unsigned long long>(count.get(), 1, stream)[0];
    }
    std::vector<float> scale(3, 0.f);
    if (s_.fp8_kv) scale = plugins::to_host<float>(set + scale_off_, 3, stream);
    Fp8Tally fp8_tally;

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
            if (s_.fp8_kv) {
              fp8_tally.add(kv.first, base + fp8_[1].dst_off + row0 * dqk, scale[1], stream);
              fp8_tally.add(kv.second, base + fp8_[2].dst_off + row0 * dv, scale[2], stream);
            }
          }
          const std::size_t row = (std::size_t(b) * s_.isl + t) * s_.heads + h;
          const auto q = to_float(base + q_off_ + row * dqk * 2, dqk, stream);
          if (s_.fp8_kv) fp8_tally.add(q, base + fp8_[0].dst_off + row * dqk, scale[0], stream);
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
    if (s_.fp8_kv) c.passed = c.passed && fp8_unwritten == 0 && fp8_tally.mismatch == 0 && fp8_tally.out_of_bound == 0;
    c.details = what_ + " (" + flash_attention_variant(params_) + ", splits " + std::to_string(flash_attention_num_splits(params_)) +
                ", " + std::to_string(sets_) + " input sets): " + std::to_string(got.size() / dv) +
                " sampled rows, relative L2 error " + std::to_string(c.max_rel_error) + " (tolerance 1e-2), lse max error " +
                std::to_string(lse_err) + " (tolerance 2e-3), non-finite outputs " + std::to_string(nonfinite) + " of " +
                std::to_string(o_n);
    if (s_.fp8_kv)
      c.details += "; fp8 e4m3 Q/K/V (scales " + std::to_string(scale[0]) + ", " + std::to_string(scale[1]) + ", " +
                   std::to_string(scale[2]) + "): " + std::to_string(fp8_tally.checked) + " sampled values, " +
                   std::to_string(fp8_tally.mismatch) + " differ from the CPU reference, " +
                   std::to_string(fp8_tally.out_of_bound) + " outside half an e4m3 step, unwritten " +
                   std::to_string(fp8_unwritten);
    return c;
  }

  void free_buffers() noexcept override { slab_ = {}, out_ = {}, lse_ = {}, workspace_ = {}; }

private:
  /// Where one of Q, K, V lives in a set (bf16 source, e4m3 copy) and its element count.
  struct Fp8Slot {
    std::size_t src_off = 0, n = 0, dst_off = 0;
  };
  /// Sampled e4m3 values compared with the CPU reference (bit-exact and within half a step).
  struct Fp8Tally {
    std::size_t checked = 0, mismatch = 0, out_of_bound = 0;
    void add(const std::vector<float>& x, const void* dev_e4m3, float scale, cudaStream_t stream) {
      const auto got = plugins::to_host<std::uint8_t>(dev_e4m3, x.size(), stream);
      for (std::size_t i = 0; i < x.size(); ++i) {
        mismatch += got[i] != reference::quantize_e4m3(x[i], scale);
        out_of_bound += !reference::e4m3_within_bound(x[i], got[i], scale);
      }
      checked += x.size();
    }
  };

  /// The quantize jobs of input set `set`: Q, K, V (bf16) -> their e4m3 copies.
  std::array<Fp8QuantizeTensor, 3> fp8_jobs(int set) const {
    char* base = slab_.get<char>() + set_bytes_ * set;
    std::array<Fp8QuantizeTensor, 3> jobs;
    for (int t = 0; t < 3; ++t)
      jobs[t] = {reinterpret_cast<const __nv_bfloat16*>(base + fp8_[t].src_off),
                 reinterpret_cast<std::uint8_t*>(base + fp8_[t].dst_off), fp8_[t].n,
                 reinterpret_cast<const float*>(base + scale_off_) + t};
    return jobs;
  }

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
  std::size_t q_off_ = 0, k_off_ = 0, v_off_ = 0, set_bytes_ = 0, scale_off_ = 0;
  std::array<Fp8Slot, 3> fp8_{};
  int sets_ = 1, current_ = 0;
  plugins::DeviceBuffer slab_, out_, lse_, workspace_;
};

}  // namespace aiconf::flash_attention
