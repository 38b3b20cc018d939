#pragma once
// Sparse MLA over the top-k selected keys, in MQA mode (q/k = latent + RoPE, v = latent).
#include <aiconf/operation.h>
#include <aiconf/plugin/registrar.h>

namespace aiconf::sparse_mla {

/// Speed-of-light work of sparse MLA for a key with num_heads, kv_lora_rank, qk_rope_head_dim,
/// index_topk, kv_cache_dtype, batch_size, isl and step (default 0). Shared with the DSA module.
SolCost sparse_mla_sol(const Params& key);

/// Registers sparse_mla_context and sparse_mla_generation.
void register_sparse_mla_operations(Registrar& r);

}  // namespace aiconf::sparse_mla
