#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::moe {
/// Registers the CUDA mock layer of the `moe` operation (moe_mock_layer.cu); registers nothing
/// in a build without CUDA (moe_mock_layer_none.cpp).
void register_moe_mock_layer(Registrar& r);
}  // namespace aiconf::moe
