// The GEMM mock layer: one linear layer y = x W^T through the kernels/ GemmRunner (cuBLASLt), with
// random operands in enough copies that repeated timing streams them from HBM instead of L2, and a
// self-check of a slice of the output against a float64 CPU reference.
#include "gemm_mock_layer.h"

#include <aiconf/gemm/gemm_runner.h>
#include <aiconf/gemm/gemm_types.h>
#include <aiconf/gemm/random_fill.h>
#include <aiconf/plugin/plugin_base.h>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace aiconf::gemm_plugin {
namespace {

using aiconf::gemm::GemmArgs;
using aiconf::gemm::GemmDtype;
using aiconf::gemm::GemmRunner;
using aiconf::gemm::GemmStatus;

// H100/H200 L2 is 50-60 MB: cycling through at least this many bytes of operands keeps every
// timed run reading its inputs from HBM, as the layer does inside a real model.
constexpr std::size_t kMinWorkingSetBytes = std::size_t{128} << 20;
// Enough rotation for the smallest shapes without thousands of tiny buffers being pointless.
constexpr std::size_t kMaxSets = 4096;

void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string("gemm mock layer: ") + what + " failed: " + cudaGetErrorName(e) + " (" +
                                    cudaGetErrorString(e) + ")");
}

void gemm_check(const GemmStatus& s, const char* what) {
  if (s.ok()) return;
  std::string msg = std::string("gemm mock layer: ") + what + ": " + s.message;
  if (s.cuda != cudaSuccess) msg += std::string(" [") + cudaGetErrorName(s.cuda) + "]";
  if (s.cublas != 0) msg += " [cublasStatus " + std::to_string(s.cublas) + "]";
  throw Error(msg);
}

GemmDtype parse_dtype(const std::string& s) {
  if (s == "bfloat16") return GemmDtype::kBf16;
  if (s == "fp8") return GemmDtype::kFp8;
  if (s == "fp8_block") return GemmDtype::kFp8Block;
  throw Error("gemm mock layer: key 'gemm_dtype' = '" + s + "': expected bfloat16, fp8 or fp8_block (the cuBLASLt runner's dtypes)");
}

std::int64_t positive_int(const Params& shape, const char* key) {
  const std::int64_t v = shape.integer(key);
  if (v < 1 || v > INT32_MAX) throw Error(std::string("gemm mock layer: key '") + key + "' = " + std::to_string(v) +
                                          ": expected 1..2^31-1");
  return v;
}

// Bytes rounded up to 256 so that every tensor of every set starts aligned like a cudaMalloc.
std::size_t aligned(std::size_t bytes) { return (bytes + 255) / 256 * 256; }

float bf16_to_float(std::uint16_t bits) {
  const std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// OCP e4m3 (bias 7, no infinities, S.1111.111 = NaN): the fill never writes NaN.
double e4m3_to_double(std::uint8_t b) {
  const int sign = b >> 7, exp = (b >> 3) & 0xF, man = b & 0x7;
  const double v = exp == 0 ? std::ldexp(man / 8.0, -6) : std::ldexp(1.0 + man / 8.0, exp - 7);
  return sign ? -v : v;
}

class GemmMockLayer final : public Releasable<MockLayer> {
public:
  ~GemmMockLayer() override { free_buffers(); }

  Status setup(const Params& shape, void* stream) noexcept override {
    return guarded([&] {
      free_buffers();
      dtype_ = parse_dtype(shape.text("gemm_dtype"));
      m_ = positive_int(shape, "m");
      n_ = positive_int(shape, "n");
      k_ = positive_int(shape, "k");
      kernel_source_ = std::string("cublaslt_") + aiconf::gemm::gemm_dtype_name(dtype_);
      allocate_and_fill(static_cast<cudaStream_t>(stream));
      // Select the cuBLASLt algorithm now, so that run() is launch-only (timeable, graph-capturable).
      gemm_check(runner_.prepare(args_for(0)), "cuBLASLt algorithm selection");
      cuda_check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "cudaStreamSynchronize after setup");
    });
  }

  Status run(void* stream) noexcept override {
    return guarded([&] {
      if (!slab_) throw Error("gemm mock layer: run() before setup()");
      gemm_check(runner_.run(args_for(current_), workspace_, static_cast<cudaStream_t>(stream)), "GEMM launch");
    });
  }

  bool rotate_inputs() noexcept override {
    if (sets_ <= 1) return false;
    current_ = (current_ + 1) % sets_;
    return true;
  }

  Status check(void* stream, CheckReport* out) noexcept override {
    return guarded([&] {
      if (!slab_) throw Error("gemm mock layer: check() before setup()");
      auto s = static_cast<cudaStream_t>(stream);
      gemm_check(runner_.run(args_for(current_), workspace_, s), "GEMM launch");
      cuda_check(cudaStreamSynchronize(s), "cudaStreamSynchronize after the checked GEMM");
      *out = compare_slice(current_);
    });
  }

  const char* kernel_source() const noexcept override { return kernel_source_.c_str(); }
  void teardown() noexcept override { free_buffers(); }

private:
  std::size_t in_bytes() const { return dtype_ == GemmDtype::kBf16 ? 2 : 1; }
  std::size_t a_scale_floats() const {
    return dtype_ == GemmDtype::kFp8Block ? static_cast<std::size_t>(aiconf::gemm::act_scale_elems(m_, k_)) : 1;
  }
  std::size_t b_scale_floats() const {
    return dtype_ == GemmDtype::kFp8Block ? static_cast<std::size_t>(aiconf::gemm::weight_scale_elems(n_, k_)) : 1;
  }

  void allocate_and_fill(cudaStream_t s) {
    // cuBLASLt's block-scaled FP8 GEMM runs on m rounded up to 4 rows (GemmRunner's buffer
    // contract): x and y get those rows. Sizing them by m overran the last set (an H100 lost the
    // device at gemm_dtype=fp8_block m=10).
    const std::size_t rows = static_cast<std::size_t>(aiconf::gemm::gemm_rows_allocated(dtype_, m_));
    a_stride_ = aligned(rows * k_ * in_bytes());
    b_stride_ = aligned(n_ * k_ * in_bytes());
    d_stride_ = aligned(rows * n_ * 2);
    const bool scaled = dtype_ != GemmDtype::kBf16;
    as_stride_ = scaled ? aligned(a_scale_floats() * 4) : 0;
    bs_stride_ = scaled ? aligned(b_scale_floats() * 4) : 0;
    const std::size_t per_set = a_stride_ + b_stride_ + d_stride_ + as_stride_ + bs_stride_;
    sets_ = std::clamp<std::size_t>(kMinWorkingSetBytes / per_set + 1, 1, kMaxSets);
    current_ = 0;
    // One slab, one region per tensor kind: each region is filled by a single launch.
    cuda_check(cudaMalloc(&slab_, per_set * sets_), "cudaMalloc of the operand sets");
    cuda_check(cudaMalloc(&workspace_, GemmRunner::workspace_bytes()), "cudaMalloc of the cuBLASLt workspace");
    auto* base = static_cast<std::uint8_t*>(slab_);
    a_ = base;
    b_ = a_ + a_stride_ * sets_;
    d_ = b_ + b_stride_ * sets_;
    as_ = d_ + d_stride_ * sets_;
    bs_ = as_ + as_stride_ * sets_;
    const std::uint64_t seed = 0x9e3779b97f4a7c15ull ^ (static_cast<std::uint64_t>(m_) << 40) ^
                               (static_cast<std::uint64_t>(n_) << 20) ^ static_cast<std::uint64_t>(k_);
    if (dtype_ == GemmDtype::kBf16) {
      cuda_check(aiconf::gemm::fill_random_bf16(a_, static_cast<std::int64_t>(a_stride_ * sets_ / 2), seed, -1.f, 1.f, s), "fill x");
      cuda_check(aiconf::gemm::fill_random_bf16(b_, static_cast<std::int64_t>(b_stride_ * sets_ / 2), seed + 1, -1.f, 1.f, s), "fill W");
    } else {
      cuda_check(aiconf::gemm::fill_random_fp8(a_, static_cast<std::int64_t>(a_stride_ * sets_), seed, 4.f, s), "fill x");
      cuda_check(aiconf::gemm::fill_random_fp8(b_, static_cast<std::int64_t>(b_stride_ * sets_), seed + 1, 4.f, s), "fill W");
      cuda_check(aiconf::gemm::fill_random_f32(reinterpret_cast<float*>(as_), static_cast<std::int64_t>(as_stride_ * sets_ / 4),
                                               seed + 2, 0.5f, 1.5f, s), "fill x scales");
      cuda_check(aiconf::gemm::fill_random_f32(reinterpret_cast<float*>(bs_), static_cast<std::int64_t>(bs_stride_ * sets_ / 4),
                                               seed + 3, 0.5f, 1.5f, s), "fill W scales");
    }
  }

  GemmArgs args_for(std::size_t set) const {
    GemmArgs g;
    g.dtype = dtype_;
    g.m = m_;
    g.n = n_;
    g.k = k_;
    g.a = a_ + a_stride_ * set;
    g.b = b_ + b_stride_ * set;
    g.d = d_ + d_stride_ * set;
    if (dtype_ != GemmDtype::kBf16) {
      g.a_scale = reinterpret_cast<const float*>(as_ + as_stride_ * set);
      g.b_scale = reinterpret_cast<const float*>(bs_ + bs_stride_ * set);
    }
    return g;
  }

  // Up to 8 rows x 64 columns spread over the output, recomputed in float64 from the very operand
  // bytes and scales the GPU read.
  CheckReport compare_slice(std::size_t set) const {
    const GemmArgs g = args_for(set);
    std::vector<std::int64_t> rows, cols;
    for (std::int64_t i = 0, r = std::min<std::int64_t>(m_, 8); i < r; ++i) rows.push_back(i * (m_ - 1) / std::max<std::int64_t>(r - 1, 1));
    for (std::int64_t j = 0, c = std::min<std::int64_t>(n_, 64); j < c; ++j) cols.push_back(j * (n_ - 1) / std::max<std::int64_t>(c - 1, 1));
    const std::size_t eb = in_bytes();
    std::vector<std::uint8_t> a_rows(rows.size() * k_ * eb), b_rows(cols.size() * k_ * eb);
    std::vector<std::uint16_t> d_rows(rows.size() * n_);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      cuda_check(cudaMemcpy(&a_rows[r * k_ * eb], static_cast<const std::uint8_t*>(g.a) + rows[r] * k_ * eb, k_ * eb,
                            cudaMemcpyDeviceToHost), "copy x rows");
      cuda_check(cudaMemcpy(&d_rows[r * n_], static_cast<const std::uint16_t*>(g.d) + rows[r] * n_, n_ * 2,
                            cudaMemcpyDeviceToHost), "copy y rows");
    }
    for (std::size_t c = 0; c < cols.size(); ++c)
      cuda_check(cudaMemcpy(&b_rows[c * k_ * eb], static_cast<const std::uint8_t*>(g.b) + cols[c] * k_ * eb, k_ * eb,
                            cudaMemcpyDeviceToHost), "copy W rows");
    std::vector<float> sa(dtype_ == GemmDtype::kBf16 ? 0 : a_scale_floats()), sb(dtype_ == GemmDtype::kBf16 ? 0 : b_scale_floats());
    if (!sa.empty()) {
      cuda_check(cudaMemcpy(sa.data(), g.a_scale, sa.size() * 4, cudaMemcpyDeviceToHost), "copy x scales");
      cuda_check(cudaMemcpy(sb.data(), g.b_scale, sb.size() * 4, cudaMemcpyDeviceToHost), "copy W scales");
    }
    auto value = [&](const std::vector<std::uint8_t>& v, std::size_t idx) {
      if (dtype_ == GemmDtype::kBf16) {
        std::uint16_t bits;
        std::memcpy(&bits, &v[idx * 2], 2);
        return static_cast<double>(bf16_to_float(bits));
      }
      return e4m3_to_double(v[idx]);
    };
    const std::int64_t groups = (k_ + aiconf::gemm::kFp8BlockSize - 1) / aiconf::gemm::kFp8BlockSize;
    double err2 = 0, ref2 = 0;
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (std::size_t c = 0; c < cols.size(); ++c) {
        double acc = 0;
        for (std::int64_t grp = 0; grp < groups; ++grp) {
          double part = 0;
          for (std::int64_t x = grp * aiconf::gemm::kFp8BlockSize; x < std::min<std::int64_t>(k_, (grp + 1) * aiconf::gemm::kFp8BlockSize); ++x)
            part += value(a_rows, r * k_ + x) * value(b_rows, c * k_ + x);
          if (dtype_ == GemmDtype::kFp8Block)
            part *= static_cast<double>(sa[grp * aiconf::gemm::act_scale_ld(m_) + rows[r]]) *
                    sb[(cols[c] / aiconf::gemm::kFp8BlockSize) * aiconf::gemm::weight_scale_ld(k_) + grp];
          acc += part;
        }
        if (dtype_ == GemmDtype::kFp8) acc *= static_cast<double>(sa[0]) * sb[0];
        const double got = bf16_to_float(d_rows[r * n_ + cols[c]]);
        err2 += (got - acc) * (got - acc);
        ref2 += acc * acc;
      }
    CheckReport rep;
    rep.max_rel_error = ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2);
    // bf16 output rounding is ~2^-9; fp8 fast accumulation adds a little more.
    const double tol = dtype_ == GemmDtype::kBf16 ? 1e-2 : 2e-2;
    rep.passed = std::isfinite(rep.max_rel_error) && rep.max_rel_error <= tol;
    rep.details = "y " + std::to_string(rows.size()) + "x" + std::to_string(cols.size()) + " slice of " + kernel_source_ +
                  " m=" + std::to_string(m_) + " n=" + std::to_string(n_) + " k=" + std::to_string(k_) +
                  ": rel L2 error " + std::to_string(rep.max_rel_error) + " (tolerance " + std::to_string(tol) + ")";
    return rep;
  }

  void free_buffers() noexcept {
    if (slab_) cudaFree(slab_);
    if (workspace_) cudaFree(workspace_);
    slab_ = workspace_ = nullptr;
    a_ = b_ = d_ = as_ = bs_ = nullptr;
    sets_ = 0;
    current_ = 0;
  }

  GemmRunner runner_;  // no CUDA work until the first prepare()/run()
  GemmDtype dtype_ = GemmDtype::kBf16;
  std::int64_t m_ = 0, n_ = 0, k_ = 0;
  std::string kernel_source_ = "cublaslt";
  void* slab_ = nullptr;
  void* workspace_ = nullptr;
  std::uint8_t *a_ = nullptr, *b_ = nullptr, *d_ = nullptr, *as_ = nullptr, *bs_ = nullptr;
  std::size_t a_stride_ = 0, b_stride_ = 0, d_stride_ = 0, as_stride_ = 0, bs_stride_ = 0;
  std::size_t sets_ = 0, current_ = 0;
};

class GemmMockLayerFactory final : public Releasable<MockLayerFactory> {
public:
  const char* name() const noexcept override { return "gemm"; }
  const char* op_name() const noexcept override { return "gemm"; }
  const char* description() const noexcept override {
    return "cuBLASLt GEMM (kernels/ GemmRunner): bfloat16, fp8 per-tensor, fp8 1x128/128x128 block scales";
  }
  Status create(MockLayer** out) const noexcept override {
    return guarded([&] { *out = new GemmMockLayer; });
  }
};

}  // namespace

void register_gemm_mock_layer(Registrar& r) { throw_if_error(r.add_mock_layer(new GemmMockLayerFactory)); }

}  // namespace aiconf::gemm_plugin
