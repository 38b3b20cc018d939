#pragma once
/// \file mock_layer_base.h
/// Base class for CUDA mock layers: implements the noexcept MockLayer interface over throwing
/// methods (configure / enqueue / verify), so layer code can use AICONF_CUDA_CHECK freely and no
/// exception crosses the plugin boundary.

#include <aiconf/plugin/mock_layer.h>
#include <aiconf/plugin/plugin_base.h>

#include <cuda_runtime_api.h>

#include <string>
#include <utility>

namespace aiconf::plugins {

class MockLayerBase : public Releasable<MockLayer> {
public:
  explicit MockLayerBase(std::string kernel_source) : kernel_source_(std::move(kernel_source)) {}

  Status setup(const Params& shape, void* stream) noexcept override {
    return guarded([&] {
      free_buffers();
      configure(shape, static_cast<cudaStream_t>(stream));
    });
  }
  Status run(void* stream) noexcept override { return guarded([&] { enqueue(static_cast<cudaStream_t>(stream)); }); }
  Status check(void* stream, CheckReport* out) noexcept override {
    return guarded([&] { *out = verify(static_cast<cudaStream_t>(stream)); });
  }
  const char* kernel_source() const noexcept override { return kernel_source_.c_str(); }
  void teardown() noexcept override { free_buffers(); }

protected:
  /// Allocates and fills everything for the shape (may throw aiconf::Error).
  virtual void configure(const Params& shape, cudaStream_t stream) = 0;
  /// Enqueues one forward pass; no synchronization, no allocation (capturable in a graph).
  virtual void enqueue(cudaStream_t stream) = 0;
  /// Runs once with poisoned outputs and compares a sample with the CPU reference.
  virtual CheckReport verify(cudaStream_t stream) = 0;
  /// Frees device memory (DeviceBuffer members: assign {}).
  virtual void free_buffers() noexcept = 0;

private:
  std::string kernel_source_;
};

/// The SDK's factory template (aiconf/plugin/plugin_base.h), under the name plugins use.
using ::aiconf::MockLayerFactoryOf;

/// ||a - b|| / ||b|| over paired samples (doubles), with NaN propagated as failure.
double relative_l2_error(const double* out, const double* ref, std::size_t n);

}  // namespace aiconf::plugins
