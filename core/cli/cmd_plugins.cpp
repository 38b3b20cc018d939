// `aiconf plugins`: what is loaded, what each plugin registered, and what was skipped and why.
#include "cli_common.h"

#include <iostream>

namespace aiconf::cli {
namespace json = boost::json;

namespace {

json::object describe_plugin(const Registry& reg, const PluginInfo& p) {
  json::object o{{"name", p.name}, {"version", p.version}, {"description", p.description}, {"path", p.path}};
  json::array archs, rules, parsers, ops, builders, mocks, collectors;
  for (const auto& [arch, m] : reg.arch_mappings)
    if (m.plugin == p.name) archs.push_back(json::object{{"architecture", arch}, {"family", m.family}});
  for (const auto& r : reg.detection_rules)
    if (r.plugin == p.name)
      rules.push_back(json::object{{"family", r.object->family()}, {"rule", r.object->description()}});
  for (const auto& c : reg.config_parsers)
    if (c.plugin == p.name) parsers.push_back(json::object{{"name", c.object->name()}, {"extension", c.object->extension()}});
  for (const auto& [name, op] : reg.operations)
    if (op.plugin == p.name)
      ops.push_back(json::object{{"name", name}, {"table", op.object->schema().table}, {"description", op.object->description()}});
  for (const auto& [fam, b] : reg.model_builders)
    if (b.plugin == p.name) builders.push_back(json::object{{"family", fam}, {"description", b.object->description()}});
  for (const auto& [name, m] : reg.mock_layers)
    if (m.plugin == p.name) mocks.push_back(json::object{{"name", name}, {"operation", m.object->op_name()}});
  for (const auto& [name, c] : reg.collectors)
    if (c.plugin == p.name)
      collectors.push_back(json::object{{"name", name}, {"operation", c.object->op_name()}, {"mock_layer", c.object->mock_layer()}});
  o["architectures"] = std::move(archs);
  o["detection_rules"] = std::move(rules);
  o["config_parsers"] = std::move(parsers);
  o["operations"] = std::move(ops);
  o["model_builders"] = std::move(builders);
  o["mock_layers"] = std::move(mocks);
  o["collectors"] = std::move(collectors);
  return o;
}

void print_text(const json::object& root) {
  for (const auto& pv : root.at("plugins").as_array()) {
    const auto& p = pv.as_object();
    auto str = [&](const char* k) { return std::string(p.at(k).as_string()); };
    std::cout << str("name") << " " << str("version") << "  " << str("path") << "\n";
    if (!str("description").empty()) std::cout << "  " << str("description") << "\n";
    auto list = [&](const char* key, const char* label, auto line) {
      const auto& a = p.at(key).as_array();
      if (a.empty()) return;
      std::cout << "  " << label << ":\n";
      for (const auto& e : a) std::cout << "    " << line(e.as_object()) << "\n";
    };
    auto s = [](const json::value& v) { return std::string(v.as_string()); };
    list("architectures", "architectures", [&](const json::object& e) { return s(e.at("architecture")) + " -> " + s(e.at("family")); });
    list("detection_rules", "detection rules", [&](const json::object& e) { return s(e.at("family")) + ": " + s(e.at("rule")); });
    list("config_parsers", "config parsers", [&](const json::object& e) { return s(e.at("name")) + " (extension " + s(e.at("extension")) + ")"; });
    list("operations", "operations", [&](const json::object& e) { return s(e.at("name")) + "  [table " + s(e.at("table")) + "]"; });
    list("model_builders", "model builders", [&](const json::object& e) { return s(e.at("family")); });
    list("mock_layers", "mock layers", [&](const json::object& e) { return s(e.at("name")) + " (op " + s(e.at("operation")) + ")"; });
    list("collectors", "collectors", [&](const json::object& e) { return s(e.at("name")) + " (mock layer " + s(e.at("mock_layer")) + ")"; });
  }
  const auto& skipped = root.at("skipped").as_array();
  if (!skipped.empty()) {
    std::cout << "skipped:\n";
    for (const auto& e : skipped) std::cout << "  " << std::string(e.as_object().at("reason").as_string()) << "\n";
  }
  if (root.at("plugins").as_array().empty()) std::cout << "no plugins loaded (searched: " << json::serialize(root.at("search_path")) << ")\n";
}

}  // namespace

void add_plugins_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("plugins", "List loaded plugins and everything each registered; skipped plugins with the reason "
                                            "(exit 2 when any was skipped)");
  auto as_json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([&ctx, as_json] {
    const Registry& reg = ctx.registry();
    json::object root;
    json::array plugins, skipped, search;
    for (const auto& p : reg.plugins) plugins.push_back(describe_plugin(reg, p));
    for (const auto& s : reg.skipped) skipped.push_back(json::object{{"path", s.path}, {"reason", s.reason}});
    LoadOptions opt;
    opt.plugin_dirs = ctx.global.plugin_dirs;
    opt.use_default_dir = !ctx.global.no_default_plugins;
    for (const auto& d : plugin_search_path(opt)) search.push_back(json::string(d));
    root["search_path"] = std::move(search);
    root["plugins"] = std::move(plugins);
    root["skipped"] = std::move(skipped);
    if (*as_json) CliContext::print_json(root);
    else print_text(root);
    if (!reg.skipped.empty()) throw CliExit{2};
  });
}

}  // namespace aiconf::cli
