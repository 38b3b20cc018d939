// CUDA mock layers of the DSA indexer: FP8 indexer logits (context, generation) and top-k
// (context, generation), on dummy random inputs of the shape a perf-table row describes.
#include "indexer_mock_layers.h"

#include <aiconf/dsa/indexer_logits.h>
#include <aiconf/dsa/indexer_logits_reference.h>
#include <aiconf/dsa/topk.h>
#include <aiconf/dsa/topk_reference.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/host_copy.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/prefill_chunks.h>
#include <aiconf_plugins/random_fill.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace aiconf::dsa {
using namespace aiconf::plugins;

namespace {

// The shape every indexer table row describes (see attention_shapes.h for the conventions).
struct IndexerShape {
  int heads = 0, head_dim = 0, topk = 0;
  std::int64_t batch = 0, isl = 0, step = 0;
  std::int64_t keys() const { return step + isl; }  // keys of one sequence
  static IndexerShape from(const Params& p, bool needs_heads) {
    IndexerShape s;
    if (needs_heads) {
      s.heads = static_cast<int>(p.integer("index_n_heads"));
      s.head_dim = static_cast<int>(p.integer("index_head_dim"));
    } else {
      s.topk = static_cast<int>(p.integer("index_topk"));
    }
    s.batch = p.integer("batch_size");
    s.isl = p.integer("isl");
    s.step = p.integer_or("step", 0);
    if (s.batch < 1 || s.isl < 1 || s.step < 0) throw Error("batch_size and isl must be >= 1 and step >= 0, got " + p.str());
    return s;
  }
};

// Rows to compare with the CPU reference: first, last and a few in between.
std::vector<std::int64_t> sample_rows(std::int64_t rows, int count) {
  std::vector<std::int64_t> r;
  for (int i = 0; i < count; ++i) r.push_back(rows <= 1 ? 0 : (rows - 1) * i / (count - 1));
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

// Hopper's FP8 wgmma accumulates with fewer than fp32's mantissa bits (about 14, as DeepSeek-V3's
// report notes), and the signed head-weighted sum cancels: a row of few keys (isl = 1) measured
// 2.8e-3 against the fp64 reference on an H200 while long rows sit near 1e-4.
constexpr double kLogitsTolerance = 5e-3;

CheckReport report(double err, double tolerance, const std::string& what) {
  CheckReport c;
  c.max_rel_error = err;
  c.passed = err <= tolerance;
  c.details = what + ": relative L2 error " + std::to_string(err) + " (tolerance " + std::to_string(tolerance) + ")";
  return c;
}

// ---------------------------------------------------------------------------------------------
// Context logits over chunks of sequences (see prefill_chunks.h): each query row only computes its
// own sequence's causal range [ks, ke) of the chunk's concatenated keys.
class LogitsContextLayer final : public MockLayerBase {
public:
  LogitsContextLayer() : MockLayerBase("aiconf_fp8_indexer_logits_wgmma") {}

protected:
  void configure(const Params& p, cudaStream_t stream) override {
    s_ = IndexerShape::from(p, true);
    if (!indexer_logits_supported(s_.heads, s_.head_dim))
      throw Error("indexer logits kernel has no instance for index_n_heads=" + std::to_string(s_.heads) +
                  " index_head_dim=" + std::to_string(s_.head_dim));
    chunks_.plan(s_.batch, s_.isl, s_.step, stream);
    const std::int64_t tokens = s_.batch * s_.isl, keys = s_.batch * s_.keys();
    q_.resize(tokens * s_.heads * s_.head_dim);
    w_.resize(tokens * s_.heads * sizeof(float));
    k_.resize(keys * s_.head_dim);
    k_scale_.resize(keys * sizeof(float));
    logits_.resize(chunks_.logits_bytes(s_.isl));
    fill_uniform_fp8(q_.get(), q_.bytes(), 11, -4.f, 4.f, stream);
    fill_uniform_fp8(k_.get(), k_.bytes(), 12, -4.f, 4.f, stream);
    fill_uniform_f32(w_.get<float>(), tokens * s_.heads, 13, -1.f, 1.f, stream);
    fill_uniform_f32(k_scale_.get<float>(), keys, 14, 0.5f, 1.5f, stream);
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  IndexerLogitsContextArgs chunk_args(std::int64_t first_seq) const {
    const std::int64_t seqs = std::min(chunks_.chunk, s_.batch - first_seq);
    IndexerLogitsContextArgs a;
    a.q = q_.get<std::uint8_t>() + first_seq * s_.isl * s_.heads * s_.head_dim;
    a.weights = w_.get<float>() + first_seq * s_.isl * s_.heads;
    a.k_fp8 = k_.get<std::uint8_t>() + first_seq * s_.keys() * s_.head_dim;
    a.k_scale = k_scale_.get<float>() + first_seq * s_.keys();
    a.ks = chunks_.ks.get<std::int32_t>();
    a.ke = chunks_.ke.get<std::int32_t>();
    a.logits = logits_.get<float>();
    a.ld_logits = chunks_.ld;
    a.n_tokens = static_cast<int>(seqs * s_.isl);
    a.n_keys = a.n_cols = static_cast<int>(seqs * s_.keys());
    a.n_heads = s_.heads;
    a.head_dim = s_.head_dim;
    a.fill_masked = false;
    return a;
  }

  void enqueue(cudaStream_t stream) override {
    for (std::int64_t first = 0; first < s_.batch; first += chunks_.chunk)
      AICONF_CUDA_CHECK(launch_indexer_logits_context(chunk_args(first), stream));
  }

  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(logits_.get(), logits_.bytes(), 0xFF, stream);  // NaN poison
    enqueue(stream);
    // The logits buffer now holds the last chunk.
    const std::int64_t last = ((s_.batch - 1) / chunks_.chunk) * chunks_.chunk;
    const auto a = chunk_args(last);
    const auto ks = to_host<std::int32_t>(a.ks, a.n_tokens, stream), ke = to_host<std::int32_t>(a.ke, a.n_tokens, stream);
    const auto k = to_host<std::uint8_t>(a.k_fp8, std::size_t(a.n_keys) * s_.head_dim, stream);
    const auto ksc = to_host<float>(a.k_scale, a.n_keys, stream);
    std::vector<double> got, ref;
    for (std::int64_t row : sample_rows(a.n_tokens, 5)) {
      const auto q = to_host<std::uint8_t>(static_cast<const std::uint8_t*>(a.q) + row * s_.heads * s_.head_dim,
                                           std::size_t(s_.heads) * s_.head_dim, stream);
      const auto w = to_host<float>(a.weights + row * s_.heads, s_.heads, stream);
      const auto out = to_host<float>(a.logits + row * a.ld_logits, a.n_cols, stream);
      std::vector<double> r;
      indexer_logits_reference_context(q.data(), w.data(), k.data(), ksc.data(), &ks[row], &ke[row], 1, s_.heads,
                                       s_.head_dim, a.n_cols, r);
      for (int c = ks[row]; c < ke[row]; ++c) {
        got.push_back(out[c]);
        ref.push_back(r[c]);
      }
    }
    return report(relative_l2_error(got.data(), ref.data(), got.size()), kLogitsTolerance, "indexer logits (context), sampled rows");
  }

  void free_buffers() noexcept override { q_ = {}, w_ = {}, k_ = {}, k_scale_ = {}, logits_ = {}, chunks_.release(); }

private:
  IndexerShape s_;
  PrefillChunks chunks_;
  DeviceBuffer q_, w_, k_, k_scale_, logits_;
};

// ---------------------------------------------------------------------------------------------
// Generation logits over a paged index cache (pages of 64 tokens scattered in one pool, 132 B per
// token for head_dim 128), as a serving engine holds it.
__global__ void fill_page_scales(std::uint8_t* pool, std::int64_t pages, int page_size, int head_dim) {
  const std::int64_t total = pages * page_size;
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < total; i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t page = i / page_size, slot = i % page_size;
    float* scales = reinterpret_cast<float*>(pool + page * page_size * (head_dim + 4) + std::int64_t(page_size) * head_dim);
    scales[slot] = 0.5f + static_cast<float>((i * 2654435761ull) % 1024) / 1024.f;
  }
}

class LogitsGenerationLayer final : public MockLayerBase {
public:
  LogitsGenerationLayer() : MockLayerBase("aiconf_fp8_paged_indexer_logits_wgmma") {}

protected:
  static constexpr int kPage = 64;

  void configure(const Params& p, cudaStream_t stream) override {
    s_ = IndexerShape::from(p, true);
    if (!indexer_logits_supported(s_.heads, s_.head_dim))
      throw Error("indexer logits kernel has no instance for index_n_heads=" + std::to_string(s_.heads) +
                  " index_head_dim=" + std::to_string(s_.head_dim));
    pages_per_seq_ = (s_.keys() + kPage - 1) / kPage;
    const std::int64_t pages = s_.batch * pages_per_seq_, rows = s_.batch * s_.isl;
    ld_ = (s_.keys() + 3) / 4 * 4;
    pool_.resize(pages * kPage * (s_.head_dim + 4));
    q_.resize(rows * s_.heads * s_.head_dim);
    w_.resize(rows * s_.heads * 4);
    lens_.resize(s_.batch * 4);
    table_.resize(pages * 4);
    logits_.resize(rows * ld_ * 4);
    std::vector<std::int32_t> table(pages), lens(s_.batch, static_cast<std::int32_t>(s_.keys()));
    std::iota(table.begin(), table.end(), 0);
    std::shuffle(table.begin(), table.end(), std::mt19937(7));  // pages scattered over the pool
    AICONF_CUDA_CHECK(cudaMemcpyAsync(table_.get(), table.data(), pages * 4, cudaMemcpyHostToDevice, stream));
    AICONF_CUDA_CHECK(cudaMemcpyAsync(lens_.get(), lens.data(), s_.batch * 4, cudaMemcpyHostToDevice, stream));
    fill_uniform_fp8(pool_.get(), pool_.bytes(), 21, -4.f, 4.f, stream);
    fill_page_scales<<<1024, 256, 0, stream>>>(pool_.get<std::uint8_t>(), pages, kPage, s_.head_dim);
    AICONF_CUDA_CHECK(cudaGetLastError());
    fill_uniform_fp8(q_.get(), q_.bytes(), 22, -4.f, 4.f, stream);
    fill_uniform_f32(w_.get<float>(), rows * s_.heads, 23, -1.f, 1.f, stream);
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  IndexerLogitsGenerationArgs args() const {
    IndexerLogitsGenerationArgs a;
    a.q = q_.get();
    a.weights = w_.get<float>();
    a.context_lens = lens_.get<std::int32_t>();
    a.layout = IndexCacheLayout::kPaged;
    a.kv_pool = pool_.get();
    a.block_table = table_.get<std::int32_t>();
    a.block_table_stride = static_cast<int>(pages_per_seq_);
    a.num_pages = static_cast<int>(s_.batch * pages_per_seq_);
    a.page_size = kPage;
    a.logits = logits_.get<float>();
    a.ld_logits = ld_;
    a.batch = static_cast<int>(s_.batch);
    a.n_next = static_cast<int>(s_.isl);
    a.max_context_len = static_cast<int>(s_.keys());
    a.n_heads = s_.heads;
    a.head_dim = s_.head_dim;
    return a;
  }

  void enqueue(cudaStream_t stream) override { AICONF_CUDA_CHECK(launch_indexer_logits_generation(args(), stream)); }

  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(logits_.get(), logits_.bytes(), 0xFF, stream);
    enqueue(stream);
    const auto table = to_host<std::int32_t>(table_.get(), s_.batch * pages_per_seq_, stream);
    const std::size_t page_bytes = std::size_t(kPage) * (s_.head_dim + 4);
    std::vector<double> got, ref;
    for (std::int64_t b : sample_rows(s_.batch, 3)) {
      // Gather this sequence's keys and scales out of its scattered pages.
      std::vector<std::uint8_t> k(s_.keys() * s_.head_dim);
      std::vector<float> ksc(s_.keys());
      for (std::int64_t pg = 0; pg < pages_per_seq_; ++pg) {
        const auto page = to_host<std::uint8_t>(pool_.get<std::uint8_t>() + table[b * pages_per_seq_ + pg] * page_bytes,
                                                page_bytes, stream);
        for (int slot = 0; slot < kPage && pg * kPage + slot < s_.keys(); ++slot) {
          const std::int64_t t = pg * kPage + slot;
          std::memcpy(&k[t * s_.head_dim], &page[slot * s_.head_dim], s_.head_dim);
          std::memcpy(&ksc[t], &page[std::size_t(kPage) * s_.head_dim + slot * 4], 4);
        }
      }
      const std::int64_t rows = s_.isl;
      const auto q = to_host<std::uint8_t>(q_.get<std::uint8_t>() + b * rows * s_.heads * s_.head_dim,
                                           rows * s_.heads * s_.head_dim, stream);
      const auto w = to_host<float>(w_.get<float>() + b * rows * s_.heads, rows * s_.heads, stream);
      const auto out = to_host<float>(logits_.get<float>() + b * rows * ld_, rows * ld_, stream);
      const std::int32_t len = static_cast<std::int32_t>(s_.keys());
      std::vector<double> r;
      indexer_logits_reference_generation(q.data(), w.data(), k.data(), ksc.data(), &len, 1, static_cast<int>(rows),
                                          static_cast<int>(s_.keys()), s_.heads, s_.head_dim, static_cast<int>(s_.keys()), r);
      for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t c = 0; c < s_.step + i + 1; ++c) {
          got.push_back(out[i * ld_ + c]);
          ref.push_back(r[i * s_.keys() + c]);
        }
    }
    return report(relative_l2_error(got.data(), ref.data(), got.size()), kLogitsTolerance, "indexer logits (generation, paged), sampled sequences");
  }

  void free_buffers() noexcept override { pool_ = {}, q_ = {}, w_ = {}, lens_ = {}, table_ = {}, logits_ = {}; }

private:
  IndexerShape s_;
  std::int64_t pages_per_seq_ = 0, ld_ = 0;
  DeviceBuffer pool_, q_, w_, lens_, table_, logits_;
};

// ---------------------------------------------------------------------------------------------
// Top-k of each causal logits row: row r of a sequence sees step + (r mod isl) + 1 keys.
class TopkLayer final : public MockLayerBase {
public:
  TopkLayer() : MockLayerBase("aiconf_radix_topk") {}

protected:
  void configure(const Params& p, cudaStream_t stream) override {
    s_ = IndexerShape::from(p, false);
    rows_ = s_.batch * s_.isl;
    cols_ = s_.keys();
    logits_.resize(rows_ * cols_ * 4);
    indices_.resize(rows_ * s_.topk * 4);
    lens_.resize(rows_ * 4);
    std::vector<std::int32_t> lens(rows_);
    for (std::int64_t r = 0; r < rows_; ++r) lens[r] = static_cast<std::int32_t>(s_.step + r % s_.isl + 1);
    AICONF_CUDA_CHECK(cudaMemcpyAsync(lens_.get(), lens.data(), rows_ * 4, cudaMemcpyHostToDevice, stream));
    fill_uniform_f32(logits_.get<float>(), rows_ * cols_, 31, -8.f, 8.f, stream);
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  TopkProblem problem() const {
    TopkProblem t;
    t.logits = logits_.get<float>();
    t.row_lengths = lens_.get<std::int32_t>();
    t.indices = indices_.get<std::int32_t>();
    t.rows = rows_;
    t.cols = t.ld = cols_;
    t.k = s_.topk;
    return t;
  }

  void enqueue(cudaStream_t stream) override {
    const TopkProblem t = problem();
    if (topk_workspace_bytes(t) > 0) throw Error("top-k kernel asks for a workspace this mock layer does not provide");
    AICONF_CUDA_CHECK(launch_topk(t, nullptr, 0, stream));
  }

  CheckReport verify(cudaStream_t stream) override {
    fill_bytes(indices_.get(), indices_.bytes(), 0xFF, stream);  // -1 everywhere: "not written" must be caught below
    enqueue(stream);
    CheckReport c;
    c.passed = true;
    int checked = 0;
    for (std::int64_t r : sample_rows(rows_, 6)) {
      const std::int64_t len = s_.step + r % s_.isl + 1;
      const auto row = to_host<float>(logits_.get<float>() + r * cols_, len, stream);
      const auto got = to_host<std::int32_t>(indices_.get<std::int32_t>() + r * s_.topk, s_.topk, stream);
      std::string err = check_topk_row(row.data(), len, s_.topk, got.data(), topk_reference_values(row.data(), len, s_.topk));
      ++checked;
      if (!err.empty()) {
        c.passed = false;
        c.max_rel_error = 1;
        c.details = "top-k row " + std::to_string(r) + ": " + err;
        return c;
      }
    }
    c.details = "top-k: " + std::to_string(checked) + " sampled rows equal the exact top-k as sets";
    return c;
  }

  void free_buffers() noexcept override { logits_ = {}, indices_ = {}, lens_ = {}; }

private:
  IndexerShape s_;
  std::int64_t rows_ = 0, cols_ = 0;
  DeviceBuffer logits_, indices_, lens_;
};

}  // namespace

void register_indexer_mock_layers(Registrar& r) {
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<LogitsContextLayer>(
      "dsa_indexer_logits_context", "dsa_indexer_logits_context", "FP8 wgmma indexer logits over chunks of causal prefill sequences")));
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<LogitsGenerationLayer>(
      "dsa_indexer_logits_generation", "dsa_indexer_logits_generation", "FP8 wgmma indexer logits over a paged index cache")));
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<TopkLayer>("dsa_topk_context", "dsa_topk_context",
                                                                    "radix-select top-k of causal prefill logits rows")));
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<TopkLayer>("dsa_topk_generation", "dsa_topk_generation",
                                                                    "radix-select top-k of decode logits rows")));
}

}  // namespace aiconf::dsa
