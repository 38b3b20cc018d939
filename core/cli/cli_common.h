#pragma once
// Shared pieces of the `aiconf` command: global options, plugin loading, JSON/text output.
// Each subcommand lives in its own cmd_<name>.cpp and registers itself through add_<name>_command.

#include <aiconf/loader.h>
#include <aiconf/registry.h>

#include <CLI/CLI.hpp>

#include <boost/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace aiconf::cli {

/// Options every subcommand shares (set on the top-level app).
struct GlobalOptions {
  std::vector<std::string> plugin_dirs;
  bool strict = false;
  bool no_default_plugins = false;
};

/// What a subcommand's callback gets.
class CliContext {
public:
  GlobalOptions global;
  /// Loads plugins once (lazily), reporting skipped plugins on stderr unless quiet.
  const Registry& registry();
  /// Prints a JSON value (pretty, one trailing newline) to stdout.
  static void print_json(const boost::json::value& v);

private:
  std::unique_ptr<Registry> registry_;
};

/// A subcommand registration function.
using AddCommand = void (*)(CLI::App& app, CliContext& ctx);

// The subcommands (one file each).
void add_plugins_command(CLI::App& app, CliContext& ctx);
void add_model_command(CLI::App& app, CliContext& ctx);
void add_db_command(CLI::App& app, CliContext& ctx);      // cmd_db.cpp: db info / db validate
void add_query_command(CLI::App& app, CliContext& ctx);   // cmd_query.cpp
void add_estimate_command(CLI::App& app, CliContext& ctx);  // cmd_estimate.cpp
void add_search_command(CLI::App& app, CliContext& ctx);    // cmd_search.cpp

void add_profile_command(CLI::App& app, CliContext& ctx);  // cmd_profile.cpp: runs aiconf-profile
void add_check_command(CLI::App& app, CliContext& ctx);    // cmd_check.cpp: the five-phase checklist
void add_new_op_command(CLI::App& app, CliContext& ctx);   // cmd_new_op.cpp: plugin skeleton

/// Thrown by a subcommand to end with a given exit code after it printed its own output.
struct CliExit {
  int code;
};

/// Formats a double compactly (up to 6 significant digits).
std::string fmt(double v, int digits = 6);

}  // namespace aiconf::cli
