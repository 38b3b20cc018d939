#pragma once
// Internals of the Estimator: the memoized operation answers and step totals, and small helpers
// shared by the mode files. Not installed.

#include <aiconf/estimator.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace aiconf {

/// What the cache keeps of one answer: enough for totals and provenance tallies. The full Latency
/// (rows, parts) is only needed for a printed breakdown and is re-queried then.
struct CachedAnswer {
  double ms = 0;
  Provenance provenance = Provenance::speed_of_light;
  bool missing = false;  ///< no plugin provides the operation
  std::string table;
  std::string note;
};

/// A string-keyed map split into shards, each behind a reader/writer lock: search threads mostly
/// read (many configurations share shapes), so contention stays low.
template <class V>
class ShardedCache {
public:
  bool find(const std::string& key, V* out) const {
    const Shard& s = shard(key);
    std::shared_lock lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) return false;
    *out = it->second;
    return true;
  }
  void put(const std::string& key, const V& v) {
    Shard& s = shard(key);
    std::unique_lock lock(s.mu);
    s.map.emplace(key, v);
  }

private:
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, V> map;
  };
  static constexpr std::size_t kShards = 32;
  const Shard& shard(const std::string& k) const { return shards_[std::hash<std::string>{}(k) % kShards]; }
  Shard& shard(const std::string& k) { return shards_[std::hash<std::string>{}(k) % kShards]; }
  Shard shards_[kShards];
};

struct Estimator::Impl {
  ShardedCache<CachedAnswer> answers;  ///< op + key -> answer
  ShardedCache<double> step_totals;    ///< parallel config + shape + overrides -> step ms
  std::atomic<std::uint64_t> queries{0}, hits{0};
  std::once_flag summary_once;
  Status summary_status;
  ModelSummary summary;
};

/// Applies the runtime's dtype overrides to a query key (only columns the key already has).
void apply_overrides(const RuntimeConfig& rt, Params* key);
/// True for operations whose cost depends on the cached past (attention-like keys carry `step`):
/// the mixed step of agg mode takes them from the per-request shapes, the rest from the token count.
bool is_sequence_op(const OpInvocation& inv);
/// Adds one step's ops (scaled by `weight`) into a breakdown keyed by label.
void accumulate(std::vector<OpCost>* into, const StepCost& step, double weight);
/// Sorts a breakdown by time and fills the shares; returns the total.
double finish_breakdown(std::vector<OpCost>* ops, ProvenanceTally* tally);
/// Warnings for missing operations and unmeasured time shares.
void add_quality_warnings(const RuntimeConfig& rt, Estimate* e);
/// Tokens produced per generation step per sequence (1 + accepted drafts).
double tokens_per_step(const RuntimeConfig& rt);
/// Checks the runtime fields every mode needs; error names the field.
Status check_runtime(const RuntimeConfig& rt);

}  // namespace aiconf

namespace aiconf {

/// The prompt of `batch` sequences through one pipeline stage: one context step, or ceil(isl /
/// chunk) chunked steps at growing past length (up to 8 sampled and scaled when there are more).
/// `detail` (optional) receives the breakdown of all chunks summed (its ms equals *ms).
Status context_stage(const Estimator& e, const ParallelConfig& par, const RuntimeConfig& rt, std::int64_t batch,
                     std::int64_t chunk, double* ms, StepCost* detail);
/// The mean generation step of `batch` sequences through one stage, averaged over the past length
/// isl .. isl+osl by the midpoint rule on rt.gen_samples points (the step is near linear in the
/// past length, so a few points suffice). `detail` (optional): the step at the middle sample.
Status generation_stage(const Estimator& e, const ParallelConfig& par, const RuntimeConfig& rt, std::int64_t batch,
                        double* mean_ms, StepCost* detail);
/// Generation steps per request: ceil((osl - 1) / tokens per step).
double generation_steps(const RuntimeConfig& rt);

}  // namespace aiconf

namespace aiconf {

/// Integer rate matching: prefill workers x (gp GPUs, rp requests/s each) and decode workers y (gd,
/// rd) with x gp + y gd <= total, maximising requests/s per GPU (ties: more requests/s). False when
/// one of each does not fit.
struct RateMatch {
  int x = 0, y = 0, gpus = 0;
  double rps = 0;
};
bool match_rates(double rp, int gp, double rd, int gd, int total, RateMatch* out);
/// Milliseconds to move `prefill_batch` prompts' KV cache from a prefill worker to a decode worker:
/// NVLink when both pools fit in one node, else the network, spread over the prefill worker's GPUs.
double kv_transfer_ms(const ModelSummary& sum, const SystemSpec& sys, const RuntimeConfig& rt, int gp, int gd);

}  // namespace aiconf
