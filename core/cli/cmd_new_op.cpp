// `aiconf new-op <name> [--dir DIR]`: writes a plugin skeleton that builds and loads at once
// (config parser + arch mapping, operation with schema and speed-of-light, collector with the
// standard ranges, a mock layer stub that fails loudly, a test). Templates: new_op_templates.cpp.
#include "cli_common.h"
#include "new_op_templates.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace aiconf::cli {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct NewOpOptions {
  std::string name, dir, family, architecture;
  bool force = false, as_json = false;
};

void check_name(const std::string& name) {
  bool ok = !name.empty() && std::islower(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  if (!ok || name.back() == '_' || name.find("__") != std::string::npos)
    throw Error("new-op name '" + name + "': expected snake_case starting with a letter (e.g. my_attention): it names the plugin, "
                "the operation, a C++ namespace and file names");
}

std::string camel(const std::string& snake) {
  std::string o;
  bool up = true;
  for (char c : snake) {
    if (c == '_') { up = true; continue; }
    o += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return o;
}

void run_new_op(const NewOpOptions& o) {
  check_name(o.name);
  const std::string cls = camel(o.name);
  const std::string family = o.family.empty() ? o.name : o.family;
  std::string arch = o.architecture.empty() ? cls + "ForCausalLM" : o.architecture;
  if (arch == "none") arch.clear();
  const fs::path dir = o.dir.empty() ? fs::path("plugins") / o.name : fs::path(o.dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec) && !o.force)
    throw Error("new-op: " + dir.string() + " exists and is not empty (choose another --dir, or --force to overwrite its files)");
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"@NAME@", o.name}, {"@CLASS@", cls}, {"@FAMILY@", family}, {"@ARCH_OR_PLACEHOLDER@", arch.empty() ? "EditMeForCausalLM" : arch},
      {"@ARCH@", arch}};
  json::array written;
  for (const auto& t : new_op_templates()) {
    const fs::path path = dir / expand_template(t.path, vars);
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw Error("new-op: cannot create " + path.parent_path().string() + ": " + ec.message());
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw Error("new-op: cannot write " + path.string());
    f << expand_template(t.text, vars);
    if (!f.flush()) throw Error("new-op: writing " + path.string() + " failed");
    written.push_back(json::string(path.string()));
  }
  if (o.as_json) {
    CliContext::print_json(json::object{{"plugin", o.name}, {"dir", dir.string()}, {"family", family}, {"architecture", arch},
                                        {"files", std::move(written)}});
    return;
  }
  std::cout << "wrote plugin '" << o.name << "' (family " << family << (arch.empty() ? "" : ", architecture " + arch) << ") in "
            << dir.string() << ":\n";
  for (const auto& w : written) std::cout << "  " << w.as_string() << "\n";
  std::cout << "next:\n"
            << "  in-tree (plugins/" << o.name << "): re-run cmake, then build target aiconf_plugin_" << o.name << "\n"
            << "  out of tree: cmake -S " << dir.string() << " -B " << (dir / "build").string()
            << " -DCMAKE_PREFIX_PATH=<aiconf prefix> && cmake --build " << (dir / "build").string() << "\n"
            << "  aiconf --plugin-dir <its plugins folder> plugins\n"
            << "  the mock layer is a stub that fails with \"mock layer " << o.name << " is not written yet\" until you write it\n"
            << "  walkthrough: docs/first_hour.md\n";
}

}  // namespace

void add_new_op_command(CLI::App& app, CliContext&) {
  auto o = std::make_shared<NewOpOptions>();
  auto* c = app.add_subcommand("new-op", "Write a new operator plugin skeleton that builds and loads at once");
  c->add_option("name", o->name, "Plugin and operation name, snake_case")->required();
  c->add_option("--dir", o->dir, "Folder to write (default: plugins/<name>)");
  c->add_option("--family", o->family, "Model family the config parser serves (default: <name>)");
  c->add_option("--architecture", o->architecture, "HF architectures[0] mapped to the family (default: <Name>ForCausalLM; 'none': no mapping)");
  c->add_flag("--force", o->force, "Overwrite files in an existing folder");
  c->add_flag("--json", o->as_json, "Print JSON");
  c->callback([o] { run_new_op(*o); });
}

}  // namespace aiconf::cli
