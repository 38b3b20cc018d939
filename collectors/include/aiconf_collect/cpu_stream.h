#pragma once
/// \file cpu_stream.h
/// The contract between `aiconf-collect` and mock layers timed on the CPU (tests and CPU
/// reference layers). A layer whose kernel_source() starts with "cpu:" receives a pointer to a
/// CpuStream as its `void* stream` (in setup, run and check) instead of a cudaStream_t, and the
/// harness times it with a CPU clock; such a layer never needs a GPU. Header-only, no
/// dependency: fixture plugins include it.

#include <cstdint>
#include <cstring>

namespace aiconf::collect {

/// Passed as `stream` to CPU-timed layers. A layer checks `magic` before touching it.
struct CpuStream {
  static constexpr std::uint32_t kMagic = 0x53555043u;  // "CPUS"
  std::uint32_t magic = kMagic;
  /// A layer that simulates its cost adds the simulated milliseconds of each run() here. When a
  /// run adds any, the CPU timer reports that simulated time instead of the wall-clock time, so a
  /// fake layer yields the same latency on every machine (deterministic tests of the harness).
  double simulated_ms = 0;
};

/// The CpuStream behind the `void* stream` a "cpu:" layer received, or null when it is null or
/// carries another magic (a caller that broke the contract). Only "cpu:" layers may call this: a
/// cudaStream_t handle must never be dereferenced.
inline CpuStream* as_cpu_stream(void* stream) noexcept {
  if (!stream) return nullptr;
  std::uint32_t m = 0;
  std::memcpy(&m, stream, sizeof m);
  return m == CpuStream::kMagic ? static_cast<CpuStream*>(stream) : nullptr;
}

/// True for a kernel_source that asks for the CPU timer.
inline bool is_cpu_kernel_source(const char* kernel_source) noexcept {
  return kernel_source && std::strncmp(kernel_source, "cpu:", 4) == 0;
}

}  // namespace aiconf::collect
