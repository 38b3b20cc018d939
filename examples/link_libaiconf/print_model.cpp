// Links libaiconf, loads the installed plugins (plus any --plugin-dir given first) and prints
// what the registry makes of a config.json.   usage: print_model config.json [plugin-dir...]
#include <aiconf/hf_config.h>
#include <aiconf/loader.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: print_model config.json [plugin-dir...]\n";
    return 2;
  }
  aiconf::LoadOptions opt;
  for (int i = 2; i < argc; ++i) opt.plugin_dirs.push_back(argv[i]);
  aiconf::Registry registry;
  if (auto s = aiconf::load_plugins(opt, &registry); !s) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  for (const auto& p : registry.plugins) std::cout << "plugin " << p.name << " " << p.version << "\n";
  aiconf::ModelConfig cfg;
  if (auto s = aiconf::load_model_config(argv[1], registry, &cfg); !s) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::cout << "architecture " << cfg.core.architecture << "\nfamily " << cfg.family << "\n";
  for (const auto& [ext, fields] : cfg.extensions()) std::cout << "extension " << ext << ": " << fields.str() << "\n";
  return 0;
}
