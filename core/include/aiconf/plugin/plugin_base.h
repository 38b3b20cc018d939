#pragma once
/// \file plugin_base.h
/// Convenience bases for plugin authors. They implement the noexcept interface methods by calling
/// ordinary (throwing) methods inside a try/catch, so a plugin can be written in plain C++ while no
/// exception ever crosses the boundary (ONNX Runtime's ORT_TRY/ORT_CATCH idea). Compiled into the
/// plugin, header-only.

#include <aiconf/config.h>
#include <aiconf/model.h>
#include <aiconf/operation.h>
#include <aiconf/plugin/collector.h>
#include <aiconf/plugin/mock_layer.h>
#include <aiconf/plugin/registrar.h>
#include <aiconf/status.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace aiconf {

/// Runs `fn`, turning any exception into an error Status.
template <class Fn>
Status guarded(Fn&& fn) noexcept {
  try {
    fn();
    return Status::ok();
  } catch (const std::exception& e) {
    return Status::error(e.what());
  } catch (...) {
    return Status::error("unknown exception in plugin code");
  }
}

/// Adds `release()` = `delete this` and a virtual destructor to an interface.
template <class Interface>
class Releasable : public Interface {
public:
  void release() noexcept override { delete this; }
  virtual ~Releasable() = default;
};

/// A mock-layer factory for a default-constructible layer type (name, operation, description).
template <class Layer>
class MockLayerFactoryOf final : public Releasable<MockLayerFactory> {
public:
  MockLayerFactoryOf(std::string name, std::string op, std::string description)
      : name_(std::move(name)), op_(std::move(op)), description_(std::move(description)) {}
  const char* name() const noexcept override { return name_.c_str(); }
  const char* op_name() const noexcept override { return op_.c_str(); }
  const char* description() const noexcept override { return description_.c_str(); }
  Status create(MockLayer** out) const noexcept override {
    return guarded([&] { *out = new Layer(); });
  }

private:
  std::string name_, op_, description_;
};

/// An operation whose query is its own table through the core's chain; subclasses give cost().
class OperationBase : public Releasable<Operation> {
public:
  OperationBase(std::string name, std::string description, TableSchema schema)
      : name_(std::move(name)), description_(std::move(description)), schema_(std::move(schema)) {}
  const char* name() const noexcept override { return name_.c_str(); }
  const char* description() const noexcept override { return description_.c_str(); }
  const TableSchema& schema() const noexcept override { return schema_; }
  Status speed_of_light(const Params& key, SolCost* out) const noexcept override {
    return guarded([&] { *out = cost(key); });
  }
  Status query(const Params& key, const QueryContext& ctx, Latency* out) const noexcept override {
    return guarded([&] { throw_if_error(compute(key, ctx, out)); });
  }

protected:
  /// Speed-of-light work for a key; may throw aiconf::Error naming the bad key.
  virtual SolCost cost(const Params& key) const = 0;
  /// Default: the core's table lookup. Composed operations override.
  virtual Status compute(const Params& key, const QueryContext& ctx, Latency* out) const {
    return ctx.lookup(*this, key, out);
  }

private:
  std::string name_, description_;
  TableSchema schema_;
};

/// A config parser with a fixed family list; subclasses implement read() and may throw.
class ConfigParserBase : public Releasable<ConfigParser> {
public:
  ConfigParserBase(std::string name, std::string extension, std::vector<std::string> families)
      : name_(std::move(name)), extension_(std::move(extension)), families_(std::move(families)) {}
  const char* name() const noexcept override { return name_.c_str(); }
  const char* extension() const noexcept override { return extension_.c_str(); }
  bool applies_to(const char* family) const noexcept override {
    for (const auto& f : families_)
      if (f == family) return true;
    return false;
  }
  Status parse(const ConfigView& json, ModelConfig* cfg) const noexcept override {
    return guarded([&] { read(json, *cfg); });
  }

protected:
  virtual void read(const ConfigView& json, ModelConfig& cfg) const = 0;
  /// Reads an integer field into the extension (throws with the view's message on error).
  std::int64_t take_int(const ConfigView& json, ModelConfig& cfg, const char* key, std::int64_t min = 1,
                        std::int64_t max = std::int64_t(1) << 40) const {
    std::int64_t v = 0;
    throw_if_error(json.get_int(key, &v, min, max));
    cfg.set(extension_, key, v);
    return v;
  }

private:
  std::string name_, extension_;
  std::vector<std::string> families_;
};

/// A model builder whose methods may throw.
class ModelBuilderBase : public Releasable<ModelBuilder> {
public:
  ModelBuilderBase(std::string family, std::string description)
      : family_(std::move(family)), description_(std::move(description)) {}
  const char* family() const noexcept override { return family_.c_str(); }
  const char* description() const noexcept override { return description_.c_str(); }
  Status summarize(const ModelConfig& cfg, ModelSummary* out) const noexcept override {
    return guarded([&] { *out = summary(cfg); });
  }
  Status build(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape,
               Model* out) const noexcept override {
    return guarded([&] { *out = step(cfg, par, shape); });
  }

protected:
  virtual ModelSummary summary(const ModelConfig& cfg) const = 0;
  virtual Model step(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape) const = 0;

private:
  std::string family_, description_;
};

/// A collector whose case list may be built with throwing code.
class CollectorBase : public Releasable<Collector> {
public:
  CollectorBase(std::string name, std::string op, std::string mock)
      : name_(std::move(name)), op_(std::move(op)), mock_(std::move(mock)) {}
  const char* name() const noexcept override { return name_.c_str(); }
  const char* op_name() const noexcept override { return op_.c_str(); }
  const char* mock_layer() const noexcept override { return mock_.c_str(); }
  Status cases(const SweepOptions& opt, std::vector<Params>* out) const noexcept override {
    return guarded([&] { *out = sweep(opt); });
  }

protected:
  virtual std::vector<Params> sweep(const SweepOptions& opt) const = 0;

private:
  std::string name_, op_, mock_;
};

}  // namespace aiconf
