// `aiconf`: the command-line front of libaiconf. Each subcommand lives in cmd_<name>.cpp.
#include "cli_common.h"

#include <aiconf/version.h>

#include <iostream>

int main(int argc, char** argv) {
  using namespace aiconf::cli;
  CLI::App app{"aiconf " AICONF_VERSION_STRING ": predict LLM serving performance from measured kernel latencies"};
  app.set_version_flag("--version", AICONF_VERSION_STRING);
  app.require_subcommand(1);
  CliContext ctx;
  app.add_option("--plugin-dir", ctx.global.plugin_dirs, "Plugin directory searched first (repeatable)")->type_name("DIR");
  app.add_flag("--strict", ctx.global.strict, "Fail on the first plugin that cannot be loaded");
  app.add_flag("--no-default-plugins", ctx.global.no_default_plugins,
               "Do not search the default plugin directory next to libaiconf");

  for (AddCommand add : {add_plugins_command, add_model_command, add_db_command, add_query_command,
                          add_estimate_command, add_search_command}) add(app, ctx);

  // The integration workflow (issue 7): kernel tables, the checklist, the plugin scaffold.
  for (AddCommand add : {add_profile_command, add_check_command, add_new_op_command}) add(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const CliExit& e) {
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "aiconf: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
