// The parallel configurations a search tries, and the Pareto frontier of its results.
#include <aiconf/search.h>

#include <algorithm>

namespace aiconf {

std::vector<ParallelConfig> enumerate_parallel(const ModelConfig& cfg, int gpus, int max_tp, int max_pp) {
  const std::int64_t experts = cfg.integer_or("moe", "num_experts", 0);
  const bool moe = experts > 1;
  std::vector<ParallelConfig> out;
  for (int tp = 1; tp <= max_tp && tp <= gpus; tp *= 2)
    for (int pp = 1; pp <= max_pp && tp * pp <= gpus; pp *= 2) {
      if (cfg.core.num_hidden_layers > 0 && pp > cfg.core.num_hidden_layers) continue;
      // Attention data parallelism only pays off with MoE (experts shared across DP ranks); for a
      // dense model a DP rank is just another replica, which the per-GPU figures already cover.
      for (int dp = 1; tp * pp * dp <= gpus; dp *= 2) {
        if (!moe && dp > 1) break;
        const int attn = tp * dp;
        if (!moe) {
          out.push_back(ParallelConfig{tp, pp, 1, 1, tp});
          continue;
        }
        for (int moe_tp = 1; moe_tp <= attn; moe_tp *= 2) {
          const int ep = attn / moe_tp;
          if (experts % ep != 0) continue;
          out.push_back(ParallelConfig{tp, pp, dp, ep, moe_tp});
        }
      }
    }
  return out;
}

std::vector<SearchPoint> pareto_frontier(std::vector<SearchPoint> points) {
  std::stable_sort(points.begin(), points.end(), [](const SearchPoint& a, const SearchPoint& b) {
    if (a.tokens_per_s_per_user != b.tokens_per_s_per_user) return a.tokens_per_s_per_user > b.tokens_per_s_per_user;
    return a.tokens_per_s_per_gpu > b.tokens_per_s_per_gpu;
  });
  // Walking from the most interactive point down, a point survives only if it beats every more
  // interactive point on throughput; equal throughput at lower interactivity is dominated.
  std::vector<SearchPoint> front;
  double best_gpu = -1;
  for (auto& p : points)
    if (p.tokens_per_s_per_gpu > best_gpu) {
      best_gpu = p.tokens_per_s_per_gpu;
      front.push_back(std::move(p));
    }
  return front;
}

std::string SearchPoint::label() const {
  if (mode == ServingMode::disagg)
    return "disagg " + std::to_string(prefill_workers) + "x(" + par_name(prefill_par) + " b" + std::to_string(prefill_batch) +
           ") + " + std::to_string(decode_workers) + "x(" + par_name(par) + " b" + std::to_string(batch) + ")";
  return std::string(to_string(mode)) + " " + par_name(par) + " b" + std::to_string(batch) +
         (chunk > 0 ? " chunk" + std::to_string(chunk) : "");
}

}  // namespace aiconf
