// `aiconf model <config.json>`: the architecture, family, parsed fields (core and every plugin
// extension) and the sizes derived by the family's model builder.
#include "cli_common.h"

#include <aiconf/hf_config.h>

#include <iostream>

namespace aiconf::cli {
namespace json = boost::json;

namespace {

json::value to_json(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  return json::string(std::get<std::string>(v));
}

json::object core_json(const CoreFields& f) {
  return json::object{{"hidden_size", f.hidden_size},
                      {"num_hidden_layers", f.num_hidden_layers},
                      {"num_attention_heads", f.num_attention_heads},
                      {"num_key_value_heads", f.num_key_value_heads},
                      {"head_dim", f.head_dim},
                      {"intermediate_size", f.intermediate_size},
                      {"vocab_size", f.vocab_size},
                      {"max_position_embeddings", f.max_position_embeddings},
                      {"tie_word_embeddings", f.tie_word_embeddings},
                      {"torch_dtype", f.torch_dtype}};
}

std::string human(double v, const char* unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T", "P"};
  int i = 0;
  while (v >= 1000 && i < 5) { v /= 1000; ++i; }
  return fmt(v, 4) + " " + prefixes[i] + unit;
}

}  // namespace

void add_model_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("model", "Parse a Hugging Face config.json: architecture, family, fields, parameter count, "
                                          "weight and KV-cache bytes");
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  cmd->add_option("config", *path, "Path to config.json")->required()->type_name("CONFIG");
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([&ctx, path, as_json] {
    const Registry& reg = ctx.registry();
    ModelConfig cfg;
    throw_if_error(load_model_config(*path, reg, &cfg));

    json::object root{{"config", cfg.source}, {"architecture", cfg.core.architecture}, {"model_type", cfg.core.model_type},
                      {"family", cfg.family}, {"detected_by", cfg.detected_by}, {"core", core_json(cfg.core)}};
    json::object exts;
    for (const auto& [name, fields] : cfg.extensions()) {
      json::object e;
      for (const auto& [k, v] : fields.items()) e[k] = to_json(v);
      auto owner = cfg.extension_owner.find(name);
      exts[name] = json::object{{"plugin", owner == cfg.extension_owner.end() ? "" : owner->second}, {"fields", std::move(e)}};
    }
    root["extensions"] = std::move(exts);
    json::array contributors;
    for (const auto& p : reg.plugins_for_family(cfg.family)) contributors.push_back(json::string(p));
    root["family_plugins"] = std::move(contributors);

    const ModelBuilder* builder = reg.find_builder(cfg.family);
    ModelSummary sum;
    if (builder) {
      throw_if_error(builder->summarize(cfg, &sum));
      root["summary"] = json::object{{"parameters", sum.parameters},
                                     {"active_parameters", sum.active_parameters},
                                     {"weight_bytes", sum.weight_bytes},
                                     {"kv_bytes_per_token_per_layer", sum.kv_bytes_per_token_per_layer},
                                     {"attention_layers", sum.attention_layers},
                                     {"notes", sum.notes}};
    } else {
      root["summary"] = nullptr;
      root["summary_missing"] = "no loaded plugin registers a model builder for family '" + cfg.family + "'";
    }

    if (*as_json) {
      CliContext::print_json(root);
      return;
    }
    std::cout << "config:        " << cfg.source << "\n"
              << "architecture:  " << cfg.core.architecture << "\n"
              << "family:        " << cfg.family << "\n"
              << "detected by:   " << cfg.detected_by << "\n"
              << "core fields:\n";
    for (const auto& kv : root.at("core").as_object())
      std::cout << "  " << kv.key() << " = " << json::serialize(kv.value()) << "\n";
    for (const auto& [name, fields] : cfg.extensions()) {
      std::cout << "extension " << name << " (plugin " << cfg.extension_owner[name] << "):\n";
      for (const auto& [k, v] : fields.items()) std::cout << "  " << k << " = " << to_string(v) << "\n";
    }
    if (builder) {
      std::cout << "parameters:    " << human(sum.parameters, "") << " (active per token " << human(sum.active_parameters, "")
                << ")\n"
                << "weights:       " << human(sum.weight_bytes, "B") << "\n"
                << "KV cache:      " << fmt(sum.kv_bytes_per_token_per_layer) << " B per token per layer ("
                << sum.attention_layers << " layers)\n";
      if (!sum.notes.empty()) std::cout << "notes:         " << sum.notes << "\n";
    } else {
      std::cout << "sizes:         unavailable: " << root.at("summary_missing").as_string() << "\n";
    }
  });
}

}  // namespace aiconf::cli
