#pragma once
// Dense MLA operations: context attention in MHA mode, generation in absorbed MQA mode, and the
// absorption BMMs around MQA mode.
#include <aiconf/operation.h>
#include <aiconf/plugin/registrar.h>

namespace aiconf::mla {

/// Speed-of-light of MHA-mode context MLA (key: num_heads, qk_nope_head_dim, qk_rope_head_dim,
/// v_head_dim, mla_dtype, kv_cache_dtype, batch_size, isl, step).
SolCost mla_context_sol(const Params& key);
/// Speed-of-light of absorbed MQA-mode generation MLA over the whole latent cache (key: num_heads,
/// kv_lora_rank, qk_rope_head_dim, kv_cache_dtype, batch_size, isl, step).
SolCost mla_generation_sol(const Params& key);

/// Registers mla_context, mla_generation, mla_bmm_pre and mla_bmm_post.
void register_mla_operations(Registrar& r);

}  // namespace aiconf::mla
