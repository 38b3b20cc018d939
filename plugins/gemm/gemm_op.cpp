// Speed-of-light formula and schema of the GEMM operation.
#include "gemm_op.h"

#include <aiconf_plugins/formula_operation.h>

#include <cmath>

namespace aiconf::gemm_plugin {
using namespace aiconf::plugins;

namespace {
double positive(const Params& key, const char* name) {
  const double v = key.number(name);
  if (!(v >= 1)) throw Error(std::string("gemm key '") + name + "': expected a positive size, got " + to_string(*key.find(name)));
  return v;
}
}  // namespace

SolCost gemm_cost(const Params& key) {
  const std::string& dtype = key.text("gemm_dtype");
  const double m = positive(key, "m"), n = positive(key, "n"), k = positive(key, "k");
  const double in = dtype_bytes(dtype);  // throws naming the dtype when it is unknown
  SolCost c;
  c.compute_dtype = compute_dtype(dtype);
  c.flops = 2 * m * n * k;
  // Activations and weights in the GEMM's precision, output always 16-bit (what the engines write).
  c.bytes = (m * k + n * k) * in + m * n * 2;
  if (dtype == "fp8") {
    c.bytes += 2 * 4;  // one fp32 scale per operand
  } else if (dtype == "fp8_block") {
    // DeepSeek-V3 scales: one fp32 per 1x128 activation group and per 128x128 weight block.
    const double kb = std::ceil(k / 128);
    c.bytes += (m * kb + std::ceil(n / 128) * kb) * 4;
  } else if (dtype == "nvfp4") {
    c.bytes += (m * k + n * k) / 16;  // one e4m3 scale per 16 elements
  }
  return c;
}

TableSchema gemm_schema() {
  return {"gemm_perf", {"gemm"},
          {categorical("gemm_dtype"), numeric("m", AxisTransform::log), numeric("n", AxisTransform::log),
           numeric("k", AxisTransform::log)}};
}

void register_gemm_operation(Registrar& r) {
  throw_if_error(r.add_operation(new FormulaOperation(
      "gemm", "linear layer y[m,n] = x[m,k] W[n,k]^T in bfloat16, fp8 (per-tensor), fp8_block (1x128/128x128 scales) or nvfp4",
      gemm_schema(), gemm_cost)));
}

}  // namespace aiconf::gemm_plugin
