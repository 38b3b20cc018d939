#pragma once
// The items of `aiconf check`: each is run live and reports pass / fail / skip with evidence.
// Phases: 1 config and mapping, 2 operations and speed-of-light queries, 3 the mock layer on the
// GPU and its alignment with the real model, 4 collection (output format, data points, tables),
// 5 integration (the CLI recognizes the model).

#include <aiconf/config.h>
#include <aiconf/registry.h>

#include <string>
#include <vector>

namespace aiconf::cli {

enum class CheckState { pass, fail, skip };
const char* to_string(CheckState s);

struct CheckItem {
  int phase = 0;
  std::string item;       ///< e.g. "config parsed"
  CheckState state = CheckState::skip;
  std::string evidence;   ///< one line: what was run and what came out
  std::vector<std::string> details;  ///< one line per sub-check
};

/// What the checklist runs against.
struct CheckTarget {
  std::string name;                    ///< as given: a plugin or a family
  std::vector<std::string> plugins;    ///< the plugins checked
  std::string family;                  ///< the model family
  std::string model_path;              ///< --model, or found in examples/configs
  std::string source_dir;              ///< repository root (examples/, docs/); "" when unknown
  std::string perfdb_root, system;     ///< our perf database
  std::string reference_root;          ///< ../shared/reference/aiconfigurator, "" when absent
  std::string alignment_report;        ///< --alignment, else found under docs/alignment/
};

/// Resolves a plugin or family name into plugins + family; error lists what is loaded.
Status resolve_target(const Registry& reg, const std::string& name, CheckTarget* target);

/// Phase 1: finds (or loads) the model config, checks the family, the mapping and the extensions.
/// Leaves `cfg` loaded when the config parsed.
void check_config(const Registry& reg, CheckTarget& t, ModelConfig* cfg, bool* cfg_ok, std::vector<CheckItem>* out);
/// Phase 2: every operation of the plugins answers a query (key from its collector's quick cases).
void check_queries(const Registry& reg, const CheckTarget& t, const ModelConfig* cfg, std::vector<CheckItem>* out);
/// Phase 3: every mock layer of the plugins set up and checked on its first quick case (skipped
/// without a GPU); the alignment report.
void check_mock_layers(const Registry& reg, const CheckTarget& t, const ModelConfig* cfg, std::vector<CheckItem>* out);
void check_alignment(const CheckTarget& t, std::vector<CheckItem>* out);
/// Phase 4: collectors' quick cases hold every schema key; data points vs the reference; tables load.
void check_collection(const Registry& reg, const CheckTarget& t, const ModelConfig* cfg, std::vector<CheckItem>* out);
/// Phase 5: the model builder of the family summarizes the config.
void check_cli_model(const Registry& reg, const CheckTarget& t, const ModelConfig* cfg, std::vector<CheckItem>* out);

/// Whether a mock-layer error means "no usable GPU here" (no device, no driver).
bool is_no_gpu_error(const std::string& message);

/// The quick cases of the collector writing `op`'s table (or timing mock layer `mock`), or empty.
std::vector<Params> quick_cases_for(const Registry& reg, const std::string& op, const std::string& mock, const ModelConfig* cfg,
                                    std::string* why_none);

}  // namespace aiconf::cli
