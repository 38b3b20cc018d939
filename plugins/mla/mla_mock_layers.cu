// The dense MLA plugin's CUDA mock layers (built when CUDA and the sparse MLA kernels are there).
#include "mla_mock_layers.h"

namespace aiconf::mla {

void register_mla_mock_layers(Registrar& r) {
  register_mla_generation_mock_layer(r);
  register_mla_bmm_mock_layers(r);
}

}  // namespace aiconf::mla
