// CUDA mock layers of the memory-bound operations (memory_op_perf): embedding gather, RMSNorm,
// SiLU(gate)*up, per-1x128 FP8 quantization, KV-cache write (bf16 or FP8 cache) and a residual
// add, on random inputs. Verify: outputs poisoned (0xFF), one run, no poison left where the op
// writes (counted over the whole output on the device), and up to 64 rows (first, last, spread
// between) compared element by element with the fp64 CPU reference.
#include "memory_kernels.h"
#include "memory_mock_layers.h"
#include "memory_reference.h"

#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/host_copy.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/random_fill.h>

#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <set>
#include <vector>

namespace aiconf::memory {
using namespace aiconf::plugins;
namespace ref = reference;

namespace {

enum class MemOp { embedding, rms_norm, activation, quantize, kv_cache_write, elementwise };

const char* op_name(MemOp op) {
  switch (op) {
    case MemOp::embedding: return "embedding";
    case MemOp::rms_norm: return "rms_norm";
    case MemOp::activation: return "activation";
    case MemOp::quantize: return "quantize";
    case MemOp::kv_cache_write: return "kv_cache_write";
    case MemOp::elementwise: return "elementwise";
  }
  return "?";
}

constexpr float kRmsEps = 1e-6f;
constexpr float kKvScale = 2.0f / 448;  // per-tensor FP8 cache scale: inputs in [-2, 2) use the full range
constexpr std::size_t kEmbeddingTableBytes = 512u << 20;  // far beyond L2, like a real vocabulary

// One poison-free element count check and the worst element of the compared rows.
struct Tally {
  std::size_t compared = 0, bad = 0;
  double worst = 0;  // largest |got - ref| / tolerance
  std::string first_bad;
  void add(double got, double want, double rel, double abs, std::int64_t row, std::int64_t col) {
    ++compared;
    const double tol = rel * std::fabs(want) + abs;
    const double r = tol > 0 ? std::fabs(got - want) / tol : (got == want ? 0 : INFINITY);
    if (!(r <= 1)) {
      if (!bad++) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "row %lld col %lld: got %.8g, expected %.8g", static_cast<long long>(row),
                      static_cast<long long>(col), got, want);
        first_bad = buf;
      }
      worst = INFINITY;
    } else {
      worst = std::max(worst, r);
    }
  }
};

class MemoryLayer : public MockLayerBase {
public:
  explicit MemoryLayer(MemOp op) : MockLayerBase(std::string("aiconf_") + op_name(op) + "_v8"), op_(op) {}

protected:
  void configure(const Params& p, cudaStream_t stream) override {
    tokens_ = p.integer("num_tokens");
    hidden_ = p.integer("hidden_size");
    const std::string dtype = p.text("dtype");
    const std::string what = std::string(op_name(op_)) + " " + p.str();
    if (tokens_ < 1 || hidden_ < 8 || hidden_ % 8 != 0)
      throw Error(what + ": expected num_tokens >= 1 and hidden_size a positive multiple of 8 (16-byte rows)");
    fp8_ = dtype == "fp8" || dtype == "fp8_e4m3";
    const bool bf16 = dtype == "bfloat16" || dtype == "bf16";
    if (op_ == MemOp::quantize ? !fp8_ : op_ == MemOp::kv_cache_write ? !(fp8_ || bf16) : !bf16)
      throw Error(what + ": dtype '" + dtype + "' is not supported (expected " +
                  (op_ == MemOp::quantize ? "fp8" : op_ == MemOp::kv_cache_write ? "bfloat16 or fp8" : "bfloat16") + ")");
    const std::size_t n = static_cast<std::size_t>(tokens_ * hidden_);
    switch (op_) {
      case MemOp::embedding: {
        vocab_ = std::clamp<std::int64_t>(kEmbeddingTableBytes / (2 * hidden_), 1024, 262144);
        in_.resize(static_cast<std::size_t>(vocab_ * hidden_) * 2);
        out_.resize(n * 2);
        std::vector<std::int32_t> ids(tokens_);
        std::mt19937 rng(5);
        for (auto& id : ids) id = static_cast<std::int32_t>(rng() % vocab_);
        index_.resize(ids.size() * 4);
        AICONF_CUDA_CHECK(cudaMemcpyAsync(index_.get(), ids.data(), ids.size() * 4, cudaMemcpyHostToDevice, stream));
        AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));  // `ids` ends here
        break;
      }
      case MemOp::rms_norm:
        in_.resize(n * 2), aux_.resize(hidden_ * 2), out_.resize(n * 2);
        fill_uniform_bf16(aux_.get(), hidden_, 12, 0.5f, 1.5f, stream);
        break;
      case MemOp::activation: in_.resize(2 * n * 2), out_.resize(n * 2); break;
      case MemOp::quantize:
        in_.resize(n * 2), out_.resize(n), aux_.resize(static_cast<std::size_t>(tokens_ * groups()) * 4);
        break;
      case MemOp::kv_cache_write: {
        // A cache of twice the tokens' slots, written at distinct random slots (a paged cache's
        // slot mapping): scattered rows, as in an engine.
        in_.resize(n * 2);
        out_.resize(static_cast<std::size_t>(2 * tokens_ * hidden_) * (fp8_ ? 1 : 2));
        std::vector<std::int64_t> slots(2 * tokens_);
        std::iota(slots.begin(), slots.end(), 0);
        std::shuffle(slots.begin(), slots.end(), std::mt19937(6));
        slots.resize(tokens_);
        index_.resize(slots.size() * 8);
        AICONF_CUDA_CHECK(cudaMemcpyAsync(index_.get(), slots.data(), slots.size() * 8, cudaMemcpyHostToDevice, stream));
        AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));  // `slots` ends here
        break;
      }
      case MemOp::elementwise: in_.resize(n * 2), aux_.resize(n * 2), out_.resize(n * 2); break;
    }
    fill_uniform_bf16(in_.get(), in_.bytes() / 2, 11, -2.f, 2.f, stream);
    if (op_ == MemOp::elementwise) fill_uniform_bf16(aux_.get(), n, 13, -2.f, 2.f, stream);
    counter_.resize(sizeof(unsigned long long));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  std::int64_t groups() const { return (hidden_ + 127) / 128; }

  void enqueue(cudaStream_t stream) override {
    nvtxRangePushA(op_name(op_));
    auto* in = in_.get<std::uint16_t>();
    switch (op_) {
      case MemOp::embedding:
        launch_embedding(in, index_.get<std::int32_t>(), out_.get<std::uint16_t>(), tokens_, hidden_, stream);
        break;
      case MemOp::rms_norm:
        launch_rms_norm(in, aux_.get<std::uint16_t>(), out_.get<std::uint16_t>(), tokens_, hidden_, kRmsEps, stream);
        break;
      case MemOp::activation: launch_silu_mul(in, out_.get<std::uint16_t>(), tokens_, hidden_, stream); break;
      case MemOp::quantize:
        launch_quantize_fp8(in, out_.get<std::uint8_t>(), aux_.get<float>(), tokens_, hidden_, stream);
        break;
      case MemOp::kv_cache_write:
        launch_kv_cache_write(in, index_.get<std::int64_t>(), out_.get(), fp8_, kKvScale, tokens_, hidden_, stream);
        break;
      case MemOp::elementwise:
        launch_add(in, aux_.get<std::uint16_t>(), out_.get<std::uint16_t>(), tokens_ * hidden_, stream);
        break;
    }
    nvtxRangePop();
  }

  // Elements of `width` bytes still poisoned in `buf` after the run.
  unsigned long long poisoned(const DeviceBuffer& buf, int width, cudaStream_t stream) {
    AICONF_CUDA_CHECK(cudaMemsetAsync(counter_.get(), 0, sizeof(unsigned long long), stream));
    launch_count_poison(buf.get(), static_cast<std::int64_t>(buf.bytes() / width), width, counter_.get<unsigned long long>(), stream);
    return to_host<unsigned long long>(counter_.get(), 1, stream)[0];
  }

  std::vector<double> bf16_row(const DeviceBuffer& buf, std::int64_t row, std::int64_t width, cudaStream_t stream) {
    const auto bits = to_host<std::uint16_t>(buf.get<std::uint16_t>() + row * width, width, stream);
    std::vector<double> v(bits.size());
    for (std::size_t i = 0; i < bits.size(); ++i) v[i] = ref::bf16_value(bits[i]);
    return v;
  }

  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(out_.get(), out_.bytes(), 0xFF, stream);
    if (op_ == MemOp::quantize) fill_bytes(aux_.get(), aux_.bytes(), 0xFF, stream);
    enqueue(stream);
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
    // Poison left: none, except the cache rows no token maps to.
    const int out_width = (op_ == MemOp::quantize || (op_ == MemOp::kv_cache_write && fp8_)) ? 1 : 2;
    const unsigned long long expected_poison = op_ == MemOp::kv_cache_write ? static_cast<unsigned long long>(tokens_ * hidden_) : 0;
    unsigned long long left = poisoned(out_, out_width, stream);
    if (op_ == MemOp::quantize) left += poisoned(aux_, 4, stream);

    std::set<std::int64_t> rows{0, tokens_ - 1};
    for (int k = 1; k < 63; ++k) rows.insert(k * tokens_ / 63);
    Tally tally;
    std::vector<std::int32_t> ids;
    std::vector<std::int64_t> slots;
    if (op_ == MemOp::embedding) ids = to_host<std::int32_t>(index_.get(), tokens_, stream);
    if (op_ == MemOp::kv_cache_write) slots = to_host<std::int64_t>(index_.get(), tokens_, stream);
    std::vector<double> w;
    if (op_ == MemOp::rms_norm) w = bf16_row(aux_, 0, hidden_, stream);
    for (std::int64_t t : rows) {
      switch (op_) {
        case MemOp::embedding: {
          const auto want = bf16_row(in_, ids[t], hidden_, stream), got = bf16_row(out_, t, hidden_, stream);
          for (std::int64_t c = 0; c < hidden_; ++c) tally.add(got[c], want[c], 0, 0, t, c);
          break;
        }
        case MemOp::rms_norm: {
          const auto want = ref::rms_norm_row(bf16_row(in_, t, hidden_, stream), w, kRmsEps);
          const auto got = bf16_row(out_, t, hidden_, stream);
          for (std::int64_t c = 0; c < hidden_; ++c) tally.add(got[c], want[c], ref::kBf16Rel, ref::kBf16Abs, t, c);
          break;
        }
        case MemOp::activation: {
          const auto x = bf16_row(in_, t, 2 * hidden_, stream), got = bf16_row(out_, t, hidden_, stream);
          for (std::int64_t c = 0; c < hidden_; ++c)
            tally.add(got[c], ref::silu_mul(x[c], x[hidden_ + c]), ref::kBf16Rel, 1e-5, t, c);
          break;
        }
        case MemOp::quantize: {
          const auto x = bf16_row(in_, t, hidden_, stream);
          const auto q = to_host<std::uint8_t>(out_.get<std::uint8_t>() + t * hidden_, hidden_, stream);
          const auto s = to_host<float>(aux_.get<float>() + t * groups(), groups(), stream);
          for (std::int64_t g = 0; g < groups(); ++g) {
            const std::int64_t lo = g * 128, hi = std::min(hidden_, lo + 128);
            tally.add(s[g], ref::group_scale(x.data() + lo, hi - lo), 1e-6, 0, t, lo);
            for (std::int64_t c = lo; c < hi; ++c)
              tally.add(ref::e4m3_value(q[c]) * s[g], x[c], ref::kE4m3Rel, ref::kE4m3Abs * s[g], t, c);
          }
          break;
        }
        case MemOp::kv_cache_write: {
          const auto x = bf16_row(in_, t, hidden_, stream);
          if (fp8_) {
            const auto q = to_host<std::uint8_t>(out_.get<std::uint8_t>() + slots[t] * hidden_, hidden_, stream);
            for (std::int64_t c = 0; c < hidden_; ++c)
              tally.add(ref::e4m3_value(q[c]) * kKvScale, x[c], ref::kE4m3Rel, ref::kE4m3Abs * kKvScale, t, c);
          } else {
            const auto got = bf16_row(out_, slots[t], hidden_, stream);
            for (std::int64_t c = 0; c < hidden_; ++c) tally.add(got[c], x[c], 0, 0, t, c);
          }
          break;
        }
        case MemOp::elementwise: {
          const auto a = bf16_row(in_, t, hidden_, stream), b = bf16_row(aux_, t, hidden_, stream);
          const auto got = bf16_row(out_, t, hidden_, stream);
          for (std::int64_t c = 0; c < hidden_; ++c) tally.add(got[c], a[c] + b[c], ref::kBf16Rel, ref::kBf16Abs, t, c);
          break;
        }
      }
    }
    CheckReport r;
    r.passed = tally.bad == 0 && left == expected_poison;
    r.max_rel_error = tally.worst;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s: %zu elements of %zu rows vs fp64 reference, worst %.3g of tolerance; poisoned left %llu (expected %llu)",
                  op_name(op_), tally.compared, rows.size(), tally.worst, left, expected_poison);
    r.details = buf;
    if (tally.bad) r.details += "; " + std::to_string(tally.bad) + " mismatches, first " + tally.first_bad;
    return r;
  }

  void free_buffers() noexcept override { in_ = {}, aux_ = {}, out_ = {}, index_ = {}, counter_ = {}; }

private:
  MemOp op_;
  std::int64_t tokens_ = 0, hidden_ = 0, vocab_ = 0;
  bool fp8_ = false;
  DeviceBuffer in_, aux_, out_, index_, counter_;
};

template <MemOp Op>
struct LayerOf final : MemoryLayer {
  LayerOf() : MemoryLayer(Op) {}
};

}  // namespace

void register_memory_mock_layers(Registrar& r) {
  auto add = [&](MockLayerFactory* f) { throw_if_error(r.add_mock_layer(f)); };
  add(new MockLayerFactoryOf<LayerOf<MemOp::embedding>>("embedding", "embedding", "bf16 row gather by random token ids, 16-byte vectors"));
  add(new MockLayerFactoryOf<LayerOf<MemOp::rms_norm>>("rms_norm", "rms_norm", "RMSNorm, one block per row, row kept in registers"));
  add(new MockLayerFactoryOf<LayerOf<MemOp::activation>>("activation", "activation", "SiLU(gate) * up over a fused [T, 2H] input"));
  add(new MockLayerFactoryOf<LayerOf<MemOp::quantize>>("quantize", "quantize", "bf16 -> FP8 e4m3 with an fp32 scale per 1x128 group"));
  add(new MockLayerFactoryOf<LayerOf<MemOp::kv_cache_write>>("kv_cache_write", "kv_cache_write",
                                                             "new K+V rows scattered into a bf16 or FP8 (per-tensor scale) cache"));
  add(new MockLayerFactoryOf<LayerOf<MemOp::elementwise>>("elementwise", "elementwise", "bf16 residual add"));
}

}  // namespace aiconf::memory
