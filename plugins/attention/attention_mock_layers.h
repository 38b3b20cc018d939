#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::attention {
/// Registers the CUDA mock layers context_attention and generation_attention (flash-attention
/// kernels of kernels/); registers nothing in a build without CUDA.
void register_attention_mock_layers(Registrar& r);
}  // namespace aiconf::attention
