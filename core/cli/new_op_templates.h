#pragma once
// The files `aiconf new-op` writes, as templates with @NAME@ (snake_case plugin/operation name),
// @CLASS@ (CamelCase), @FAMILY@ and @ARCH@ placeholders.

#include <string>
#include <vector>

namespace aiconf::cli {

struct FileTemplate {
  const char* path;  ///< relative to the plugin folder; may itself hold placeholders
  const char* text;
};

/// Every file of a new plugin skeleton, in writing order.
const std::vector<FileTemplate>& new_op_templates();

/// The template with every placeholder replaced.
std::string expand_template(std::string text, const std::vector<std::pair<std::string, std::string>>& vars);

}  // namespace aiconf::cli
