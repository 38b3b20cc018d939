#pragma once
/// \file standard_sweeps.h
/// The standard shape ranges of perf-table collection (the same as aiconfigurator's):
/// context: batch 1..256, isl 1..32768, batch*isl <= 65536;
/// generation: batch 1..1024, past length 1..131071, batch*past <= 8M.

#include <aiconf/config.h>
#include <aiconf/plugin/collector.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace aiconf::plugins {

inline std::vector<std::int64_t> powers_of_two(std::int64_t lo, std::int64_t hi) {
  std::vector<std::int64_t> v;
  for (std::int64_t x = lo; x <= hi; x *= 2) v.push_back(x);
  return v;
}

inline std::vector<std::int64_t> context_batches(bool quick) { return quick ? std::vector<std::int64_t>{1, 8} : powers_of_two(1, 256); }
inline std::vector<std::int64_t> generation_batches(bool quick) {
  return quick ? std::vector<std::int64_t>{1, 64} : powers_of_two(1, 1024);
}

/// Context sequence lengths, with extra points around `knee` (e.g. index_topk) where latency bends.
inline std::vector<std::int64_t> context_lengths(bool quick, std::int64_t knee = 0) {
  if (quick) return {1, 1024, 4096};
  std::vector<std::int64_t> v{1, 16, 32, 64, 128, 256, 512, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 10240, 12288, 16384, 32768};
  if (knee > 0)
    for (double f : {0.75, 0.875, 0.9375, 1.0625, 1.125, 1.25, 1.5}) v.push_back(static_cast<std::int64_t>(knee * f));
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// Generation past lengths (KV cache tokens), with extra points around `knee`.
inline std::vector<std::int64_t> generation_lengths(bool quick, std::int64_t knee = 0) {
  if (quick) return {1, 2048, 16384};
  std::vector<std::int64_t> v = powers_of_two(1, 65536);
  v.push_back(131071);
  if (knee > 0)
    for (double f : {0.75, 0.875, 1.125, 1.25, 1.5}) v.push_back(static_cast<std::int64_t>(knee * f));
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// aiconfigurator's generation grid: past lengths 2^k - 1 (1, 3, 7, ..., 131071). With the new
/// token a row then holds 2^k keys, whole 64-key tiles from 63 on, so a tiled dense decode kernel's
/// latency is a straight line in the past length between grid points; on the 2^k grid of
/// generation_lengths() every row from 64 on starts a new, nearly empty tile, a staircase step that
/// leave-one-out measured at 4.8% (H200) / 7.0% (H100) error at step 32 and 64.
inline std::vector<std::int64_t> whole_tile_generation_lengths(bool quick) {
  if (quick) return {1, 2047, 16383};
  std::vector<std::int64_t> v;
  for (std::int64_t x = 2; x <= 131072; x *= 2) v.push_back(x - 1);
  return v;
}

inline constexpr std::int64_t kContextTokenLimit = 65536;          ///< batch * isl
inline constexpr std::int64_t kGenerationTokenLimit = 8ll << 20;    ///< batch * past length

/// The model a collector was given, or an error asking for one.
inline const ModelConfig& require_model(const SweepOptions& opt, const char* collector) {
  if (!opt.model) throw Error(std::string("collector ") + collector + " needs a model config for its dimensions (pass --model config.json)");
  return *opt.model;
}

/// Attention heads per GPU for tensor-parallel sizes 1..128 that divide the head count (TP 1..16 as
/// usual, and the splits down to one head per GPU that aiconfigurator's MLA tables also cover).
inline std::vector<std::int64_t> heads_per_gpu(std::int64_t heads, bool quick) {
  std::vector<std::int64_t> v;
  for (std::int64_t tp : {1, 2, 4, 8, 16, 32, 64, 128})
    if (heads % tp == 0) v.push_back(heads / tp);
  if (quick) v.resize(std::min<std::size_t>(v.size(), 1));
  return v;
}

}  // namespace aiconf::plugins
