#include "registrar_impl.h"

namespace aiconf::detail {

namespace {
// The registry key of each kind of object.
std::string key_of(const Operation& o) { return o.name(); }
std::string key_of(const ModelBuilder& b) { return b.family(); }
std::string key_of(const MockLayerFactory& f) { return f.name(); }
std::string key_of(const Collector& c) { return c.name(); }
}  // namespace

template <class T>
std::shared_ptr<T> RegistrarImpl::own(T* object) {
  // The deleter runs the plugin's own release() and holds the library until then.
  auto lib = library_;
  return std::shared_ptr<T>(object, [lib](T* p) { if (p) p->release(); });
}

Status RegistrarImpl::fail(std::string message) {
  std::string full = "plugin '" + plugin_ + "' (" + path_ + "): " + message;
  if (first_error_.empty()) first_error_ = full;
  return Status::error(full);
}

std::string RegistrarImpl::owner_of(const std::string& plugin) const {
  for (const auto& p : existing_.plugins)
    if (p.name == plugin) return "plugin '" + p.name + "' (" + p.path + ")";
  return "plugin '" + plugin + "'";
}

Status RegistrarImpl::add_arch_mapping(const char* architecture, const char* family) noexcept {
  try {
    if (!architecture || !*architecture || !family || !*family) return fail("architecture mapping with an empty name");
    std::string arch(architecture);
    for (const Registry* r : {&existing_, static_cast<const Registry*>(&staged_)}) {
      if (auto it = r->arch_mappings.find(arch); it != r->arch_mappings.end() && it->second.family != family)
        return fail("maps architecture '" + arch + "' to family '" + family + "', but " + owner_of(it->second.plugin) +
                    " already maps it to '" + it->second.family + "'");
    }
    staged_.arch_mappings[arch] = ArchMapping{arch, family, plugin_};
    return Status::ok();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

Status RegistrarImpl::add_detection_rule(DetectionRule* rule) noexcept {
  try {
    auto owned = own(rule);
    if (!rule) return fail("null detection rule");
    staged_.detection_rules.push_back({owned, plugin_});
    return Status::ok();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

Status RegistrarImpl::add_config_parser(ConfigParser* parser) noexcept {
  try {
    auto owned = own(parser);
    if (!parser) return fail("null config parser");
    std::string ext = parser->extension();
    for (const Registry* r : {&existing_, static_cast<const Registry*>(&staged_)})
      for (const auto& p : r->config_parsers)
        if (ext == p.object->extension())
          return fail("config parser '" + std::string(parser->name()) + "' writes extension '" + ext + "', already written by " +
                      owner_of(p.plugin) + " (parser '" + p.object->name() + "')");
    staged_.config_parsers.push_back({owned, plugin_});
    return Status::ok();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

template <class T>
Status RegistrarImpl::add_unique(std::map<std::string, Registered<T>, std::less<>>& staged,
                                 const std::map<std::string, Registered<T>, std::less<>>& existing, T* object,
                                 const char* what) {
  auto owned = own(object);
  if (!object) return fail(std::string("null ") + what);
  std::string key = key_of(*object);
  for (const auto* m : {&existing, static_cast<decltype(&existing)>(&staged)})
    if (auto it = m->find(key); it != m->end())
      return fail(std::string(what) + " '" + key + "' is already registered by " + owner_of(it->second.plugin));
  staged.emplace(key, Registered<T>{std::move(owned), plugin_});
  return Status::ok();
}

Status RegistrarImpl::add_operation(Operation* object) noexcept {
  try {
    return add_unique(staged_.operations, existing_.operations, object, "operation");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

Status RegistrarImpl::add_model_builder(ModelBuilder* object) noexcept {
  try {
    return add_unique(staged_.model_builders, existing_.model_builders, object, "model builder for family");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

Status RegistrarImpl::add_mock_layer(MockLayerFactory* object) noexcept {
  try {
    return add_unique(staged_.mock_layers, existing_.mock_layers, object, "mock layer");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

Status RegistrarImpl::add_collector(Collector* object) noexcept {
  try {
    return add_unique(staged_.collectors, existing_.collectors, object, "collector");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

void RegistrarImpl::commit(Registry& target) {
  for (auto& [k, v] : staged_.arch_mappings) target.arch_mappings[k] = v;
  for (auto& r : staged_.detection_rules) target.detection_rules.push_back(std::move(r));
  for (auto& p : staged_.config_parsers) target.config_parsers.push_back(std::move(p));
  target.operations.merge(staged_.operations);
  target.model_builders.merge(staged_.model_builders);
  target.mock_layers.merge(staged_.mock_layers);
  target.collectors.merge(staged_.collectors);
}

}  // namespace aiconf::detail
