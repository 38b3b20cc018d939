#include "sibling_tool.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <unistd.h>

namespace aiconf::cli {
namespace fs = std::filesystem;

std::string sibling_tool_path(const std::string& tool) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  fs::path p = exe.parent_path() / tool;
  return fs::exists(p, ec) ? p.string() : "";
}

namespace {
std::vector<char*> make_argv(const std::string& path, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

std::string expected_path(const std::string& tool) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? tool : (exe.parent_path() / tool).string();
}
}  // namespace

int exec_sibling_tool(const std::string& tool, const std::string& why_missing, const std::vector<std::string>& args) {
  const std::string path = sibling_tool_path(tool);
  if (path.empty()) {
    std::cerr << "aiconf: error: " << tool << " was not built: " << expected_path(tool) << " does not exist; " << why_missing << "\n";
    return 127;
  }
  std::cout.flush();
  auto argv = make_argv(path, args);
  execv(path.c_str(), argv.data());
  std::cerr << "aiconf: error: cannot execute " << path << ": " << std::strerror(errno) << "\n";
  return 126;
}

}  // namespace aiconf::cli
