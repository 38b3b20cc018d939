// `aiconf profile ...`: runs `aiconf-profile` (tools/profile, built only with CUDA and CUPTI) from
// the folder of this executable with the same arguments, so the CLI itself never links CUDA.
#include "cli_common.h"
#include "sibling_tool.h"

#include <iostream>

namespace aiconf::cli {

void add_profile_command(CLI::App& app, CliContext& ctx) {
  auto* c = app.add_subcommand("profile", "Kernel table of a mock layer under CUPTI, or a diff of two kernel tables "
                                          "(runs aiconf-profile; `aiconf profile --help` shows its options)");
  // Everything after `profile` belongs to aiconf-profile, --help included.
  c->prefix_command();
  c->allow_extras();
  c->set_help_flag();
  c->callback([c, &ctx] {
    // The layer and its key=value words first: aiconf-profile's --plugin-dir takes several values,
    // so placed before them it would swallow the layer name.
    std::vector<std::string> args = c->remaining();
    for (const auto& d : ctx.global.plugin_dirs) args.insert(args.end(), {"--plugin-dir", d});
    if (ctx.global.strict) args.push_back("--strict");
    if (ctx.global.no_default_plugins) args.push_back("--no-default-plugins");
    throw CliExit{exec_sibling_tool("aiconf-profile",
                                    "it is built only where a CUDA toolkit with CUPTI was found (AICONF_ENABLE_CUDA=ON and "
                                    "nvcc present at configure time); rebuild on a CUDA machine or run it there",
                                    args)};
  });
}

}  // namespace aiconf::cli
