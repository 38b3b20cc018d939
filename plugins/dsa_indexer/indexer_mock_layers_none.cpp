// Built instead of the CUDA mock layers where no CUDA toolkit was found.
#include "indexer_mock_layers.h"

namespace aiconf::dsa {
void register_indexer_mock_layers(Registrar&) {}
}  // namespace aiconf::dsa
