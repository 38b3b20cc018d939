#pragma once
// The operations of one forward step of a DeepSeek-style model on one GPU.
#include "deepseek_shape.h"

#include <aiconf/model.h>

namespace aiconf::deepseek {

/// The op list for one GPU under `par` for one step of `shape`. Attention uses the
/// dsa_*_module operations when `s.dsa`, else mla_*_module. Errors name the parallel field that
/// does not divide the model.
Model build_step(const DeepseekShape& s, const ParallelConfig& par, const StepShape& shape);

}  // namespace aiconf::deepseek
