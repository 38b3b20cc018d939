#pragma once
// Running another aiconf executable that lives next to `aiconf` (build/bin or <prefix>/bin).

#include <string>
#include <vector>

namespace aiconf::cli {

/// The path of `tool` in the folder of the running executable ("" when it is not there).
std::string sibling_tool_path(const std::string& tool);

/// Replaces this process with `tool` (found next to the running executable) and `args`. Returns
/// only on failure, after printing an error that names the path looked at and `why_missing`:
/// 127 when the tool is not there, 126 when it cannot be executed.
int exec_sibling_tool(const std::string& tool, const std::string& why_missing, const std::vector<std::string>& args);

}  // namespace aiconf::cli
