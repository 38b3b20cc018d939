#pragma once
/// \file registry.h
/// Registry: everything the loaded plugins registered, each entry tagged with the plugin that made
/// it. Objects made by a plugin are held by shared_ptr whose deleter keeps the plugin's library
/// loaded until the last reference is gone (Boost.DLL's lesson: nothing may outlive its code).
///
/// Merge rules when several plugins contribute to one model family: architecture mappings and
/// detection rules add up (the same architecture mapped to two different families is a conflict);
/// every config parser that applies to the family runs, in plugin load order, each writing its own
/// extension (two parsers writing one extension is a conflict); operations, model builders (one per
/// family), mock layers and collectors are unique by name. A conflict fails the second plugin's
/// registration with a message naming both plugins; nothing of that plugin is kept.
/// Thread-safety: built once by the loader, then read-only.

#include <aiconf/config.h>
#include <aiconf/model.h>
#include <aiconf/operation.h>
#include <aiconf/plugin/collector.h>
#include <aiconf/plugin/mock_layer.h>
#include <aiconf/plugin/registrar.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace aiconf {

/// A loaded plugin.
struct PluginInfo {
  std::string name, version, description, path, fingerprint;
};

/// A plugin file that was not loaded, and why (one line).
struct SkippedPlugin {
  std::string path;
  std::string reason;
};

/// An object and the plugin that registered it.
template <class T>
struct Registered {
  std::shared_ptr<T> object;
  std::string plugin;
};

struct ArchMapping {
  std::string architecture, family, plugin;
};

class Registry {
public:
  std::vector<PluginInfo> plugins;        ///< in load order
  std::vector<SkippedPlugin> skipped;
  std::map<std::string, ArchMapping, std::less<>> arch_mappings;  ///< by architecture
  std::vector<Registered<DetectionRule>> detection_rules;         ///< in load order
  std::vector<Registered<ConfigParser>> config_parsers;           ///< in load order
  std::map<std::string, Registered<Operation>, std::less<>> operations;
  std::map<std::string, Registered<ModelBuilder>, std::less<>> model_builders;  ///< by family
  std::map<std::string, Registered<MockLayerFactory>, std::less<>> mock_layers;
  std::map<std::string, Registered<Collector>, std::less<>> collectors;

  /// The operation of that name; error naming the loaded plugins when none provides it.
  Status find_operation(const std::string& name, const Operation** out) const;
  const ModelBuilder* find_builder(const std::string& family) const;
  /// Names of the plugins that registered anything for a family (mapping, rule, parser, builder).
  std::vector<std::string> plugins_for_family(const std::string& family) const;
};

}  // namespace aiconf
