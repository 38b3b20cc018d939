#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::mla {
/// Registers the mock layer `mla_context` (op mla_context): dense MLA prefill in MHA mode on the
/// flash-attention kernels of plugins/attention/kernels (q/k width qk_nope + rope = 192, v width
/// 128, every head with its own decompressed K/V). Build it with CUDA, linking
/// aiconf_flash_attention_kernels, aiconf_flash_attention_reference and aiconf_mock_common.
void register_mla_context_mock_layer(aiconf::Registrar& r);
}  // namespace aiconf::mla
