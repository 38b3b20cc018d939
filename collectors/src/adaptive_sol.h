#pragma once
// The speed-of-light that the adaptive mode's leave-one-out scoring extrapolates with: the same
// operation cost, system and key dimensions a query of the table would use, so that a partial line
// is scored as the estimator would extrapolate it (not by a bare slope).

#include "case_plan.h"

#include <aiconf/config.h>
#include <aiconf/system.h>

#include <string>

namespace aiconf::collect {

struct ScoringSol {
  const Operation* op = nullptr;  ///< null: scoring extrapolates by slope (no system spec found)
  SystemSpec sys;
  Params key;                     ///< dimensions a table row lacks (ValidationOptions::sol_key)
  std::string note;               ///< one line on what was found, for the progress output
};

/// Operation: the plan's, except for a stand-in (the replay plugin's "replay", whose op_name is
/// another operation's): the loaded operation of that name owning the same table, else none. System: `<out>/systems/<system>.json`, else
/// `$AICONF_PERFDB/systems/`, else the source tree's `perfdb/systems/` (none: no speed-of-light).
/// Key: the entries every case carries beyond the table's columns (the sweep's model dimensions),
/// then those `model` (--model) gives the operation through its family's builder. Error when the
/// model cannot be built (names the config file).
Status scoring_sol(const Registry& reg, const TablePlan& plan, const std::string& table_dir, const ModelConfig* model,
                   ScoringSol* out);

}  // namespace aiconf::collect
