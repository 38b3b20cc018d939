#pragma once
/// \file model_sol_key.h
/// The part of a query's key that a perf table row lacks: the model dimensions (hidden_size, ranks,
/// head counts...) that a model builder puts in an operation's key and that the operation's
/// speed-of-light needs. Leave-one-out, holdout and the adaptive collector's scoring add them to
/// their speed-of-light keys (ValidationOptions::sol_key) so that they extrapolate as queries do.

#include <aiconf/config.h>
#include <aiconf/operation.h>
#include <aiconf/registry.h>
#include <aiconf/status.h>

namespace aiconf {

/// Builds one context step and one generation step of `cfg` (batch 1, one GPU, no parallelism) with
/// the family's model builder and gathers, from every invocation of `op`, the key entries that are
/// not columns of `op`'s table and hold one value in every invocation. `*out` is empty (and ok) when
/// the model never invokes `op`. Error (naming the config file) when no builder serves the family or
/// the builder fails.
Status model_sol_key(const Registry& reg, const ModelConfig& cfg, const Operation& op, Params* out) noexcept;

}  // namespace aiconf
