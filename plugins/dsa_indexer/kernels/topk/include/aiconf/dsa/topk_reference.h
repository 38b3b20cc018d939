#pragma once
/// CPU reference for the DSA top-k (exact, std::nth_element) and an output checker.
/// Plain host code; thread-safe (no shared state).

#include <cstdint>
#include <string>
#include <vector>

namespace aiconf::dsa {

/// Valid length of row `row` with the same rules as TopkProblem (clamped to [0, cols]).
int64_t topk_row_length(const int32_t* row_lengths, int64_t row, int64_t cols, bool causal,
                        int64_t causal_offset);

/// Exact top-k of one row: the k largest of row[0, len) as values sorted in descending order
/// (min(k, len) entries). NaN is not supported.
std::vector<float> topk_reference_values(const float* row, int64_t len, int k);

/// Exact top-k indices of one row (sorted by descending value, ties by lower index), padded with
/// -1 to k entries: the contract launch_topk meets up to order and tie choice.
std::vector<int32_t> topk_reference_indices(const float* row, int64_t len, int k);

/// Checks one output row `got` (k entries) of launch_topk for a row of length len whose exact
/// top values (from topk_reference_values) are `expected`. Returns "" when correct, else a
/// description of the first problem: for len <= k the first len slots must be a permutation of
/// 0..len-1 and the rest -1; otherwise k distinct indices in [0, len) whose values, as a
/// multiset, equal `expected`.
std::string check_topk_row(const float* row, int64_t len, int k, const int32_t* got,
                           const std::vector<float>& expected);

}  // namespace aiconf::dsa
