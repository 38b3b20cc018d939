// CUDA mock layer of the `moe` operation: one forward of the routed experts of one GPU (rank 0 of
// moe_ep_size, inter split moe_tp_size ways), as production runs it after the attention-DP
// all-gather: router GEMM over all tokens, routing kernel, permute to expert order (+ fp8
// quantization), per-expert cuBLASLt GEMMs gate+up [2*inter x hidden], SiLU*up (+ fp8
// quantization), per-expert down GEMMs [hidden x inter], combine with the routing weights. The
// reduce-scatter/all-reduce after it is a communication op of its own, not part of this one.
//
// The token -> expert assignment follows the key's `distribution` (mock/moe_routing_plan.h), not
// the router's top-k on random weights: the per-expert token counts are what the table is about,
// so the router kernel computes its scores and its own top-k (real work, kept in scratch) and the
// weights of the planned experts, and everything after it uses the planned experts. The plan is
// made at setup, so the per-expert GEMM sizes are host constants: run() has no host sync and no
// allocation (capturable in a CUDA graph).
#include "moe_mock_layer.h"

#include "mock/moe_kernels.h"
#include "mock/moe_reference.h"
#include "mock/moe_routing_plan.h"
#include "mock/moe_shape.h"

#include <aiconf/gemm/gemm_runner.h>
#include <aiconf/gemm/gemm_types.h>
#include <aiconf/gemm/random_fill.h>
#include <aiconf_plugins/device_buffer.h>
#include <aiconf_plugins/host_copy.h>
#include <aiconf_plugins/mock_layer_base.h>
#include <aiconf_plugins/random_fill.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace aiconf::moe {
using namespace aiconf::plugins;
using aiconf::gemm::GemmArgs;
using aiconf::gemm::GemmDtype;
using aiconf::gemm::GemmRunner;
using aiconf::gemm::GemmStatus;

namespace {

void gemm_check(const GemmStatus& s, const std::string& what) {
  if (s.ok()) return;
  std::string msg = "moe mock layer: " + what + ": " + s.message;
  if (s.cuda != cudaSuccess) msg += std::string(" [") + cudaGetErrorName(s.cuda) + "]";
  if (s.cublas != 0) msg += " [cublasStatus " + std::to_string(s.cublas) + "]";
  throw Error(msg);
}

GemmDtype gemm_dtype(MoeDtype d) {
  return d == MoeDtype::kBf16 ? GemmDtype::kBf16 : d == MoeDtype::kFp8 ? GemmDtype::kFp8 : GemmDtype::kFp8Block;
}

template <class T>
void upload(DeviceBuffer& dst, const std::vector<T>& src, cudaStream_t stream) {
  dst.resize(std::max<std::size_t>(src.size(), 1) * sizeof(T));
  if (!src.empty()) AICONF_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.data(), src.size() * sizeof(T), cudaMemcpyHostToDevice, stream));
}

// Static per-tensor activation scales of the fp8 (per-tensor) mode, as a checkpoint's
// input_scale would give them: x is uniform in [-1, 1]; SiLU(gate) * up stays below ~16 for the
// unit-variance gate/up this layer's weight ranges produce (larger values saturate, as in production).
constexpr float kXScale = 1.0f / kE4m3Max;
constexpr float kActScale = 16.0f / kE4m3Max;

class MoeLayer final : public MockLayerBase {
public:
  MoeLayer() : MockLayerBase("aiconf_moe_cublaslt") {}
  ~MoeLayer() override { free_buffers(); }  // side streams and events are not RAII members

protected:
  void configure(const Params& key, cudaStream_t stream) override {
    s_ = MoeShape::from(key);
    plan_ = RoutingPlan::build(s_);
    const std::int64_t t = s_.tokens, h = s_.hidden, e = s_.experts, k = s_.topk, le = s_.local_experts(), il = s_.inter_local();
    const std::size_t eb = s_.dtype == MoeDtype::kBf16 ? 2 : 1;
    const bool block = s_.dtype == MoeDtype::kFp8Block, fp8 = s_.dtype != MoeDtype::kBf16;
    gh_ = (h + 127) / 128;
    gi_ = (il + 127) / 128;
    x_.resize(t * h * 2);
    wr_.resize(e * h * 2);
    logits_.resize(t * e * 2);
    router_ids_.resize(t * k * 4);
    router_w_.resize(t * k * 4);
    weights_.resize(t * k * 4);
    upload(forced_, plan_.ids, stream);
    upload(perm_src_, plan_.perm_src, stream);
    upload(perm_seg_, plan_.perm_seg, stream);
    upload(perm_ld_, plan_.perm_ld, stream);
    upload(slot_row_, plan_.slot_row, stream);
    xp_.resize(plan_.rows * h * eb);
    gu_.resize(plan_.rows * 2 * il * 2);
    act_.resize(plan_.rows * il * eb);
    yp_.resize(plan_.rows * h * 2);
    out_.resize(t * h * 2);
    w13_.resize(le * 2 * il * h * eb);
    w2_.resize(le * h * il * eb);
    // Weight scales: one float per expert at a 16-byte stride (fp8), or each expert's 128x128
    // block scales (a multiple of 4 floats, so every expert's block starts 16-byte aligned).
    w13_sstride_ = block ? aiconf::gemm::weight_scale_elems(2 * il, h) : 4;
    w2_sstride_ = block ? aiconf::gemm::weight_scale_elems(h, il) : 4;
    if (fp8) {
      w13_s_.resize(le * w13_sstride_ * 4);
      w2_s_.resize(le * w2_sstride_ * 4);
    }
    if (block) {
      xs_.resize(gh_ * plan_.rows * 4);
      acts_.resize(gi_ * plan_.rows * 4);
    }
    static_s_.resize(8 * 4);  // [0] x scale, [4] act scale: both 16-byte aligned
    const float statics[8] = {kXScale, 0, 0, 0, kActScale, 0, 0, 0};
    AICONF_CUDA_CHECK(cudaMemcpyAsync(static_s_.get(), statics, sizeof statics, cudaMemcpyHostToDevice, stream));
    // Lanes for the per-expert GEMMs: lane 0 is the caller's stream, lanes 1.. are side streams
    // forked from it and joined back (events), which a graph capture records as parallel branches.
    // Each lane has its own cuBLASLt workspace, since its GEMMs run beside the other lanes'.
    const int lanes = static_cast<int>(std::min<std::int64_t>(s_.streams, std::max<std::int64_t>(le, 1)));
    workspaces_.resize(lanes);
    for (auto& w : workspaces_) w.resize(GemmRunner::workspace_bytes());
    for (int i = 1; i < lanes; ++i) {
      cudaStream_t side = nullptr;
      AICONF_CUDA_CHECK(cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking));
      side_.push_back(side);
      cudaEvent_t ev = nullptr;
      AICONF_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
      joins_.push_back(ev);
    }
    if (lanes > 1) AICONF_CUDA_CHECK(cudaEventCreateWithFlags(&fork_, cudaEventDisableTiming));

    // Random operands (never zeros) with ranges that give unit-variance logits and gate/up.
    const std::uint64_t seed = 0x6d6f65ull ^ (std::uint64_t(t) << 32) ^ (std::uint64_t(h) << 16) ^ std::uint64_t(e);
    const float ah = 3.f / std::sqrt(float(h)), ai = 3.f / std::sqrt(float(il));
    fill_uniform_bf16(x_.get(), t * h, seed, -1.f, 1.f, stream);
    fill_uniform_bf16(wr_.get(), e * h, seed + 1, -ah, ah, stream);
    if (!fp8) {
      fill_uniform_bf16(w13_.get(), w13_.bytes() / 2, seed + 2, -ah, ah, stream);
      fill_uniform_bf16(w2_.get(), w2_.bytes() / 2, seed + 3, -ai, ai, stream);
    } else {
      // e4m3 values over the whole range, scaled so that dequantized weights fall in [-a, a]-ish.
      AICONF_CUDA_CHECK(aiconf::gemm::fill_random_fp8(w13_.get<std::uint8_t>(), w13_.bytes(), seed + 2, kE4m3Max, stream));
      AICONF_CUDA_CHECK(aiconf::gemm::fill_random_fp8(w2_.get<std::uint8_t>(), w2_.bytes(), seed + 3, kE4m3Max, stream));
      AICONF_CUDA_CHECK(aiconf::gemm::fill_random_f32(w13_s_.get<float>(), w13_s_.bytes() / 4, seed + 4, 0.5f * ah / kE4m3Max,
                                                      1.5f * ah / kE4m3Max, stream));
      AICONF_CUDA_CHECK(aiconf::gemm::fill_random_f32(w2_s_.get<float>(), w2_s_.bytes() / 4, seed + 5, 0.5f * ai / kE4m3Max,
                                                      1.5f * ai / kE4m3Max, stream));
    }

    // The GEMMs of one forward, selected now so that run() only launches.
    gemms_.clear();
    GemmArgs router;
    router.dtype = GemmDtype::kBf16;
    router.m = t, router.n = e, router.k = h;
    router.a = x_.get(), router.b = wr_.get(), router.d = logits_.get();
    gemms_.push_back(router);
    const GemmDtype gd = gemm_dtype(s_.dtype);
    auto* xp = xp_.get<std::uint8_t>();
    auto* act = act_.get<std::uint8_t>();
    for (int pass = 0; pass < 2; ++pass)  // all gate/up GEMMs, then all down GEMMs (enqueue order)
      for (std::int64_t x = 0; x < le; ++x) {
        if (plan_.local_count[x] == 0) continue;  // an expert without tokens launches nothing
        const std::int64_t row = plan_.seg_row[x];
        GemmArgs g;
        g.dtype = gd;
        g.m = plan_.local_count[x];
        if (pass == 0) {
          g.n = 2 * il, g.k = h;
          g.a = xp + row * h * eb;
          g.b = w13_.get<std::uint8_t>() + x * 2 * il * h * eb;
          g.d = gu_.get<std::uint16_t>() + row * 2 * il;
          if (fp8) g.b_scale = w13_s_.get<float>() + x * w13_sstride_;
          if (s_.dtype == MoeDtype::kFp8) g.a_scale = static_s_.get<float>();
          if (block) g.a_scale = xs_.get<float>() + gh_ * row;
        } else {
          g.n = h, g.k = il;
          g.a = act + row * il * eb;
          g.b = w2_.get<std::uint8_t>() + x * h * il * eb;
          g.d = yp_.get<std::uint16_t>() + row * h;
          if (fp8) g.b_scale = w2_s_.get<float>() + x * w2_sstride_;
          if (s_.dtype == MoeDtype::kFp8) g.a_scale = static_s_.get<float>() + 4;
          if (block) g.a_scale = acts_.get<float>() + gi_ * row;
        }
        gemms_.push_back(g);
      }
    up_count_ = (gemms_.size() - 1) / 2;
    // Experts to lanes, largest first onto the least loaded lane (LPT). Cost of an expert GEMM ~
    // its tokens + 200: reading an expert's weights takes about as long as 200 tokens of its math
    // on Hopper (bf16: 2 B per weight at ~3-4 TB/s against 2 FLOP per weight per token at ~600 TFLOP/s).
    lane_.assign(gemms_.size(), 0);
    std::vector<std::size_t> order(up_count_);
    for (std::size_t i = 0; i < up_count_; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return gemms_[1 + a].m > gemms_[1 + b].m; });
    std::vector<std::int64_t> load(workspaces_.size(), 0);
    for (std::size_t i : order) {
      const int l = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
      load[l] += gemms_[1 + i].m + 200;
      lane_[1 + i] = lane_[1 + up_count_ + i] = l;  // the down GEMM of an expert goes where its gate/up went
    }
    for (std::size_t i = 0; i < gemms_.size(); ++i)
      gemm_check(runner_.prepare(gemms_[i]), "cuBLASLt algorithm selection for GEMM " + std::to_string(i) + " (m=" +
                                                 std::to_string(gemms_[i].m) + " n=" + std::to_string(gemms_[i].n) +
                                                 " k=" + std::to_string(gemms_[i].k) + ")");
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));  // the plan's host vectors may be rebuilt after this
  }

  void enqueue(cudaStream_t stream) override {
    const bool block = s_.dtype == MoeDtype::kFp8Block;
    const std::int64_t il = s_.inter_local();
    gemm_check(runner_.run(gemms_[0], workspaces_[0].get(), stream), "router GEMM");
    AICONF_CUDA_CHECK(launch_route(logits_.get(), s_.tokens, static_cast<int>(s_.experts), static_cast<int>(s_.topk), s_.sigmoid,
                                   forced_.get<std::int32_t>(), router_ids_.get<std::int32_t>(), router_w_.get<float>(),
                                   weights_.get<float>(), stream));
    AICONF_CUDA_CHECK(launch_permute(x_.get(), plan_.rows, s_.hidden, s_.dtype, perm_src_.get<std::int32_t>(),
                                     perm_seg_.get<std::int32_t>(), perm_ld_.get<std::int32_t>(), kXScale, xp_.get(),
                                     block ? xs_.get<float>() : nullptr, stream));
    run_experts(1, 1 + up_count_, "gate/up GEMM", stream);
    AICONF_CUDA_CHECK(launch_silu_mul(gu_.get(), plan_.rows, il, s_.dtype, perm_src_.get<std::int32_t>(),
                                      perm_seg_.get<std::int32_t>(), perm_ld_.get<std::int32_t>(), kActScale, act_.get(),
                                      block ? acts_.get<float>() : nullptr, stream));
    run_experts(1 + up_count_, gemms_.size(), "down GEMM", stream);
    AICONF_CUDA_CHECK(launch_combine(yp_.get(), slot_row_.get<std::int32_t>(), weights_.get<float>(), s_.tokens,
                                     static_cast<int>(s_.topk), s_.hidden, out_.get(), stream));
  }

  CheckReport verify(cudaStream_t stream) override;

  // GEMMs [begin, end) on their lanes: fork the side streams from `stream`, launch, join back.
  void run_experts(std::size_t begin, std::size_t end, const char* what, cudaStream_t stream) {
    if (!side_.empty()) {
      AICONF_CUDA_CHECK(cudaEventRecord(fork_, stream));
      for (cudaStream_t side : side_) AICONF_CUDA_CHECK(cudaStreamWaitEvent(side, fork_, 0));
    }
    for (std::size_t i = begin; i < end; ++i) {
      const int l = lane_[i];
      gemm_check(runner_.run(gemms_[i], workspaces_[l].get(), l == 0 ? stream : side_[l - 1]), what);
    }
    for (std::size_t i = 0; i < side_.size(); ++i) {
      AICONF_CUDA_CHECK(cudaEventRecord(joins_[i], side_[i]));
      AICONF_CUDA_CHECK(cudaStreamWaitEvent(stream, joins_[i], 0));
    }
  }

  void free_buffers() noexcept override {
    for (DeviceBuffer* b : {&x_, &wr_, &logits_, &router_ids_, &router_w_, &weights_, &forced_, &perm_src_, &perm_seg_, &perm_ld_,
                            &slot_row_, &xp_, &xs_, &gu_, &act_, &acts_, &yp_, &out_, &w13_, &w2_, &w13_s_, &w2_s_, &static_s_})
      b->release();
    workspaces_.clear();
    for (cudaStream_t side : side_) cudaStreamDestroy(side);  // errors ignored: nothing to do about them here
    for (cudaEvent_t ev : joins_) cudaEventDestroy(ev);
    if (fork_) cudaEventDestroy(fork_);
    side_.clear(), joins_.clear(), fork_ = nullptr;
    gemms_.clear();
    lane_.clear();
  }

private:
  // Raw bytes of local expert x's weights and scales, dequantized.
  std::pair<std::vector<float>, std::vector<float>> expert_weights(std::int64_t x, cudaStream_t stream) const;

  MoeShape s_;
  RoutingPlan plan_;
  std::int64_t gh_ = 0, gi_ = 0, w13_sstride_ = 0, w2_sstride_ = 0;
  DeviceBuffer x_, wr_, logits_, router_ids_, router_w_, weights_, forced_, perm_src_, perm_seg_, perm_ld_, slot_row_;
  DeviceBuffer xp_, xs_, gu_, act_, acts_, yp_, out_, w13_, w2_, w13_s_, w2_s_, static_s_;
  std::vector<DeviceBuffer> workspaces_;  // one cuBLASLt workspace per lane
  std::vector<cudaStream_t> side_;        // lanes 1..: side streams
  std::vector<cudaEvent_t> joins_;        // one per side stream: its work done
  cudaEvent_t fork_ = nullptr;            // the caller's stream reached the expert GEMMs
  GemmRunner runner_;
  std::vector<GemmArgs> gemms_;  // [0] router, then up_count_ gate/up, then the down GEMMs
  std::vector<int> lane_;        // lane of each GEMM
  std::size_t up_count_ = 0;
};

std::pair<std::vector<float>, std::vector<float>> MoeLayer::expert_weights(std::int64_t x, cudaStream_t stream) const {
  const std::int64_t h = s_.hidden, il = s_.inter_local();
  const std::size_t eb = s_.dtype == MoeDtype::kBf16 ? 2 : 1;
  const auto w13 = to_host<std::uint8_t>(w13_.get<std::uint8_t>() + x * 2 * il * h * eb, 2 * il * h * eb, stream);
  const auto w2 = to_host<std::uint8_t>(w2_.get<std::uint8_t>() + x * h * il * eb, h * il * eb, stream);
  std::vector<float> s13, s2;
  if (s_.dtype != MoeDtype::kBf16) {
    s13 = to_host<float>(w13_s_.get<float>() + x * w13_sstride_, w13_sstride_, stream);
    s2 = to_host<float>(w2_s_.get<float>() + x * w2_sstride_, w2_sstride_, stream);
  }
  return {reference::dequantize_weight(w13, 2 * il, h, s_.dtype, s13), reference::dequantize_weight(w2, h, il, s_.dtype, s2)};
}

CheckReport MoeLayer::verify(cudaStream_t stream) {
  const std::int64_t t = s_.tokens, h = s_.hidden, e = s_.experts, k = s_.topk, il = s_.inter_local();
  // Poison everything the forward writes that the check reads (0xFF: bf16/fp32 NaN, int32 -1).
  fill_bytes(out_.get(), out_.bytes(), 0xFF, stream);
  fill_bytes(logits_.get(), logits_.bytes(), 0xFF, stream);
  fill_bytes(weights_.get(), weights_.bytes(), 0xFF, stream);
  fill_bytes(router_w_.get(), router_w_.bytes(), 0xFF, stream);
  fill_bytes(router_ids_.get(), router_ids_.bytes(), 0xFF, stream);
  enqueue(stream);
  AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));

  // 1. The whole output is written: finite everywhere, exactly zero for tokens with no local expert.
  const auto out = to_host<std::uint16_t>(out_.get(), t * h, stream);
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < t; ++i) {
    bool local = false;
    for (std::int64_t j = 0; j < k; ++j) local |= plan_.slot_row[i * k + j] >= 0;
    for (std::int64_t c = 0; c < h; ++c) {
      const float v = reference::bf16_to_float(out[i * h + c]);
      if (!std::isfinite(v) || (!local && v != 0.f)) ++bad;
    }
  }
  // 2. Checked tokens, in this order: the last token of the busiest local expert (the end of the
  // largest GEMM), then the first, last and middle tokens (each moved forward to the next token
  // with a local expert), until about 12 token-expert pairs are recomputed (each is a full expert
  // on the CPU: 3 * hidden * inter_local multiply-adds in double).
  auto local_experts_of = [&](std::int64_t i) {
    std::int64_t n = 0;
    for (std::int64_t j = 0; j < k; ++j) n += plan_.slot_row[i * k + j] >= 0;
    return n;
  };
  std::vector<std::int64_t> candidates;
  const auto busiest = std::max_element(plan_.local_count.begin(), plan_.local_count.end()) - plan_.local_count.begin();
  if (!plan_.local_count.empty() && plan_.local_count[busiest] > 0)
    candidates.push_back(plan_.perm_src[plan_.seg_row[busiest] + plan_.local_count[busiest] - 1]);
  for (std::int64_t start : {std::int64_t(0), t - 1, t / 2})
    for (std::int64_t n = 0; n < t; ++n)
      if (local_experts_of((start + n) % t) > 0) {
        candidates.push_back((start + n) % t);
        break;
      }
  std::vector<std::int64_t> tokens;
  std::int64_t pairs = 0;
  for (std::int64_t i : candidates) {
    if (pairs >= 12 || std::find(tokens.begin(), tokens.end(), i) != tokens.end()) continue;
    tokens.push_back(i);
    pairs += local_experts_of(i);
  }

  const auto wr_raw = to_host<std::uint16_t>(wr_.get(), e * h, stream);
  std::vector<double> lg_got, lg_ref, w_got, w_ref, y_got, y_ref;
  std::int64_t id_mismatch = 0;
  for (std::int64_t i : tokens) {
    const auto xb = to_host<std::uint16_t>(x_.get<std::uint16_t>() + i * h, h, stream);
    std::vector<float> xf(h);
    for (std::int64_t c = 0; c < h; ++c) xf[c] = reference::bf16_to_float(xb[c]);
    // Router GEMM (float64 from the bf16 operands) against the device logits.
    const auto lb = to_host<std::uint16_t>(logits_.get<std::uint16_t>() + i * e, e, stream);
    std::vector<float> lf(e);
    for (std::int64_t x = 0; x < e; ++x) {
      double acc = 0;
      for (std::int64_t c = 0; c < h; ++c) acc += double(xf[c]) * reference::bf16_to_float(wr_raw[x * h + c]);
      lf[x] = reference::bf16_to_float(lb[x]);
      lg_got.push_back(lf[x]);
      lg_ref.push_back(acc);
    }
    // Routing kernel on the device's logits: the router's own top-k (exact ids) and weights.
    const auto ref = reference::route(lf, static_cast<int>(k), s_.sigmoid, &plan_.ids[i * k]);
    const auto ids = to_host<std::int32_t>(router_ids_.get<std::int32_t>() + i * k, k, stream);
    const auto rw = to_host<float>(router_w_.get<float>() + i * k, k, stream);
    const auto fw = to_host<float>(weights_.get<float>() + i * k, k, stream);
    for (std::int64_t j = 0; j < k; ++j) {
      id_mismatch += ids[j] != ref.ids[j];
      w_got.push_back(rw[j]), w_ref.push_back(ref.weights[j]);
      w_got.push_back(fw[j]), w_ref.push_back(ref.forced_weights[j]);
    }
    // Experts: the token's local experts with the device's routing weights (checked just above).
    std::vector<double> acc(h, 0.0);
    const auto xq = reference::quantize_row(xf, s_.dtype, kXScale);
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t x = plan_.ids[i * k + j];
      if (plan_.slot_row[i * k + j] < 0) continue;
      const auto [w13, w2] = expert_weights(x, stream);
      const auto y = reference::expert_forward(xq, w13, w2, h, il, s_.dtype, kActScale);
      for (std::int64_t c = 0; c < h; ++c) acc[c] += double(fw[j]) * y[c];
    }
    for (std::int64_t c = 0; c < h; ++c) y_got.push_back(reference::bf16_to_float(out[i * h + c])), y_ref.push_back(acc[c]);
  }
  const double e_logits = lg_got.empty() ? 0.0 : relative_l2_error(lg_got.data(), lg_ref.data(), lg_got.size());
  const double e_weights = w_got.empty() ? 0.0 : relative_l2_error(w_got.data(), w_ref.data(), w_got.size());
  const double e_out = y_got.empty() ? 0.0 : relative_l2_error(y_got.data(), y_ref.data(), y_got.size());
  const double tol = s_.dtype == MoeDtype::kBf16 ? 1e-2 : 2e-2;
  CheckReport c;
  c.max_rel_error = std::max({e_logits, e_weights, e_out});
  c.passed = bad == 0 && id_mismatch == 0 && e_logits <= 1e-2 && e_weights <= 1e-4 && e_out <= tol;
  c.details = "moe " + s_.dtype_name + " " + s_.distribution + " T=" + std::to_string(t) + " local assignments " +
              std::to_string(plan_.assignments) + " over " + std::to_string(s_.local_experts()) + " experts; " +
              std::to_string(tokens.size()) + " tokens checked: router logits rel L2 " + std::to_string(e_logits) +
              " (tol 1e-2), top-k id mismatches " + std::to_string(id_mismatch) + ", routing weights rel L2 " +
              std::to_string(e_weights) + " (tol 1e-4), output rel L2 " + std::to_string(e_out) + " (tol " +
              std::to_string(tol) + "); unwritten/non-finite or non-zero non-local outputs: " + std::to_string(bad);
  return c;
}

}  // namespace

void register_moe_mock_layer(Registrar& r) {
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<MoeLayer>(
      "moe", "moe",
      "routed experts of one rank: bf16 router GEMM + top-k routing, permute, per-expert cuBLASLt gate/up and down GEMMs "
      "(bfloat16, fp8 per-tensor, fp8 128x128 blocks), SiLU*up, weighted combine; token counts per expert from the "
      "requested distribution")));
}

}  // namespace aiconf::moe
