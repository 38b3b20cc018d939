#include "cli_common.h"

#include <cstdio>
#include <iostream>

namespace aiconf::cli {

const Registry& CliContext::registry() {
  if (!registry_) {
    registry_ = std::make_unique<Registry>();
    LoadOptions opt;
    opt.plugin_dirs = global.plugin_dirs;
    opt.strict = global.strict;
    opt.use_default_dir = !global.no_default_plugins;
    throw_if_error(load_plugins(opt, registry_.get()));
    for (const auto& s : registry_->skipped) std::cerr << "aiconf: skipped plugin " << s.reason << "\n";
  }
  return *registry_;
}

namespace {
void pretty(std::ostream& os, const boost::json::value& v, int indent) {
  const std::string pad(indent, ' ');
  if (const auto* o = v.if_object()) {
    if (o->empty()) { os << "{}"; return; }
    os << "{\n";
    bool first = true;
    for (const auto& kv : *o) {
      if (!first) os << ",\n";
      first = false;
      os << pad << "  " << boost::json::serialize(boost::json::string(kv.key())) << ": ";
      pretty(os, kv.value(), indent + 2);
    }
    os << "\n" << pad << "}";
  } else if (const auto* a = v.if_array()) {
    if (a->empty()) { os << "[]"; return; }
    os << "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) os << ",\n";
      os << pad << "  ";
      pretty(os, (*a)[i], indent + 2);
    }
    os << "\n" << pad << "]";
  } else {
    os << boost::json::serialize(v);
  }
}
}  // namespace

void CliContext::print_json(const boost::json::value& v) {
  pretty(std::cout, v, 0);
  std::cout << "\n";
}

std::string fmt(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

}  // namespace aiconf::cli
