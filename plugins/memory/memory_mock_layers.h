#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::memory {
/// Registers the CUDA mock layers of the memory-bound operations (one per op, named as the op
/// and its collector); registers nothing in builds without CUDA (memory_mock_layers_none.cpp).
void register_memory_mock_layers(Registrar& r);
}  // namespace aiconf::memory
