#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::sparse_mla {
/// Registers the standard sweeps of the sparse MLA and DSA module tables.
void register_sparse_mla_collectors(Registrar& r);
}  // namespace aiconf::sparse_mla
