// Exact CPU top-k used by the GPU test and the benchmark's spot checks.

#include "aiconf/dsa/topk_reference.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <sstream>

namespace aiconf::dsa {

int64_t topk_row_length(const int32_t* row_lengths, int64_t row, int64_t cols, bool causal,
                        int64_t causal_offset) {
  int64_t len = cols;
  if (row_lengths != nullptr) {
    len = row_lengths[row];
  } else if (causal) {
    len = causal_offset + row + 1;
  }
  return std::clamp<int64_t>(len, 0, cols);
}

std::vector<float> topk_reference_values(const float* row, int64_t len, int k) {
  std::vector<float> v(row, row + len);
  const int64_t n = std::min<int64_t>(k, len);
  std::nth_element(v.begin(), v.begin() + (n > 0 ? n - 1 : 0), v.end(), std::greater<float>());
  v.resize(n);
  std::sort(v.begin(), v.end(), std::greater<float>());
  return v;
}

std::vector<int32_t> topk_reference_indices(const float* row, int64_t len, int k) {
  std::vector<int32_t> idx(len);
  std::iota(idx.begin(), idx.end(), 0);
  const int64_t n = std::min<int64_t>(k, len);
  auto before = [row](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
  std::nth_element(idx.begin(), idx.begin() + (n > 0 ? n - 1 : 0), idx.end(), before);
  idx.resize(n);
  std::sort(idx.begin(), idx.end(), before);
  idx.resize(k, -1);
  return idx;
}

std::string check_topk_row(const float* row, int64_t len, int k, const int32_t* got,
                           const std::vector<float>& expected) {
  std::ostringstream err;
  if (len <= k) {
    std::vector<char> seen(len, 0);
    for (int i = 0; i < k; ++i) {
      const int32_t g = got[i];
      if (i < len) {
        if (g < 0 || g >= len || seen[g]) {
          err << "slot " << i << " holds " << g << " (len " << len << " <= k " << k
              << ": expected a permutation of 0..len-1)";
          return err.str();
        }
        seen[g] = 1;
      } else if (g != -1) {
        err << "slot " << i << " holds " << g << ", expected -1 (len " << len << ")";
        return err.str();
      }
    }
    return {};
  }
  std::vector<char> seen(len, 0);
  std::vector<float> vals(k);
  for (int i = 0; i < k; ++i) {
    const int32_t g = got[i];
    if (g < 0 || g >= len) {
      err << "slot " << i << " holds out-of-range index " << g << " (len " << len << ")";
      return err.str();
    }
    if (seen[g]) {
      err << "slot " << i << " repeats index " << g;
      return err.str();
    }
    seen[g] = 1;
    vals[i] = row[g];
  }
  std::sort(vals.begin(), vals.end(), std::greater<float>());
  for (int i = 0; i < k; ++i) {
    if (!(vals[i] == expected[i])) {
      err << "rank " << i << ": selected value " << vals[i] << " but exact top-k has "
          << expected[i];
      return err.str();
    }
  }
  return {};
}

}  // namespace aiconf::dsa
