#include <aiconf/registry.h>

#include <algorithm>

namespace aiconf {

Status Registry::find_operation(const std::string& name, const Operation** out) const {
  if (auto it = operations.find(name); it != operations.end()) {
    *out = it->second.object.get();
    return Status::ok();
  }
  std::string loaded;
  for (const auto& p : plugins) loaded += (loaded.empty() ? "" : ", ") + p.name;
  return Status::error("no loaded plugin provides operation '" + name + "' (loaded plugins: " +
                       (loaded.empty() ? "none" : loaded) + "); is its plugin missing from the plugin directory?");
}

const ModelBuilder* Registry::find_builder(const std::string& family) const {
  auto it = model_builders.find(family);
  return it == model_builders.end() ? nullptr : it->second.object.get();
}

std::vector<std::string> Registry::plugins_for_family(const std::string& family) const {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& [arch, m] : arch_mappings)
    if (m.family == family) add(m.plugin);
  for (const auto& r : detection_rules)
    if (r.object->family() == family) add(r.plugin);
  for (const auto& p : config_parsers)
    if (p.object->applies_to(family.c_str())) add(p.plugin);
  if (auto it = model_builders.find(family); it != model_builders.end()) add(it->second.plugin);
  return out;
}

}  // namespace aiconf
