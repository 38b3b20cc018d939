#pragma once
/// \file moe_routing_plan.h
/// Which experts each token goes to, decided on the host at setup, and everything the device
/// kernels of this rank need from it (the permutation to expert order, per-expert segments).
///
/// Distributions (moe_perf `distribution`):
///  - "balanced": assignment i = t * topk + j, r = i mod num_experts -> expert
///    (r mod ep) * (num_experts / ep) + r / ep: round robin over the EP ranks first, then over
///    each rank's experts, so every rank gets floor or ceil of tokens * topk / ep assignments and
///    every expert floor or ceil of tokens * topk / num_experts; a token's experts are distinct.
///  - "power_law_<alpha>": aiconfigurator's idea (its collector helper power_law_logits_v3),
///    re-implemented with a seeded generator: per-expert loads drawn from a bounded Pareto law
///    p(x) ~ x^-alpha on [1, 0.8 * tokens] (on [0.01, 2] when tokens * topk <= num_experts),
///    scaled to tokens * topk assignments and rounded (the remainder goes to the largest loads),
///    each load capped at `tokens` (a token picks an expert at most once), and the EP group of
///    experts with the largest total moved onto this rank (rank 0), as aiconfigurator times the
///    busiest rank. Assignments are then dealt expert by expert (largest load first) over the
///    (choice, token) grid: slot i -> token i mod tokens, choice i / tokens, so the experts of a
///    token are distinct. The seed is a hash of (tokens, topk, experts, ep, alpha): the same key
///    always gives the same routing.
/// This rank (rank 0 of moe_ep_size) holds the global experts [0, num_experts / ep).

#include "moe_shape.h"

#include <cstdint>
#include <vector>

namespace aiconf::moe {

/// Rows of each expert's segment in the permuted buffers are padded to this multiple: cuBLASLt's
/// block-scaled fp8 GEMM needs token counts rounded to 4, and it keeps every segment 16-byte aligned.
inline constexpr std::int64_t kSegmentAlign = 4;

struct RoutingPlan {
  std::vector<std::int64_t> expert_load;  ///< [num_experts] assignments per global expert
  std::vector<std::int32_t> ids;          ///< [tokens * topk] global expert of (token, choice)
  std::vector<std::int64_t> local_count;  ///< [local experts] tokens of each local expert
  std::vector<std::int64_t> seg_row;      ///< [local experts] first permuted row of each expert's segment
  std::vector<std::int64_t> seg_rows;     ///< [local experts] rows of the segment (count rounded up to kSegmentAlign)
  std::int64_t rows = 0;                  ///< permuted rows in all (sum of seg_rows, at least kSegmentAlign)
  std::int64_t assignments = 0;           ///< local (token, expert) pairs: the rows that carry a token
  std::vector<std::int32_t> perm_src;     ///< [rows] source token of each permuted row, -1 for padding
  std::vector<std::int32_t> perm_seg;     ///< [rows] seg_row of the row's expert (fp8 block scale layout)
  std::vector<std::int32_t> perm_ld;      ///< [rows] seg_rows of the row's expert (scale leading dimension)
  std::vector<std::int32_t> slot_row;     ///< [tokens * topk] permuted row of (token, choice), -1 if not local

  /// Builds the routing for `shape`; throws aiconf::Error if an invariant breaks (a bug).
  static RoutingPlan build(const MoeShape& shape);
};

/// Per-expert loads of the power-law distribution before dealing (exposed for tests and logs).
std::vector<std::int64_t> power_law_loads(const MoeShape& shape);

}  // namespace aiconf::moe
