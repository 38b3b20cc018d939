// The dense MLA plugin's CUDA mock layers (built when CUDA and the sparse MLA kernels are there).
#include "mla_mock_layers.h"

#ifdef AICONF_MLA_WITH_CONTEXT
#include "mla_context_mock_layer.h"
#endif

namespace aiconf::mla {

void register_mla_mock_layers(Registrar& r) {
  register_mla_generation_mock_layer(r);
  register_mla_bmm_mock_layers(r);
  register_mla_module_mock_layers(r);
#ifdef AICONF_MLA_WITH_CONTEXT
  // mla_context: helper-attn's layer on the flash-attention kernels (mla_context_mock_layer.cu).
  register_mla_context_mock_layer(r);
#endif
}

}  // namespace aiconf::mla
