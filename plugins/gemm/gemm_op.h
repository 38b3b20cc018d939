#pragma once
// The `gemm` operation: y[m,n] = x[m,k] W[n,k]^T, table gemm_perf (aiconfigurator's columns).
#include <aiconf/operation.h>
#include <aiconf/plugin/registrar.h>

namespace aiconf::gemm_plugin {

/// Speed-of-light work of one GEMM key (gemm_dtype, m, n, k); throws naming a bad key.
SolCost gemm_cost(const Params& key);
/// The gemm_perf schema: gemm_dtype categorical; m, n, k numeric on log axes.
TableSchema gemm_schema();
/// Registers the `gemm` operation.
void register_gemm_operation(Registrar& r);

}  // namespace aiconf::gemm_plugin
