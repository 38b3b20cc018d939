#pragma once
/// \file search.h
/// Configuration search: enumerate parallel configurations and batch sizes for aggregated and
/// disaggregated serving within a GPU budget, drop those that do not fit memory or break the TTFT /
/// TPOT limits (counted, with examples), and keep the Pareto frontier of tokens/s/GPU against
/// tokens/s/user. Runs over std::threads; every figure comes from the Estimator (whose memoized
/// queries the threads share). Thread-safety: run_search may be called concurrently on one
/// Estimator.

#include <aiconf/estimator.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aiconf {

struct SearchOptions {
  int total_gpus = 8;             ///< GPUs available (agg replicas and disagg pools must fit)
  RuntimeConfig rt;               ///< isl, osl, MTP, dtype overrides (batch is searched)
  double ttft_limit_ms = 0;       ///< 0: no limit
  double tpot_limit_ms = 0;       ///< 0: no limit
  bool agg = true, disagg = true;
  /// Decode/agg batch sizes per attention rank, ascending (empty: 1..512, aiconfigurator-like steps).
  std::vector<std::int64_t> batches;
  /// Prompts per prefill step for disagg prefill workers (empty: 1, 2, 4, 8 while batch x isl <= 32768).
  std::vector<std::int64_t> prefill_batches;
  /// Prompt tokens per agg mixed step (empty: isl, and 2 x isl when that is at most 16384).
  std::vector<std::int64_t> agg_chunks;
  int max_tp = 0;                 ///< 0: the system's GPUs per node
  int max_pp = 4;
  int threads = 0;                ///< 0: std::thread::hardware_concurrency()
  std::size_t examples = 5;       ///< rejected configurations kept as examples per reason
};

/// One evaluated configuration.
struct SearchPoint {
  ServingMode mode = ServingMode::agg;
  ParallelConfig par;             ///< agg: the replica; disagg: the decode worker
  ParallelConfig prefill_par;     ///< disagg only
  std::int64_t batch = 0, prefill_batch = 0, chunk = 0;
  int prefill_workers = 0, decode_workers = 0;  ///< disagg only
  int gpus = 0;                   ///< GPUs of one replica (agg) or of the whole disagg system
  double ttft_ms = 0, tpot_ms = 0, request_latency_ms = 0;
  double tokens_per_s_per_gpu = 0, tokens_per_s_per_user = 0;
  double memory_bytes = 0;        ///< per GPU (disagg: the larger pool's)
  std::string label() const;      ///< "agg tp8pp1dp1ep8etp1 b64" / "disagg 2x(tp8..) b4 + 1x(tp8..) b64"
};

struct SearchResult {
  std::vector<SearchPoint> frontier;         ///< Pareto frontier of all kept points, by tokens/s/user descending
  std::vector<SearchPoint> agg_frontier, disagg_frontier;
  std::vector<SearchPoint> kept;             ///< every point that fits and meets the limits
  std::size_t parallel_configs = 0;          ///< valid parallel configurations enumerated
  std::size_t invalid_configs = 0;           ///< rejected by the builder (divisibility...)
  std::size_t evaluated = 0;                 ///< (configuration, batch) points estimated
  std::size_t rejected_memory = 0, rejected_ttft = 0, rejected_tpot = 0;
  std::vector<std::string> rejected_examples;  ///< "why: configuration (numbers)"
  double seconds = 0;                        ///< wall time of the search
  std::uint64_t queries = 0, cache_hits = 0;
  std::vector<std::string> notes;
};

/// Parallel configurations worth trying for `gpus` GPUs or fewer (powers of two): tp up to max_tp,
/// pp up to max_pp, attention DP and expert splits (moe_tp x ep = tp x dp, experts divisible by
/// ep) for MoE models only. Heads/layers divisibility is left to the model builder (which says no).
std::vector<ParallelConfig> enumerate_parallel(const ModelConfig& cfg, int gpus, int max_tp, int max_pp);

/// The Pareto frontier (maximise both tokens/s/GPU and tokens/s/user), by tokens/s/user descending.
/// A point is kept when no other point is at least as good on both and better on one; of equal
/// points the first is kept.
std::vector<SearchPoint> pareto_frontier(std::vector<SearchPoint> points);

/// The search. Error only when nothing could be evaluated at all (no builder, every config invalid).
Status run_search(const Estimator& est, const SearchOptions& opt, SearchResult* out);

/// CSV of points (header + one row each). Error names the file.
Status write_points_csv(const std::string& path, const std::vector<SearchPoint>& points);
/// A hand-written SVG plot of the agg and disagg frontiers (tokens/s/GPU against tokens/s/user).
Status write_frontier_svg(const std::string& path, const SearchResult& r, const std::string& title);

}  // namespace aiconf
