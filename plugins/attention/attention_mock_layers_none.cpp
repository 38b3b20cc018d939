// Built without CUDA: the plugin then offers operations and collectors only.
#include "attention_mock_layers.h"

namespace aiconf::attention {
void register_attention_mock_layers(Registrar&) {}
}  // namespace aiconf::attention
