#pragma once
// Shared helpers of the DeepSeek-side plugin tests (mla, sparse_mla, deepseek): loading the real
// plugins, writing a config to a temporary file, finding an operation.
#include "aiconf_test.h"

#include <aiconf/hf_config.h>
#include <aiconf/loader.h>
#include <aiconf/registry.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

namespace aiconf::test {

inline void load_real_plugins(Registry& reg, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    Status s = load_plugin_file(std::string(AICONF_BUILD_PLUGIN_DIR) + "/libaiconf_" + n + ".so", &reg);
    INFO(s.message());
    REQUIRE(s.is_ok());
  }
}

inline const Operation& op_of(const Registry& reg, const std::string& name) {
  const Operation* op = nullptr;
  Status s = reg.find_operation(name, &op);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return *op;
}

inline SolCost sol_of(const Registry& reg, const std::string& name, const Params& key) {
  SolCost c;
  Status s = op_of(reg, name).speed_of_light(key, &c);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return c;
}

/// Writes `json` to a temporary file named `name` and returns its path.
inline std::string temp_config(const std::string& name, const std::string& json) {
  auto dir = std::filesystem::temp_directory_path() / "aiconf_deepseek_plugin_tests";
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << json;
  return path;
}

inline std::string example_config(const std::string& file) { return source_dir() + "/examples/configs/" + file; }

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace aiconf::test
