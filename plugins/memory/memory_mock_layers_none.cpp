// Built without CUDA: the plugin then offers operations and collectors only.
#include "memory_mock_layers.h"

namespace aiconf::memory {
void register_memory_mock_layers(Registrar&) {}
}  // namespace aiconf::memory
