#pragma once
/// \file simulated_layer.h
/// A CPU mock layer that reports a simulated latency instead of running anything: the tests' fake
/// layers and the replay plugin derive from it, set `ms_` in setup() and get run() (adds `ms_` to
/// the CpuStream, see cpu_stream.h), check() (nothing to compare: passes), teardown and release.

#include <aiconf/plugin/plugin_base.h>
#include <aiconf_collect/cpu_stream.h>

#include <string>
#include <utility>

namespace aiconf::collect {

class SimulatedCpuLayer : public Releasable<MockLayer> {
public:
  /// `kernel_source` must start with "cpu:" (the harness then times the layer on the CPU).
  explicit SimulatedCpuLayer(std::string kernel_source) : kernel_source_(std::move(kernel_source)) {}
  Status run(void* stream) noexcept override {
    CpuStream* s = as_cpu_stream(stream);
    if (!s) return Status::error(kernel_source_ + ": the stream is not a CpuStream");
    s->simulated_ms += ms_;
    return Status::ok();
  }
  Status check(void*, CheckReport* out) noexcept override {
    out->passed = true;
    return Status::ok();
  }
  const char* kernel_source() const noexcept override { return kernel_source_.c_str(); }
  void teardown() noexcept override { ms_ = 0; }

protected:
  double ms_ = 0;  ///< the simulated latency of one run, set by setup()

private:
  std::string kernel_source_;
};

}  // namespace aiconf::collect
