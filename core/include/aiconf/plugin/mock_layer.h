#pragma once
/// \file mock_layer.h
/// MockLayer: an operation as a standalone CUDA layer with dummy random weights, timed by the
/// collector harness and profiled by `aiconf profile`. The interface carries no CUDA type (the core
/// has no CUDA dependency): streams travel as `void*` (a cudaStream_t). Nothing may touch CUDA
/// before `setup()` is called: never at plugin load or registration.

#include <aiconf/operation.h>
#include <aiconf/status.h>
#include <aiconf/value.h>

#include <string>
#include <vector>

namespace aiconf {

/// Result of a mock layer's self-check against its CPU reference.
struct CheckReport {
  bool passed = false;
  double max_rel_error = 0;   ///< ||out - ref|| / ||ref|| (worst output)
  std::string details;        ///< one line per output checked
};

/// One configured instance of a mock layer (a shape). Not thread-safe: one thread drives it.
class MockLayer {
public:
  /// Allocates buffers for the shape and fills inputs and weights with random values (never zeros).
  /// `stream` is a cudaStream_t.
  virtual Status setup(const Params& shape, void* stream) noexcept = 0;
  /// Enqueues one forward pass on the stream (no synchronization, capturable in a CUDA graph).
  virtual Status run(void* stream) noexcept = 0;
  /// Switches to the next of several input buffer sets (so repeated timing does not hit in L2).
  /// Returns false when the layer has only one set (the harness then flushes L2 instead).
  virtual bool rotate_inputs() noexcept { return false; }
  /// Runs once and compares the outputs with a CPU reference on the same inputs.
  virtual Status check(void* stream, CheckReport* out) noexcept = 0;
  /// The kernel_source value written into perf table rows (our kernel's name).
  virtual const char* kernel_source() const noexcept = 0;
  /// Frees device memory; the object stays valid for another setup().
  virtual void teardown() noexcept = 0;
  virtual void release() noexcept = 0;

protected:
  ~MockLayer() = default;
};

/// Makes mock layers for one operation.
class MockLayerFactory {
public:
  virtual const char* name() const noexcept = 0;       ///< e.g. "dsa_indexer_logits_context"
  virtual const char* op_name() const noexcept = 0;    ///< the operation it measures
  virtual const char* description() const noexcept = 0;
  /// A new layer (no CUDA work happens here). The caller owns it and calls release().
  virtual Status create(MockLayer** out) const noexcept = 0;
  virtual void release() noexcept = 0;

protected:
  ~MockLayerFactory() = default;
};

}  // namespace aiconf
