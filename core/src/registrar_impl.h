#pragma once
// The core's Registrar: stages one plugin's registrations and merges them into the Registry only
// when the whole register call succeeded, so a failing plugin leaves nothing behind.
#include <aiconf/registry.h>

#include <memory>
#include <string>

namespace aiconf::detail {

class RegistrarImpl final : public Registrar {
public:
  /// `library` keeps the plugin's code loaded while any object it made is alive.
  RegistrarImpl(const Registry& existing, std::string plugin, std::string path, std::shared_ptr<void> library)
      : existing_(existing), plugin_(std::move(plugin)), path_(std::move(path)), library_(std::move(library)) {}

  Status add_arch_mapping(const char* architecture, const char* family) noexcept override;
  Status add_detection_rule(DetectionRule* rule) noexcept override;
  Status add_config_parser(ConfigParser* parser) noexcept override;
  Status add_operation(Operation* op) noexcept override;
  Status add_model_builder(ModelBuilder* builder) noexcept override;
  Status add_mock_layer(MockLayerFactory* factory) noexcept override;
  Status add_collector(Collector* collector) noexcept override;

  /// The first error of any add_* call ("" when all succeeded).
  const std::string& first_error() const noexcept { return first_error_; }
  /// Moves the staged registrations into `target`.
  void commit(Registry& target);

private:
  template <class T>
  std::shared_ptr<T> own(T* object);
  template <class T>
  Status add_unique(std::map<std::string, Registered<T>, std::less<>>& staged,
                    const std::map<std::string, Registered<T>, std::less<>>& existing, T* object, const char* what);
  Status fail(std::string message);
  std::string owner_of(const std::string& plugin) const;

  const Registry& existing_;
  std::string plugin_, path_;
  std::shared_ptr<void> library_;
  Registry staged_;
  std::string first_error_;
};

}  // namespace aiconf::detail
