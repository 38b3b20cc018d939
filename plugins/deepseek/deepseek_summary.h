#pragma once
// Parameter, weight and cache sizes of a DeepSeek-style model.
#include "deepseek_shape.h"

#include <aiconf/model.h>

namespace aiconf::deepseek {

/// Parameters of one model part, split by whether the checkpoint quantizes them.
struct ParamCount {
  double quantized = 0;  ///< linear projections (fp8 / nvfp4 in quantized checkpoints)
  double plain = 0;      ///< embeddings, lm_head, norms, router, indexer weights_proj
  double total() const { return quantized + plain; }
  ParamCount& operator+=(const ParamCount& o) {
    quantized += o.quantized;
    plain += o.plain;
    return *this;
  }
};

/// One layer's attention block (MLA projections and norms, plus the DSA indexer).
ParamCount attention_params(const DeepseekShape& s);
/// One MoE layer's experts: routed, shared and router.
ParamCount moe_params(const DeepseekShape& s);
/// Sizes of the whole model (main model; MTP layers reported in the notes).
ModelSummary summarize_shape(const DeepseekShape& s);

}  // namespace aiconf::deepseek
