// `aiconf check`: resolving the target, phase 1 (config, mapping) and phase 5 (the model summary).
#include "check_items.h"

#include <aiconf/hf_config.h>
#include <aiconf/model.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace aiconf::cli {
namespace fs = std::filesystem;

const char* to_string(CheckState s) {
  switch (s) {
    case CheckState::pass: return "pass";
    case CheckState::fail: return "FAIL";
    case CheckState::skip: return "skip";
  }
  return "?";
}

namespace {

// Every family name the registry knows of.
std::set<std::string> known_families(const Registry& reg) {
  std::set<std::string> f;
  for (const auto& [a, m] : reg.arch_mappings) f.insert(m.family);
  for (const auto& r : reg.detection_rules) f.insert(r.object->family());
  for (const auto& [fam, b] : reg.model_builders) f.insert(fam);
  return f;
}

std::string family_of_plugin(const Registry& reg, const std::string& plugin) {
  for (const auto& [a, m] : reg.arch_mappings)
    if (m.plugin == plugin) return m.family;
  for (const auto& r : reg.detection_rules)
    if (r.plugin == plugin) return r.object->family();
  for (const auto& [fam, b] : reg.model_builders)
    if (b.plugin == plugin) return fam;
  const auto families = known_families(reg);
  for (const auto& p : reg.config_parsers)
    if (p.plugin == plugin)
      for (const auto& f : families)
        if (p.object->applies_to(f.c_str())) return f;
  return "";
}

}  // namespace

Status resolve_target(const Registry& reg, const std::string& name, CheckTarget* t) {
  t->name = name;
  for (const auto& p : reg.plugins)
    if (p.name == name) {
      t->plugins = {name};
      if (t->family.empty()) t->family = family_of_plugin(reg, name);
      return Status::ok();
    }
  if (known_families(reg).count(name)) {
    t->family = name;
    t->plugins = reg.plugins_for_family(name);
    return Status::ok();
  }
  std::string plugins, families;
  for (const auto& p : reg.plugins) plugins += (plugins.empty() ? "" : ", ") + p.name;
  for (const auto& f : known_families(reg)) families += (families.empty() ? "" : ", ") + f;
  return Status::error("check: '" + name + "' is neither a loaded plugin (" + (plugins.empty() ? "none loaded" : plugins) +
                       ") nor a model family (" + (families.empty() ? "none" : families) + ")");
}

void check_config(const Registry& reg, CheckTarget& t, ModelConfig* cfg, bool* cfg_ok, std::vector<CheckItem>* out) {
  *cfg_ok = false;
  CheckItem parsed{1, "config parsed", CheckState::fail, "", {}};
  CheckItem mapping{1, "arch mapping effective", CheckState::fail, "", {}};
  if (t.family.empty() && t.model_path.empty()) {
    parsed.state = mapping.state = CheckState::skip;
    parsed.evidence = mapping.evidence = "the plugin serves no model family (operations only); pass --model to check a config";
    out->push_back(parsed);
    out->push_back(mapping);
    return;
  }
  if (t.model_path.empty()) {
    // A shipped config of the family: examples/configs/*.json in name order.
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(fs::path(t.source_dir) / "examples" / "configs", ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".json") files.push_back(it->path());
    // Shortest name first: the plain model before its variants (DeepSeek-V3.2 before -NVFP4).
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
      const auto la = a.filename().string().size(), lb = b.filename().string().size();
      return la != lb ? la < lb : a < b;
    });
    for (const auto& f : files) {
      ModelConfig c;
      if (load_model_config(f.string(), reg, &c) && c.family == t.family) {
        t.model_path = f.string();
        break;
      }
    }
    if (t.model_path.empty()) {
      parsed.evidence = "no config in " + (fs::path(t.source_dir) / "examples" / "configs").string() + " has family '" + t.family +
                        "'; pass --model config.json";
      mapping.state = CheckState::skip;
      mapping.evidence = "needs a parsed config";
      out->push_back(parsed);
      out->push_back(mapping);
      return;
    }
  }
  Status s = load_model_config(t.model_path, reg, cfg);
  if (!s) {
    parsed.evidence = s.message();
    mapping.state = CheckState::skip;
    mapping.evidence = "needs a parsed config";
    out->push_back(parsed);
    out->push_back(mapping);
    return;
  }
  *cfg_ok = true;
  if (t.family.empty()) t.family = cfg->family;
  parsed.state = CheckState::pass;
  parsed.evidence = t.model_path + ": family " + cfg->family;
  for (const auto& p : reg.config_parsers) {
    if (std::find(t.plugins.begin(), t.plugins.end(), p.plugin) == t.plugins.end()) continue;
    if (!p.object->applies_to(cfg->family.c_str())) continue;
    const std::string ext = p.object->extension();
    if (cfg->has_extension(ext)) {
      parsed.details.push_back("parser " + std::string(p.object->name()) + " (plugin " + p.plugin + ") wrote extension '" + ext +
                               "': " + cfg->extensions().find(ext)->second.str());
    } else {
      parsed.state = CheckState::fail;
      parsed.details.push_back("parser " + std::string(p.object->name()) + " (plugin " + p.plugin + ") wrote no extension '" + ext + "'");
    }
  }
  if (cfg->family != t.family) {
    parsed.state = CheckState::fail;
    parsed.details.push_back("expected family '" + t.family + "', the config resolved to '" + cfg->family + "'");
  }
  auto m = reg.arch_mappings.find(cfg->core.architecture);
  if (m != reg.arch_mappings.end() && m->second.family == cfg->family) {
    mapping.state = CheckState::pass;
    mapping.evidence = cfg->core.architecture + " -> " + m->second.family + " (mapping by plugin " + m->second.plugin + ")";
  } else if (!cfg->family.empty()) {
    mapping.state = CheckState::pass;
    mapping.evidence = cfg->core.architecture + " -> " + cfg->family + " (" + cfg->detected_by + ")";
  } else {
    mapping.evidence = cfg->core.architecture + " maps to no family and no detection rule claims it";
  }
  out->push_back(parsed);
  out->push_back(mapping);
}

void check_cli_model(const Registry& reg, const CheckTarget& t, const ModelConfig* cfg, std::vector<CheckItem>* out) {
  CheckItem item{5, "CLI recognizes the model", CheckState::fail, "", {}};
  if (!cfg) {
    item.state = t.family.empty() ? CheckState::skip : CheckState::fail;
    item.evidence = t.family.empty() ? "the plugin serves no model family" : "no parsed config (see phase 1)";
  } else if (const ModelBuilder* b = reg.find_builder(cfg->family); !b) {
    item.evidence = "no loaded plugin registers a model builder for family '" + cfg->family + "' (aiconf model cannot size it)";
  } else {
    ModelSummary sum;
    Status s = b->summarize(*cfg, &sum);
    if (!s) {
      item.evidence = "model builder for " + cfg->family + ": " + s.message();
    } else {
      item.state = CheckState::pass;
      item.evidence = "aiconf model " + t.model_path + ": family " + cfg->family + ", " + std::to_string(sum.parameters / 1e9).substr(0, 6) +
                      "B parameters, " + std::to_string(static_cast<long long>(sum.kv_bytes_per_token_per_layer)) +
                      " KV bytes per token per layer, " + std::to_string(sum.attention_layers) + " attention layers";
    }
  }
  out->push_back(item);
}

std::vector<Params> quick_cases_for(const Registry& reg, const std::string& op, const std::string& mock, const ModelConfig* cfg,
                                    std::string* why_none) {
  const Registered<Collector>* chosen = nullptr;
  for (const auto& [name, c] : reg.collectors)
    if ((!mock.empty() && mock == c.object->mock_layer()) || (!chosen && !op.empty() && op == c.object->op_name())) chosen = &c;
  if (!chosen) {
    *why_none = "no collector for " + (op.empty() ? mock : op);
    return {};
  }
  SweepOptions opt;
  opt.quick = true;
  opt.model = cfg;
  std::vector<Params> cases;
  if (Status s = chosen->object->cases(opt, &cases); !s) {
    *why_none = "collector " + std::string(chosen->object->name()) + ": " + s.message();
    return {};
  }
  if (cases.empty()) *why_none = "collector " + std::string(chosen->object->name()) + " gives no quick case";
  return cases;
}

}  // namespace aiconf::cli
