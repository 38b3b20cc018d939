// GPU test of the per-tensor e4m3 quantization (fp8_quantize.h) against the CPU reference
// (reference/fp8_e4m3_reference.h): fresh random bf16 inputs (uniform, log-uniform magnitudes that
// reach the e4m3 subnormals, normal with outliers that saturate), scales calibrated on the device
// (amax / 448, compared with the CPU's), outputs and 64 guard bytes after each poisoned with 0x7F
// (e4m3 NaN, which a saturating conversion of finite values never writes) and checked fully
// written and not overrun. Each byte must equal the CPU reference (same fp32 operations) and
// dequantize within half an e4m3 step (2^-4 relative, 2^-10 * scale in the subnormal range).
// Covers Q/K/V of an MLA context step in one launch, one 8-value chunk, a tensor beyond the grid
// cap (grid-stride loop), an empty tensor, and the refusals. Exits 77 without a GPU.
#include <aiconf/flash_attention/fp8_quantize.h>
#include <fp8_e4m3_reference.h>
#include <flash_attention_reference.h>

#include <aiconf_plugins/gpu_program.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace fa = aiconf::flash_attention;
namespace ref = aiconf::flash_attention::reference;

namespace {

constexpr std::size_t kGuard = 64;
constexpr std::uint8_t kPoison = 0x7F;

enum class Dist { kUniform, kLogUniform, kNormalOutliers };

struct Dev {
  void* p = nullptr;
  explicit Dev(std::size_t bytes) { AICONF_GPU_CHECK(cudaMalloc(&p, std::max<std::size_t>(bytes, 16))); }
  ~Dev() { cudaFree(p); }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
};

float sample(Dist d, std::mt19937& rng) {
  switch (d) {
    case Dist::kUniform: return std::uniform_real_distribution<float>(-1.f, 1.f)(rng);
    case Dist::kLogUniform: {
      // Magnitudes 2^-16 .. 2^3: after scaling by amax / 448 the small ones fall in the e4m3
      // subnormals or round to zero.
      const float mag = std::exp2(std::uniform_real_distribution<float>(-16.f, 3.f)(rng));
      return (rng() & 1) ? mag : -mag;
    }
    case Dist::kNormalOutliers: {
      if (rng() % 4096 == 0) return (rng() & 1) ? 40.f : -40.f;  // an outlier sets amax
      return std::normal_distribution<float>(0.f, 0.5f)(rng);
    }
  }
  return 0.f;
}

/// One tensor of a launch: host inputs, device buffers, expected scale.
struct Tensor {
  std::string name;
  std::size_t n;
  Dist dist;
  std::size_t row_len = 0, src_row_stride = 0;  ///< strided source (0 = contiguous)
  std::vector<std::uint16_t> bits;               ///< the whole source, gaps between rows included
  std::vector<float> x;                          ///< the n values the kernel quantizes, in order
  float amax = 0.f;                              ///< over the n values (the scale kernel reads the same rows)
  std::size_t src_n() const { return row_len == 0 ? n : n / row_len * src_row_stride; }
};

void make_inputs(Tensor& t, std::mt19937& rng) {
  t.bits.resize(t.src_n());
  t.x.resize(t.n);
  t.amax = 0.f;
  // The gaps between strided rows get larger values: a kernel reading them would be caught by the
  // scale (amax) and by the quantized bytes.
  for (std::size_t i = 0; i < t.bits.size(); ++i) t.bits[i] = ref::float_to_bf16(8.f * sample(t.dist, rng));
  for (std::size_t i = 0; i < t.n; ++i) {
    const std::size_t at = t.row_len == 0 ? i : i / t.row_len * t.src_row_stride + i % t.row_len;
    t.bits[at] = ref::float_to_bf16(sample(t.dist, rng));
    t.x[i] = ref::bf16_to_float(t.bits[at]);
    t.amax = std::max(t.amax, std::fabs(t.x[i]));
  }
}

/// Runs one launch over `ts` and checks every output byte. Returns true when all pass.
bool run_case(const char* label, std::vector<Tensor>& ts, std::mt19937& rng, cudaStream_t stream) {
  for (Tensor& t : ts) make_inputs(t, rng);
  std::vector<Dev*> src, dst;
  Dev scales(ts.size() * sizeof(float));
  std::vector<fa::Fp8QuantizeTensor> job(ts.size());
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const std::size_t src_n = ts[i].src_n();
    src.push_back(new Dev(src_n * 2));
    dst.push_back(new Dev(ts[i].n + kGuard));
    AICONF_GPU_CHECK(cudaMemcpyAsync(src[i]->p, ts[i].bits.data(), src_n * 2, cudaMemcpyHostToDevice, stream));
    AICONF_GPU_CHECK(cudaMemsetAsync(dst[i]->p, kPoison, ts[i].n + kGuard, stream));
    float* scale = static_cast<float*>(scales.p) + i;
    AICONF_GPU_CHECK(fa::fp8_scale_from_absmax(static_cast<const __nv_bfloat16*>(src[i]->p), ts[i].n, scale, stream, ts[i].row_len,
                                         ts[i].src_row_stride));
    job[i] = {static_cast<const __nv_bfloat16*>(src[i]->p), static_cast<std::uint8_t*>(dst[i]->p), ts[i].n, scale,
              ts[i].row_len, ts[i].src_row_stride};
  }
  AICONF_GPU_CHECK(fa::launch_fp8_quantize(job.data(), static_cast<int>(job.size()), stream));
  std::vector<float> scale(ts.size());
  AICONF_GPU_CHECK(cudaMemcpyAsync(scale.data(), scales.p, ts.size() * sizeof(float), cudaMemcpyDeviceToHost, stream));
  AICONF_GPU_CHECK(cudaStreamSynchronize(stream));
  bool all_ok = true;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    std::vector<std::uint8_t> got(t.n + kGuard);
    AICONF_GPU_CHECK(cudaMemcpy(got.data(), dst[i]->p, got.size(), cudaMemcpyDeviceToHost));
    const float want_scale = std::fmax(t.amax, 1e-12f) / fa::kFp8E4m3Max;
    std::size_t unwritten = 0, overrun = 0, mismatch = 0, out_of_bound = 0, zeros = 0, subnormal = 0, saturated = 0;
    double max_rel = 0;
    for (std::size_t j = 0; j < t.n; ++j) {
      const std::uint8_t b = got[j];
      if ((b & 0x7F) == kPoison) {
        ++unwritten;
        continue;
      }
      mismatch += b != ref::quantize_e4m3(t.x[j], scale[i]);
      out_of_bound += !ref::e4m3_within_bound(t.x[j], b, scale[i]);
      zeros += (b & 0x7F) == 0;
      subnormal += (b & 0x78) == 0 && (b & 7) != 0;
      saturated += (b & 0x7F) == 0x7E;
      if (std::fabs(t.x[j]) >= 0x1p-6f * scale[i])
        max_rel = std::max(max_rel, std::fabs(ref::e4m3_to_float(b) * double(scale[i]) - t.x[j]) / std::fabs(t.x[j]));
    }
    for (std::size_t j = t.n; j < t.n + kGuard; ++j) overrun += got[j] != kPoison;
    const bool scale_ok = t.n == 0 || scale[i] == want_scale;
    const bool ok = scale_ok && unwritten == 0 && overrun == 0 && mismatch == 0 && out_of_bound == 0;
    all_ok = all_ok && ok;
    std::printf("%s %s / %s: n %zu, scale %.6g (CPU %.6g), unwritten %zu, overrun %zu, mismatches vs CPU %zu, "
                "outside the e4m3 bound %zu, max relative error (normals) %.4f (bound 0.0625), zeros %zu, subnormals %zu, "
                "saturated %zu\n",
                ok ? "ok  " : "FAIL", label, t.name.c_str(), t.n, scale[i], want_scale, unwritten, overrun, mismatch,
                out_of_bound, max_rel, zeros, subnormal, saturated);
  }
  for (Dev* d : src) delete d;
  for (Dev* d : dst) delete d;
  return all_ok;
}

/// Parameters the kernel cannot take must be refused before any launch.
bool refusals() {
  Dev buf(1024), scale(16);
  const auto* s = static_cast<const __nv_bfloat16*>(buf.p);
  auto* d = static_cast<std::uint8_t*>(buf.p) + 512;
  const float* sc = static_cast<const float*>(scale.p);
  struct Bad {
    const char* what;
    fa::Fp8QuantizeTensor t;
    int count;
  };
  const Bad bad[] = {
      {"n % 8 != 0", {s, d, 12, sc}, 1},
      {"src misaligned", {s + 1, d, 16, sc}, 1},
      {"dst misaligned", {s, d + 1, 16, sc}, 1},
      {"null scale", {s, d, 16, nullptr}, 1},
      {"count 0", {s, d, 16, sc}, 0},
      {"count 5", {s, d, 16, sc}, 5},
      {"stride < row_len", {s, d, 32, sc, 16, 8}, 1},
      {"row_len % 8 != 0", {s, d, 24, sc, 12, 16}, 1},
      {"n not whole rows", {s, d, 24, sc, 16, 16}, 1},
      {"stride without row_len", {s, d, 16, sc, 0, 16}, 1},
  };
  bool ok = true;
  for (const Bad& b : bad) {
    fa::Fp8QuantizeTensor ts[5] = {b.t, b.t, b.t, b.t, b.t};
    const bool refused = fa::fp8_quantize_check(ts, b.count) != nullptr &&
                         fa::launch_fp8_quantize(ts, b.count, nullptr) == cudaErrorInvalidValue;
    ok = ok && refused;
    std::printf("%s refusal of %s\n", refused ? "ok  " : "FAIL", b.what);
  }
  AICONF_GPU_CHECK(cudaGetLastError());  // a refusal must not leave a sticky launch error behind
  return ok;
}

}  // namespace

int main() {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s\n", prop.name);
  cudaStream_t stream;
  AICONF_GPU_CHECK(cudaStreamCreate(&stream));
  std::mt19937 rng(std::random_device{}());  // fresh inputs every run; the seed is printed
  const unsigned seed = rng();
  rng.seed(seed);
  std::printf("seed %u\n", seed);

  int failures = 0;
  {
    // One MLA context step (batch 2, 300 new tokens after 200 cached, 16 heads): Q [2, 300, 16, 192],
    // K [2, 16, 500, 192], V [2, 16, 500, 128], as the mla_context mock layer quantizes them.
    std::vector<Tensor> ts = {{"q", 2u * 300 * 16 * 192, Dist::kUniform},
                              {"k", 2u * 16 * 500 * 192, Dist::kLogUniform},
                              {"v", 2u * 16 * 500 * 128, Dist::kNormalOutliers}};
    failures += !run_case("mla step", ts, rng, stream);
  }
  {
    std::vector<Tensor> ts = {{"one chunk", 8, Dist::kUniform}};
    failures += !run_case("8 values", ts, rng, stream);
  }
  {
    // 8192 blocks x 256 threads x 8 values = 16.8M values per grid pass: 20M needs the stride loop.
    // An empty tensor in the same launch must write nothing and not stop the others.
    std::vector<Tensor> ts = {{"big", 20000008, Dist::kLogUniform},
                              {"empty", 0, Dist::kUniform},
                              {"odd chunks", 8 * 12345, Dist::kNormalOutliers},
                              {"small", 8 * 3, Dist::kUniform}};
    failures += !run_case("grid stride", ts, rng, stream);
  }
  {
    // V read in place from the interleaved kv_b projection [rows, heads, k_nope 128 | v 128] (the
    // mla_context_module mock layer): 128-value rows every 256 values; plus a contiguous tensor.
    Tensor v{"v strided", 3u * 500 * 16 * 128, Dist::kNormalOutliers};
    v.row_len = 128;
    v.src_row_stride = 256;
    Tensor odd{"odd stride", 8u * 3 * 77, Dist::kLogUniform};
    odd.row_len = 24;
    odd.src_row_stride = 40;
    std::vector<Tensor> ts = {{"q", 3u * 500 * 16 * 192, Dist::kUniform}, v, odd};
    failures += !run_case("strided source", ts, rng, stream);
  }
  failures += !refusals();
  AICONF_GPU_CHECK(cudaStreamDestroy(stream));
  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
