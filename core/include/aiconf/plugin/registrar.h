#pragma once
/// \file registrar.h
/// Registrar: what a plugin's register function receives. Each add_* call hands the core one object
/// made by the plugin (allocated with `new` in the plugin); the core takes ownership whether or not
/// the call succeeds, keeps the plugin's library loaded while the object lives, and destroys it
/// through its release() method (so it is freed by the code that allocated it).

#include <aiconf/config.h>
#include <aiconf/model.h>
#include <aiconf/operation.h>
#include <aiconf/plugin/collector.h>
#include <aiconf/plugin/mock_layer.h>
#include <aiconf/status.h>

namespace aiconf {

/// Reads one plugin's fields from a config into a ModelConfig extension.
class ConfigParser {
public:
  virtual const char* name() const noexcept = 0;        ///< e.g. "dsa"
  virtual const char* extension() const noexcept = 0;   ///< extension it writes, e.g. "dsa"
  /// Whether this parser applies to a family ("" never matches; a parser may serve several).
  virtual bool applies_to(const char* family) const noexcept = 0;
  /// Reads the fields; errors name the file, the JSON path and what was expected.
  virtual Status parse(const ConfigView& json, ModelConfig* cfg) const noexcept = 0;
  virtual void release() noexcept = 0;

protected:
  ~ConfigParser() = default;
};

/// Claims configs whose architecture nobody has mapped, from their fields alone.
class DetectionRule {
public:
  virtual const char* family() const noexcept = 0;
  /// One line, e.g. "index_n_heads, index_head_dim, index_topk and MLA fields present".
  virtual const char* description() const noexcept = 0;
  virtual bool matches(const ConfigView& json) const noexcept = 0;
  virtual void release() noexcept = 0;

protected:
  ~DetectionRule() = default;
};

/// What a plugin registers. Implemented by the core; valid only during the register call.
class Registrar {
public:
  /// HF `architectures[0]` -> family.
  virtual Status add_arch_mapping(const char* architecture, const char* family) noexcept = 0;
  virtual Status add_detection_rule(DetectionRule* rule) noexcept = 0;
  virtual Status add_config_parser(ConfigParser* parser) noexcept = 0;
  virtual Status add_operation(Operation* op) noexcept = 0;
  virtual Status add_model_builder(ModelBuilder* builder) noexcept = 0;
  virtual Status add_mock_layer(MockLayerFactory* factory) noexcept = 0;
  virtual Status add_collector(Collector* collector) noexcept = 0;

protected:
  ~Registrar() = default;
};

}  // namespace aiconf
