// Which linear layers a config implies. Generic over families: every block is added when the
// fields that define it are present (core fields, or the extensions other plugins parse).
#include "gemm_model_shapes.h"

#include <optional>
#include <string>

namespace aiconf::gemm_plugin {

namespace {

// A field from whichever extension carries it (the MLA fields are read by the mla, sparse_mla and
// dsa parsers under their Hugging Face names).
std::optional<std::int64_t> field(const ModelConfig& cfg, const char* key) {
  for (const char* ext : {"mla", "sparse_mla", "dsa", "moe"})
    if (cfg.has(ext, key)) return cfg.integer(ext, key);
  return std::nullopt;
}

class Shapes {
public:
  explicit Shapes(std::set<std::pair<std::int64_t, std::int64_t>>& out) : out_(out) {}
  // A column-parallel layer: n split over tp.
  void column(std::int64_t n, std::int64_t k, std::int64_t tp) {
    if (n % tp == 0) add(n / tp, k);
  }
  // A row-parallel layer: k split over tp.
  void row(std::int64_t n, std::int64_t k, std::int64_t tp) {
    if (k % tp == 0) add(n, k / tp);
  }
  void add(std::int64_t n, std::int64_t k) {
    if (n > 0 && k > 0) out_.emplace(n, k);
  }

private:
  std::set<std::pair<std::int64_t, std::int64_t>>& out_;
};

}  // namespace

std::set<std::pair<std::int64_t, std::int64_t>> model_gemm_shapes(const ModelConfig& cfg,
                                                                  const std::vector<std::int64_t>& tp_sizes) {
  const CoreFields& c = cfg.core;
  std::set<std::pair<std::int64_t, std::int64_t>> out;
  Shapes s(out);
  const std::int64_t h = c.hidden_size;
  const auto kv_lora = field(cfg, "kv_lora_rank");
  const auto q_lora = field(cfg, "q_lora_rank");
  const auto nope = field(cfg, "qk_nope_head_dim"), rope = field(cfg, "qk_rope_head_dim"), v = field(cfg, "v_head_dim");
  const bool moe = cfg.has_extension("moe");
  for (std::int64_t tp : tp_sizes) {
    if (kv_lora && rope && nope && v) {
      // MLA: the fused down-projection (q_a + kv_a + rope key) is replicated; q_b, kv_b and o are split.
      const std::int64_t heads = c.num_attention_heads;
      s.add((q_lora ? *q_lora : 0) + *kv_lora + *rope, h);
      if (q_lora) s.column(heads * (*nope + *rope), *q_lora, tp);
      else s.column(heads * (*nope + *rope), h, tp);
      s.column(heads * (*nope + *v), *kv_lora, tp);
      s.row(h, heads * *v, tp);
    } else if (c.num_attention_heads % tp == 0) {
      // GQA: fused qkv (KV heads replicated once tp exceeds them) and o_proj.
      const std::int64_t heads = c.num_attention_heads / tp;
      const std::int64_t kv = c.num_key_value_heads >= tp ? c.num_key_value_heads / tp : 1;
      s.add((heads + 2 * kv) * c.head_dim, h);
      s.add(h, heads * c.head_dim);
    }
    if (cfg.has_extension("dsa") && q_lora) {
      // DSA indexer: wq_b from the q latent, wk and the head weights from the hidden state (replicated).
      const std::int64_t ih = cfg.integer("dsa", "index_n_heads"), id = cfg.integer("dsa", "index_head_dim");
      s.add(ih * id, *q_lora);
      s.add(id, h);
      s.add(ih, h);
    }
    // Dense MLP (gate_up fused, down): every layer of a dense model, the first_k_dense layers of an MoE one.
    if (c.intermediate_size > 0 && (!moe || cfg.integer_or("moe", "first_k_dense", 0) > 0)) {
      s.column(2 * c.intermediate_size, h, tp);
      s.row(h, c.intermediate_size, tp);
    }
    if (moe) {
      s.add(cfg.integer("moe", "num_experts"), h);  // router, replicated
      const std::int64_t shared = cfg.integer_or("moe", "num_shared_experts", 0) * cfg.integer("moe", "moe_intermediate_size");
      if (shared > 0) {
        s.column(2 * shared, h, tp);
        s.row(h, shared, tp);
      }
    }
    if (c.vocab_size > 0) s.add((c.vocab_size + tp - 1) / tp, h);  // lm_head, vocabulary padded to tp
  }
  return out;
}

}  // namespace aiconf::gemm_plugin
