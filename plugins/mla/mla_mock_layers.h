#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::mla {
/// Registers the CUDA mock layers of dense MLA (mla_mock_layers.cu); registers nothing in a build
/// without CUDA (mla_mock_layers_none.cpp).
void register_mla_mock_layers(Registrar& r);
/// mla_generation: the sparse MLA wgmma kernel in dense mode (mla_generation_mock_layer.cu).
void register_mla_generation_mock_layer(Registrar& r);
/// mla_bmm_pre / mla_bmm_post: cuBLASLt strided-batched BMMs (mla_bmm_mock_layer.cu).
void register_mla_bmm_mock_layers(Registrar& r);
/// mla_generation_module (and mla_context_module with the flash-attention kernels): the whole
/// attention block (mla_module_mock_layer.cu).
void register_mla_module_mock_layers(Registrar& r);
}  // namespace aiconf::mla
