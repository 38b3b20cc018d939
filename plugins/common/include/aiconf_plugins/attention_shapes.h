#pragma once
/// \file attention_shapes.h
/// Counting (query, key) pairs for causal attention-like operators, shared by the DSA indexer,
/// top-k and sparse MLA operations and their mock layers. Conventions (the same as
/// aiconfigurator's attention tables): in context, `isl` new tokens per sequence follow `step`
/// cached prefix tokens; in generation, `isl` new tokens (1, or 1 + MTP drafts) follow `step`
/// cached tokens. New token i (0-based) sees step + i + 1 keys.

#include <algorithm>
#include <cstdint>

namespace aiconf::plugins {

/// Keys visible to all new tokens of one sequence: sum_{i<isl} (step + i + 1).
inline double causal_pairs(double isl, double step) { return isl * step + isl * (isl + 1) / 2; }

/// Keys a top-k selection keeps for all new tokens of one sequence: sum_{i<isl} min(topk, step + i + 1).
inline double selected_pairs(double isl, double step, double topk) {
  // Tokens whose visible count is still below topk keep everything they see.
  double below = std::clamp(topk - step, 0.0, isl);  // tokens i with step + i + 1 <= topk
  return causal_pairs(below, step) + (isl - below) * topk;
}

}  // namespace aiconf::plugins
