#include "moe_config.h"

namespace aiconf::moe {

namespace {

// The first of `names` present in the config, or nullptr.
const char* first_present(const ConfigView& json, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (json.has(n)) return n;
  return nullptr;
}

std::int64_t get(const ConfigView& json, const char* key, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  throw_if_error(json.get_int(key, &v, min, max));
  return v;
}

}  // namespace

std::int64_t count_moe_layers(std::int64_t layers, std::int64_t first_k_dense, std::int64_t freq, bool deepseek_style) {
  std::int64_t n = 0;
  for (std::int64_t i = first_k_dense; i < layers; ++i)
    // DeepSeek: layer_idx % moe_layer_freq == 0; Qwen/Mixtral: (layer_idx + 1) % decoder_sparse_step == 0.
    if (deepseek_style ? i % freq == 0 : (i + 1) % freq == 0) ++n;
  return n;
}

void MoeConfigParser::read(const ConfigView& json, ModelConfig& cfg) const {
  const char* experts = first_present(json, {"n_routed_experts", "num_experts", "num_local_experts"});
  if (!experts)
    throw Error(json.source() + ": " + json.path_of("num_experts") +
                ": expected the routed expert count (n_routed_experts, num_experts or num_local_experts) for family " + cfg.family);
  const std::int64_t e = get(json, experts, 1, 1 << 20);
  const std::int64_t topk = get(json, "num_experts_per_tok", 1, 1 << 20);
  if (topk > e)
    throw Error(json.source() + ": " + json.path_of("num_experts_per_tok") + ": expected at most the " + std::to_string(e) +
                " routed experts (" + experts + "), found " + std::to_string(topk));
  const char* inter = first_present(json, {"moe_intermediate_size", "intermediate_size"});
  if (!inter)
    throw Error(json.source() + ": " + json.path_of("moe_intermediate_size") +
                ": expected the expert width (moe_intermediate_size, or intermediate_size for Mixtral-style configs)");
  const std::int64_t width = get(json, inter, 1, std::int64_t(1) << 24);
  const std::int64_t shared = json.has("n_shared_experts") ? get(json, "n_shared_experts", 0, 1 << 20) : 0;
  const std::int64_t first_k = json.has("first_k_dense_replace") ? get(json, "first_k_dense_replace", 0, 1 << 20) : 0;
  const char* freq_key = first_present(json, {"moe_layer_freq", "decoder_sparse_step"});
  const std::int64_t freq = freq_key ? get(json, freq_key, 1, 1 << 20) : 1;
  if (first_k > cfg.core.num_hidden_layers)
    throw Error(json.source() + ": " + json.path_of("first_k_dense_replace") + ": expected at most num_hidden_layers (" +
                std::to_string(cfg.core.num_hidden_layers) + "), found " + std::to_string(first_k));
  cfg.set("moe", "num_experts", e);
  cfg.set("moe", "num_experts_per_tok", topk);
  cfg.set("moe", "moe_intermediate_size", width);
  cfg.set("moe", "num_shared_experts", shared);
  cfg.set("moe", "first_k_dense", first_k);
  cfg.set("moe", "moe_layer_freq", freq);
  const bool deepseek = cfg.family != kMoeGqaFamily;
  cfg.set("moe", "num_moe_layers", count_moe_layers(cfg.core.num_hidden_layers, first_k, freq, deepseek));
}

bool MoeGqaDetectionRule::matches(const ConfigView& json) const noexcept {
  if (!json.has("num_experts_per_tok") || json.has("kv_lora_rank")) return false;
  return json.has("num_experts") || json.has("num_local_experts");
}

}  // namespace aiconf::moe
