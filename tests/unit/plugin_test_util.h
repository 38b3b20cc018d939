#pragma once
// Helpers of the operator-plugin tests: load real plugins, ask an operation for its
// speed-of-light cost, read a model config through the loaded plugins.
#include "aiconf_test.h"

#include <aiconf/hf_config.h>
#include <aiconf/loader.h>
#include <aiconf/registry.h>

#include <string>

namespace aiconf::test {

/// Loads libaiconf_<name>.so of this build into `reg` (REQUIREs success).
inline void load_plugin(const std::string& name, Registry* reg) {
  Status s = load_plugin_file(std::string(AICONF_BUILD_PLUGIN_DIR) + "/libaiconf_" + name + ".so", reg);
  INFO(s.message());
  REQUIRE(s.is_ok());
}

/// Every in-tree plugin of this build, loaded once (the environment and default folder ignored).
inline const Registry& in_tree_plugins() {
  static Registry reg = [] {
    Registry r;
    LoadOptions o;
    o.use_environment = false;
    o.use_default_dir = false;
    o.plugin_dirs = {AICONF_BUILD_PLUGIN_DIR};
    throw_if_error(load_plugins(o, &r));
    return r;
  }();
  return reg;
}

/// The speed-of-light cost of `op` for `key` (REQUIREs success).
inline SolCost sol(const Registry& reg, const std::string& op, const Params& key) {
  const Operation* o = nullptr;
  REQUIRE(reg.find_operation(op, &o).is_ok());
  SolCost c;
  Status s = o->speed_of_light(key, &c);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return c;
}

/// The error message of a speed-of-light call that must fail.
inline std::string sol_error(const Registry& reg, const std::string& op, const Params& key) {
  const Operation* o = nullptr;
  REQUIRE(reg.find_operation(op, &o).is_ok());
  SolCost c;
  Status s = o->speed_of_light(key, &c);
  REQUIRE_FALSE(s.is_ok());
  return s.message();
}

/// An example config of the repository (examples/configs/<name>.json) read through the registry.
inline ModelConfig example_config(const Registry& reg, const std::string& name) {
  ModelConfig cfg;
  Status s = load_model_config(source_dir() + "/examples/configs/" + name + ".json", reg, &cfg);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return cfg;
}

/// Sweep cases of a registered collector.
inline std::vector<Params> sweep_cases(const Registry& reg, const std::string& collector, const SweepOptions& opt) {
  auto it = reg.collectors.find(collector);
  REQUIRE(it != reg.collectors.end());
  std::vector<Params> out;
  Status s = it->second.object->cases(opt, &out);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return out;
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace aiconf::test
