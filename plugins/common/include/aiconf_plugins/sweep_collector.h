#pragma once
/// \file sweep_collector.h
/// A collector defined by a sweep function (the usual shape). Header-only.

#include <aiconf/plugin/plugin_base.h>

namespace aiconf::plugins {

using SweepFunction = std::vector<Params> (*)(const SweepOptions& opt);

class SweepCollector final : public CollectorBase {
public:
  /// `name` doubles as the mock layer name unless `mock` is given.
  SweepCollector(std::string name, std::string op, std::string mock, SweepFunction fn)
      : CollectorBase(std::move(name), std::move(op), std::move(mock)), fn_(fn) {}

protected:
  std::vector<Params> sweep(const SweepOptions& opt) const override { return fn_(opt); }

private:
  SweepFunction fn_;
};

}  // namespace aiconf::plugins
