#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::mla {
/// Registers the standard sweeps of the MLA attention, BMM and module tables.
void register_mla_collectors(Registrar& r);
}  // namespace aiconf::mla
