#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::attention {
/// Registers the standard sweeps of context_attention_perf and generation_attention_perf.
void register_attention_collectors(Registrar& r);
}  // namespace aiconf::attention
