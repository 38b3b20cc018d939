#pragma once
// The query chain over one GridIndex: key -> categorical group -> evaluation -> Latency with
// provenance, plus the speed-of-light and empirical answers used when data is missing.

#include "grid_index.h"

#include <aiconf/operation.h>

#include <memory>
#include <string>

namespace aiconf::perfdb {

/// Outcome of the measured-data part of the chain.
enum class DataOutcome {
  answered,  ///< `out` holds an exact / interpolated / extrapolated answer
  no_data,   ///< the key is valid but nothing measured covers it (`reason` says why)
  bad_key,   ///< the key itself is wrong (missing or non-numeric axis...): an error in every mode
};

/// Runs exact -> interpolated -> extrapolated for `key`. `op`/`sys` (both or neither) enable
/// held-utilization extrapolation. At most `max_rows` rows are listed in `out->rows` (bracketing
/// points first). On no_data / bad_key, `reason` holds the message.
DataOutcome data_lookup(const GridIndex& index, const Params& key, const Operation* op, const SystemSpec* sys,
                        std::size_t max_rows, Latency* out, std::string* reason);

/// Speed-of-light answer (provenance speed_of_light).
Status sol_answer(const Operation& op, const Params& key, const SystemSpec& sys, const std::string& why, Latency* out);
/// Speed-of-light divided by the system's empirical efficiency for the op (provenance empirical).
/// Efficiency: the op's name, else the longest key that prefixes the op's name, else "default",
/// else 0.5 (said in the note).
Status empirical_answer(const Operation& op, const Params& key, const SystemSpec& sys, const std::string& why,
                        Latency* out);

/// A SolFunction over an operation: the key with its numeric axes replaced.
std::unique_ptr<SolFunction> make_op_sol(const Operation& op, const SystemSpec& sys, const Params& base,
                                         const std::vector<GridIndex::Axis>& axes);

}  // namespace aiconf::perfdb
