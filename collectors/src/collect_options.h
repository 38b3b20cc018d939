#pragma once
// Everything the `aiconf-collect` command line says, parsed (main.cpp) and checked.

#include "case_filter.h"
#include "table_run.h"

#include <aiconf/loader.h>

#include <string>
#include <vector>

namespace aiconf::collect {

struct CollectOptions {
  LoadOptions load;                 ///< --plugin-dir, --no-default-plugins, --strict
  Selection selection;              ///< --collector, --plugin, --table
  std::string model_path;           ///< --model
  bool quick = false;
  std::string filter_text;
  CaseFilter filter;
  bool list = false;
  bool merge_only = false;          ///< --merge: fold shard files into the tables, measure nothing
  std::string gpus;                 ///< --gpus
  std::string shard_text;           ///< --shard
  int adaptive = 0;                 ///< --adaptive N: cases added per round (0 = full sweep)
  double adaptive_target = 0.05;    ///< stop refining when the worst leave-one-out error is below
  std::string worker_label;         ///< set by the --gpus parent for its workers
  RunOptions run;
  std::vector<std::string> argv;    ///< the command line as given
  std::string command_line() const;
};

}  // namespace aiconf::collect
