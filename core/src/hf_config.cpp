// config.json -> ModelConfig: core fields, family resolution, then plugin extensions.
#include <aiconf/hf_config.h>

namespace aiconf {

namespace {
// Generous upper bounds: anything beyond is a typo or a corrupted file, not a model.
constexpr std::int64_t kMaxWidth = 1 << 20;     // hidden sizes, intermediate sizes
constexpr std::int64_t kMaxLayers = 10000;
constexpr std::int64_t kMaxHeads = 1 << 16;
constexpr std::int64_t kMaxVocab = 1 << 24;
constexpr std::int64_t kMaxPositions = std::int64_t(1) << 32;

void take(const ConfigView& v, const char* key, std::int64_t* out, std::int64_t max) {
  throw_if_error(v.get_int(key, out, 1, max));
}
void take_optional(const ConfigView& v, const char* key, std::int64_t* out, std::int64_t max) {
  if (v.has(key)) take(v, key, out, max);
}
}  // namespace

Status parse_core_fields(const ConfigView& v, CoreFields* out) {
  try {
    CoreFields f;
    std::vector<std::string> archs;
    throw_if_error(v.get_string_list("architectures", &archs));
    if (archs.empty()) return Status::error(v.source() + ": " + v.path_of("architectures") + ": expected at least one architecture name");
    f.architecture = archs.front();
    if (v.has("model_type")) throw_if_error(v.get_string("model_type", &f.model_type));
    take(v, "hidden_size", &f.hidden_size, kMaxWidth);
    take(v, "num_hidden_layers", &f.num_hidden_layers, kMaxLayers);
    take(v, "num_attention_heads", &f.num_attention_heads, kMaxHeads);
    take(v, "vocab_size", &f.vocab_size, kMaxVocab);
    f.num_key_value_heads = f.num_attention_heads;
    take_optional(v, "num_key_value_heads", &f.num_key_value_heads, kMaxHeads);
    if (f.num_attention_heads % f.num_key_value_heads != 0)
      return Status::error(v.source() + ": " + v.path_of("num_key_value_heads") + ": expected a divisor of num_attention_heads (" +
                           std::to_string(f.num_attention_heads) + "), found " + std::to_string(f.num_key_value_heads));
    if (v.has("head_dim")) take(v, "head_dim", &f.head_dim, 1 << 14);
    else {
      if (f.hidden_size % f.num_attention_heads != 0)
        return Status::error(v.source() + ": " + v.path_of("head_dim") + ": missing, and hidden_size (" +
                             std::to_string(f.hidden_size) + ") is not a multiple of num_attention_heads (" +
                             std::to_string(f.num_attention_heads) + ")");
      f.head_dim = f.hidden_size / f.num_attention_heads;
    }
    take_optional(v, "intermediate_size", &f.intermediate_size, kMaxWidth);
    take_optional(v, "max_position_embeddings", &f.max_position_embeddings, kMaxPositions);
    if (v.has("tie_word_embeddings")) throw_if_error(v.get_bool("tie_word_embeddings", &f.tie_word_embeddings));
    if (v.has("torch_dtype")) throw_if_error(v.get_string("torch_dtype", &f.torch_dtype));
    else if (v.has("dtype")) throw_if_error(v.get_string("dtype", &f.torch_dtype));
    *out = std::move(f);
    return Status::ok();
  } catch (const std::exception& e) {
    return Status::error(e.what());
  }
}

namespace {
std::string known_architectures(const Registry& reg) {
  std::string s;
  for (const auto& [arch, m] : reg.arch_mappings) s += (s.empty() ? "" : ", ") + arch;
  return s.empty() ? "(none: no plugin is loaded)" : s;
}
}  // namespace

Status load_model_config(const std::string& path, const Registry& registry, ModelConfig* out) {
  std::unique_ptr<ConfigView> view;
  if (auto s = read_config_file(path, &view); !s) return s;
  ModelConfig cfg;
  cfg.source = path;
  if (auto s = parse_core_fields(*view, &cfg.core); !s) return s;

  if (auto it = registry.arch_mappings.find(cfg.core.architecture); it != registry.arch_mappings.end()) {
    cfg.family = it->second.family;
    cfg.detected_by = "architecture mapping " + cfg.core.architecture + " -> " + cfg.family + " (plugin " + it->second.plugin + ")";
  } else {
    for (const auto& rule : registry.detection_rules) {
      if (rule.object->matches(*view)) {
        cfg.family = rule.object->family();
        cfg.detected_by = std::string("detection rule of plugin ") + rule.plugin + ": " + rule.object->description() +
                          " (architecture " + cfg.core.architecture + " is not mapped)";
        break;
      }
    }
  }
  if (cfg.family.empty())
    return Status::error(path + ": " + view->path_of("architectures") + ": unknown architecture '" + cfg.core.architecture +
                         "' and no plugin's detection rule claims this config; known architectures: " +
                         known_architectures(registry));

  for (const auto& parser : registry.config_parsers) {
    if (!parser.object->applies_to(cfg.family.c_str())) continue;
    if (auto s = parser.object->parse(*view, &cfg); !s) return s;
    cfg.extension_owner[parser.object->extension()] = parser.plugin;
  }
  *out = std::move(cfg);
  return Status::ok();
}

}  // namespace aiconf
