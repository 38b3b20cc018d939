#include <aiconf_plugins/mock_layer_base.h>

#include <cmath>
#include <limits>

namespace aiconf::plugins {

double relative_l2_error(const double* out, const double* ref, std::size_t n) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(out[i]) && out[i] != ref[i]) return std::numeric_limits<double>::infinity();
    if (!std::isfinite(ref[i])) continue;  // e.g. both -inf for masked entries
    num += (out[i] - ref[i]) * (out[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

}  // namespace aiconf::plugins
