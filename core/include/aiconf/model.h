#pragma once
/// \file model.h
/// Model: what one forward step of a model on one GPU costs, as a list of operation invocations
/// with multiplicities, built by the model builder a plugin registered for the model family.
/// ParallelConfig describes how the model is split over GPUs.

#include <aiconf/config.h>
#include <aiconf/status.h>
#include <aiconf/value.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aiconf {

/// How a model is spread over GPUs. tp * pp * dp GPUs run attention; moe_tp * ep = tp * dp for MoE.
struct ParallelConfig {
  int tp = 1;        ///< tensor parallel (attention heads and dense MLP split)
  int pp = 1;        ///< pipeline stages (layers split)
  int dp = 1;        ///< attention data parallel (each rank serves its own batch)
  int ep = 1;        ///< expert parallel
  int moe_tp = 1;    ///< tensor parallel inside each expert
  int gpus() const noexcept { return tp * pp * dp; }
};

/// The phase of a forward step.
enum class Phase { context, generation };
const char* to_string(Phase p) noexcept;

/// The shape of one forward step on one attention rank.
struct StepShape {
  Phase phase = Phase::context;
  std::int64_t batch_size = 1;   ///< sequences in the step
  std::int64_t new_tokens = 1;   ///< tokens per sequence processed now (isl in context, 1 + MTP in generation)
  std::int64_t past_tokens = 0;  ///< tokens already in each sequence's KV cache
};

/// One operation call in a step, repeated `count` times (e.g. once per layer).
struct OpInvocation {
  std::string op;        ///< operation name in the registry
  Params key;            ///< the query key (table columns plus dimensions for speed-of-light)
  double count = 1;      ///< multiplicity (layers, MTP acceptance scaling...)
  std::string label;     ///< what it is in the model ("layer.attn.q_a_proj")
};

/// A model step: the operations of one GPU for one forward step.
struct Model {
  std::vector<OpInvocation> ops;
};

/// Sizes derived from the config, for `aiconf model` and memory accounting (whole model, no split).
struct ModelSummary {
  double parameters = 0;               ///< total parameter count
  double active_parameters = 0;        ///< parameters touched per token (MoE: routed top-k only)
  double weight_bytes = 0;             ///< at the config's dtype (or the builder's default precision)
  double kv_bytes_per_token_per_layer = 0;  ///< all caches (KV + e.g. the DSA index cache) in bytes
  std::int64_t attention_layers = 0;   ///< layers that hold a KV cache
  std::string notes;                   ///< how the figures were derived
};

/// Builds model steps for one model family. Implemented by plugins; noexcept, Status on failure.
class ModelBuilder {
public:
  /// The family this builder serves (e.g. "deepseek_v32").
  virtual const char* family() const noexcept = 0;
  virtual const char* description() const noexcept = 0;
  /// Parameter, weight and cache sizes from the config.
  virtual Status summarize(const ModelConfig& cfg, ModelSummary* out) const noexcept = 0;
  /// The operations of one step on one GPU under a parallel configuration.
  virtual Status build(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape,
                       Model* out) const noexcept = 0;
  virtual void release() noexcept = 0;

protected:
  ~ModelBuilder() = default;
};

}  // namespace aiconf
