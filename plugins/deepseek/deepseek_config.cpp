#include "deepseek_config.h"

#include <algorithm>
#include <cctype>

namespace aiconf::deepseek {

namespace {

std::int64_t int_or(const ConfigView& json, const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  if (!json.has(key)) return fallback;
  std::int64_t v = 0;
  throw_if_error(json.get_int(key, &v, min, max));
  return v;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// The precision of the linear weights from quantization_config (absent: the torch_dtype).
std::string weight_quant(const ConfigView& json) {
  if (!json.has_at("quantization_config.quant_method")) return "none";
  std::string method;
  throw_if_error(json.get_string_at("quantization_config.quant_method", &method));
  method = lower(method);
  if (method == "fp8") {
    std::string fmt = "e4m3";
    if (json.has_at("quantization_config.fmt")) throw_if_error(json.get_string_at("quantization_config.fmt", &fmt));
    if (lower(fmt) != "e4m3")
      throw Error(json.source() + ": $.quantization_config.fmt: expected e4m3 for quant_method fp8, found '" + fmt + "'");
    // DeepSeek's checkpoints carry weight_block_size [128, 128]: one fp32 scale per 128x128 block.
    return json.has_at("quantization_config.weight_block_size") ? "fp8_block" : "fp8";
  }
  if (method == "modelopt" && json.has_at("quantization_config.quant_algo")) {
    std::string algo;
    throw_if_error(json.get_string_at("quantization_config.quant_algo", &algo));
    if (lower(algo) == "nvfp4") return "nvfp4";
    if (lower(algo) == "fp8") return "fp8";
    return "unsupported:modelopt " + algo;
  }
  return "unsupported:" + method;
}

}  // namespace

void DeepseekConfigParser::read(const ConfigView& json, ModelConfig& cfg) const {
  const std::int64_t layers = cfg.core.num_hidden_layers;
  const std::int64_t experts = int_or(json, "n_routed_experts", 0, 0, 1 << 20);
  cfg.set("deepseek", "n_routed_experts", experts);
  if (experts > 0) {
    std::int64_t topk = 0;
    throw_if_error(json.get_int("num_experts_per_tok", &topk, 1, experts));
    cfg.set("deepseek", "num_experts_per_tok", topk);
    std::int64_t width = 0;
    throw_if_error(json.get_int("moe_intermediate_size", &width, 1, std::int64_t(1) << 24));
    cfg.set("deepseek", "moe_intermediate_size", width);
  }
  cfg.set("deepseek", "n_shared_experts", int_or(json, "n_shared_experts", 0, 0, 1 << 20));
  cfg.set("deepseek", "first_k_dense_replace", int_or(json, "first_k_dense_replace", 0, 0, layers));
  cfg.set("deepseek", "moe_layer_freq", int_or(json, "moe_layer_freq", 1, 1, std::max<std::int64_t>(layers, 1)));
  cfg.set("deepseek", "num_nextn_predict_layers", int_or(json, "num_nextn_predict_layers", 0, 0, 64));
  cfg.set("deepseek", "weight_quant", weight_quant(json));
}

}  // namespace aiconf::deepseek
