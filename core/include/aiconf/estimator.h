#pragma once
/// \file estimator.h
/// Estimator: end-to-end serving figures of one model on one system from the registered model
/// builder and the operations' latencies: TTFT, TPOT, request latency, tokens/s/GPU and
/// tokens/s/user, in three serving modes (static batch, aggregated with chunked prefill,
/// disaggregated prefill/decode pools), with a per-operation breakdown (time, share, provenance)
/// and the memory per GPU. Every figure is a sum of `latency x count` over OpInvocations that the
/// model builder produced; nothing is fitted.
///
/// Thread-safety: an Estimator is safe for concurrent const use (its query cache is internally
/// locked); the Registry, QueryContext and ModelConfig it refers to must outlive it.

#include <aiconf/config.h>
#include <aiconf/memory.h>
#include <aiconf/model.h>
#include <aiconf/operation.h>
#include <aiconf/registry.h>
#include <aiconf/status.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aiconf {

/// "tp8pp1dp1ep8etp1": a parallel configuration in aiconfigurator's spelling.
std::string par_name(const ParallelConfig& p);

/// Serving mode of an estimate.
enum class ServingMode { static_batch, agg, disagg };
const char* to_string(ServingMode m) noexcept;
/// "static", "agg" or "disagg".
Status parse_serving_mode(const std::string& s, ServingMode* out);

/// The workload and runtime knobs of an estimate (per request unless said otherwise).
struct RuntimeConfig {
  std::int64_t isl = 4096;        ///< input (prompt) tokens per request
  std::int64_t osl = 1024;        ///< output tokens per request (the first comes from the context step)
  std::int64_t batch = 1;         ///< sequences per attention rank and pipeline micro-batch (decode batch in disagg)
  std::int64_t prefill_batch = 1; ///< disagg only: sequences per prefill step
  int mtp_tokens = 0;             ///< draft tokens per generation step (MTP / speculative), 0 = off
  double mtp_acceptance = 0;      ///< expected accepted draft tokens per step (<= mtp_tokens): tokens/step = 1 + this
  /// Context tokens per step. static: chunked prefill when < isl (0 = whole prompt in one step);
  /// agg: prompt tokens scheduled in each mixed step (0 = isl).
  std::int64_t chunk_tokens = 0;
  /// The engine's token budget per forward step (TRT-LLM's max_num_tokens): activations and
  /// communication buffers are sized for at most this many tokens, as engines split larger steps.
  std::int64_t max_num_tokens = 8192;
  int gen_samples = 4;            ///< past-length sample points used to average the generation step over osl
  std::string kv_dtype;           ///< overrides every op key's kv_cache_dtype ("" = the builder's choice)
  std::string gemm_dtype;         ///< overrides gemm_dtype / mla_dtype keys ("" = the builder's choice)
  std::string moe_dtype;          ///< overrides moe_dtype keys ("" = the builder's choice)
  /// Operations no loaded plugin provides: false (default) counts them as 0 ms with a warning and a
  /// "missing" entry in the breakdown; true makes them an error.
  bool strict_ops = false;
  /// A time share above this from speed-of-light/empirical answers triggers a warning.
  double warn_unmeasured_share = 0.25;
};

/// Time of one operation label in a step (all its invocations summed).
struct OpCost {
  std::string op;          ///< operation name
  std::string label;       ///< the builder's label ("layer.attn.q_a_proj")
  std::string key;         ///< the query key, "k=v ..."
  double count = 0;        ///< invocations (layers x scale)
  double latency_ms = 0;   ///< one invocation
  double ms = 0;           ///< latency_ms x count
  double share = 0;        ///< ms / step total
  Provenance provenance = Provenance::speed_of_light;
  bool missing = false;    ///< no plugin provides the operation (counted as 0 ms)
  std::string table;       ///< the table consulted
  std::string note;        ///< the answer's note (why this path was taken)
};

/// Milliseconds of a step per provenance (indexed by Provenance), to see how much is measured.
using ProvenanceTally = std::array<double, 5>;

/// One forward step on one GPU (one pipeline stage).
struct StepCost {
  std::string name;            ///< "context", "generation@past=4608", "mixed" ...
  StepShape shape;
  double ms = 0;               ///< sum of ops[i].ms
  std::vector<OpCost> ops;     ///< in the builder's order
  ProvenanceTally by_provenance{};  ///< ms per provenance
  Provenance worst = Provenance::exact;  ///< the worst provenance among ops that take time
  std::vector<std::string> missing_ops;  ///< operation names no plugin provides
};

/// The figures of one configuration.
struct Estimate {
  ServingMode mode = ServingMode::static_batch;
  ParallelConfig par;          ///< static/agg; disagg: the decode pool
  ParallelConfig prefill_par;  ///< disagg: the prefill pool
  RuntimeConfig runtime;
  int gpus = 0;                ///< GPUs of one replica (disagg: of the whole prefill+decode system)
  double ttft_ms = 0;          ///< time to first token
  double tpot_ms = 0;          ///< time per output token after the first, per user
  double request_latency_ms = 0;  ///< ttft + tpot x (osl - 1)
  double tokens_per_s_per_gpu = 0;  ///< output tokens per second per GPU
  double tokens_per_s_per_user = 0; ///< 1000 / tpot
  double requests_per_s = 0;   ///< completed requests per second of the replica/system
  std::int64_t concurrency = 0;  ///< requests in flight in the replica/system
  // Disaggregated only: pools and rate matching.
  int prefill_workers = 0, decode_workers = 0;  ///< replicas of each pool
  double prefill_rps_per_worker = 0, decode_rps_per_worker = 0;  ///< requests/s each worker can sustain
  // Agg only: the schedule.
  double mixed_steps = 0, generation_only_steps = 0;  ///< per scheduling round (see agg_mode.cpp)
  std::int64_t mixed_generation_seqs = 0;   ///< decode sequences riding along in a mixed step
  /// The steps the figures come from: context (or prefill / mixed), a representative generation
  /// step (the middle past length), with their breakdowns.
  std::vector<StepCost> steps;
  /// The time of one request split over operation labels (TTFT + all generation steps), summed
  /// over the steps above and sorted by time: "where the milliseconds go".
  std::vector<OpCost> request_breakdown;
  ProvenanceTally by_provenance{};  ///< request time per provenance
  MemoryEstimate memory;            ///< per GPU (disagg: the decode pool's, the tighter one)
  MemoryEstimate prefill_memory;    ///< disagg: the prefill pool's
  bool fits = true;                 ///< memory fits every pool
  std::vector<std::string> warnings;
  std::vector<std::string> notes;   ///< how the figures were derived (one line each)
};

/// Which operations of a step to count. Attention-like operations (their key has `step`, the
/// cached past) depend on each sequence's shape; the rest depend only on the token count. Agg
/// mode's mixed step takes the two parts from different shapes.
enum class StepPart { all, sequence, tokens };

/// The engine of all estimates. Build one per (registry, query context, model config).
class Estimator {
public:
  /// Error-free construction; `builder()` is null (and every call fails naming the family) when no
  /// loaded plugin registers a builder for `cfg.family`.
  Estimator(const Registry& registry, const QueryContext& ctx, const ModelConfig& cfg);
  ~Estimator();
  Estimator(const Estimator&) = delete;
  Estimator& operator=(const Estimator&) = delete;

  const ModelBuilder* builder() const noexcept { return builder_; }
  const ModelConfig& config() const noexcept { return cfg_; }
  const QueryContext& context() const noexcept { return ctx_; }
  /// Whole-model sizes from the builder (cached).
  Status summary(ModelSummary* out) const;

  /// One step with its full breakdown.
  Status step(const ParallelConfig& par, const StepShape& shape, const RuntimeConfig& rt, StepCost* out,
              StepPart part = StepPart::all) const;
  /// The time of one step only, milliseconds (memoized queries and totals, no breakdown): what
  /// search uses.
  Status step_ms(const ParallelConfig& par, const StepShape& shape, const RuntimeConfig& rt, double* ms,
                 StepPart part = StepPart::all) const;

  /// Static batch: `rt.batch` requests start together; context step(s) then osl-1 tokens.
  Status estimate_static(const ParallelConfig& par, const RuntimeConfig& rt, Estimate* out, bool detail = true) const;
  /// Aggregated serving: continuous batching of `rt.batch` requests per rank with `rt.chunk_tokens`
  /// prompt tokens per mixed step.
  Status estimate_agg(const ParallelConfig& par, const RuntimeConfig& rt, Estimate* out, bool detail = true) const;
  /// Disaggregated serving: prefill pool (prefill_par, rt.prefill_batch) and decode pool (par,
  /// rt.batch). `total_gpus` > 0: integer replica counts within it maximising throughput; 0: the
  /// ideal (fractional) ratio, reported per GPU.
  Status estimate_disagg(const ParallelConfig& prefill_par, const ParallelConfig& par, const RuntimeConfig& rt,
                         int total_gpus, Estimate* out, bool detail = true) const;
  /// Any mode (disagg with the same parallel config for both pools and no GPU limit).
  Status estimate(ServingMode mode, const ParallelConfig& par, const RuntimeConfig& rt, Estimate* out) const;

  /// Memory per GPU for a parallel config holding `kv_tokens` cached tokens per attention rank
  /// and processing `step_tokens` tokens per step (activations sized from that step's ops).
  Status memory(const ParallelConfig& par, const RuntimeConfig& rt, double kv_tokens, const StepShape& peak_step,
                MemoryEstimate* out) const;

  /// Queries answered and cache hits so far (for benchmarks).
  std::uint64_t queries() const noexcept;
  std::uint64_t cache_hits() const noexcept;

  struct Impl;

private:
  const Registry& registry_;
  const QueryContext& ctx_;
  const ModelConfig& cfg_;
  const ModelBuilder* builder_ = nullptr;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aiconf
