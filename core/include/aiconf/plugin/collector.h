#pragma once
/// \file collector.h
/// Collector: the standard sweep of shapes for one perf table. The `aiconf-collect` harness asks
/// it for cases, builds the named mock layer for each, times it and writes rows whose key columns
/// come from the case (in the operation's schema order).

#include <aiconf/config.h>
#include <aiconf/status.h>
#include <aiconf/value.h>

#include <string>
#include <vector>

namespace aiconf {

/// Options a sweep may honour.
struct SweepOptions {
  bool quick = false;          ///< a small smoke sweep (a few cases) instead of the full one
  std::string filter;          ///< "key=value[,key=value]" restricts the cases (applied by the harness)
  /// The model whose dimensions the sweep uses (e.g. index_n_heads); null when none was given.
  /// Collectors that need dimensions fail with a message asking for --model.
  const ModelConfig* model = nullptr;
};

class Collector {
public:
  virtual const char* name() const noexcept = 0;        ///< e.g. "dsa_indexer_logits_context"
  virtual const char* op_name() const noexcept = 0;     ///< operation whose table is written
  virtual const char* mock_layer() const noexcept = 0;  ///< mock layer factory name to time
  /// The cases: each Params holds every key column of the schema plus any mock-layer dimensions.
  virtual Status cases(const SweepOptions& opt, std::vector<Params>* out) const noexcept = 0;
  virtual void release() noexcept = 0;

protected:
  ~Collector() = default;
};

}  // namespace aiconf
