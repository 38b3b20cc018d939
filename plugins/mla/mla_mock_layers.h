#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::mla {
/// Registers the CUDA mock layers of dense MLA; registers nothing until one is written.
void register_mla_mock_layers(Registrar& r);
}  // namespace aiconf::mla
