#pragma once
/// \file prefill_chunks.h
/// How the context-mode indexer logits are laid out for a batch of prefills: sequences go in
/// chunks whose logits block [chunk*isl, chunk*keys] fits about 1 GiB (engines chunk prefill the
/// same way), and each query row only sees its own sequence's causal range [ks, ke) of the
/// chunk's concatenated keys. Shared by the indexer and the DSA module mock layers.

#include <aiconf_plugins/cuda_check.h>
#include <aiconf_plugins/device_buffer.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace aiconf::plugins {

struct PrefillChunks {
  std::int64_t chunk = 1;     ///< sequences per logits launch
  std::int64_t ld = 0;        ///< logits row stride (chunk * keys)
  DeviceBuffer ks, ke;        ///< int32 [chunk * isl] key ranges, the same for every full chunk

  /// Plans `batch` sequences of `isl` new tokens after `step` cached ones and uploads ks/ke.
  void plan(std::int64_t batch, std::int64_t isl, std::int64_t step, cudaStream_t stream) {
    const std::int64_t keys = step + isl;
    chunk = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::sqrt(double(1ull << 30) / (4.0 * isl * keys))), 1, batch);
    ld = chunk * keys;
    std::vector<std::int32_t> h_ks(chunk * isl), h_ke(chunk * isl);
    for (std::int64_t j = 0; j < chunk; ++j)
      for (std::int64_t i = 0; i < isl; ++i) {
        h_ks[j * isl + i] = static_cast<std::int32_t>(j * keys);
        h_ke[j * isl + i] = static_cast<std::int32_t>(j * keys + step + i + 1);
      }
    ks.resize(h_ks.size() * 4);
    ke.resize(h_ke.size() * 4);
    AICONF_CUDA_CHECK(cudaMemcpyAsync(ks.get(), h_ks.data(), h_ks.size() * 4, cudaMemcpyHostToDevice, stream));
    AICONF_CUDA_CHECK(cudaMemcpyAsync(ke.get(), h_ke.data(), h_ke.size() * 4, cudaMemcpyHostToDevice, stream));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));  // the host vectors end here
  }
  /// Bytes of the fp32 logits block of one chunk.
  std::size_t logits_bytes(std::int64_t isl) const { return static_cast<std::size_t>(chunk * isl * ld) * 4; }
  void release() noexcept { ks.release(), ke.release(); }
};

}  // namespace aiconf::plugins
