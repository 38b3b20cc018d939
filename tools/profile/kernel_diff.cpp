// Tolerant matching of kernel names between two kernel tables.
#include "kernel_diff.h"

#include <algorithm>
#include <fstream>
#include <map>

namespace aiconf::profile {

Status parse_name_rule(const std::string& text, NameRule* out) {
  const auto eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return Status::error("name rule '" + text + "': expected REGEX=KEY (e.g. 'nvjet.*|sm90_xmma_gemm.*=gemm')");
  NameRule r;
  r.pattern = text.substr(0, eq);
  r.key = text.substr(eq + 1);
  if (r.key.empty()) r.key = r.pattern;
  try {
    r.regex = std::regex(r.pattern, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return Status::error("name rule '" + text + "': the regex does not compile: " + e.what());
  }
  *out = std::move(r);
  return Status::ok();
}

Status read_name_rules(const std::string& path, std::vector<NameRule>* out) {
  std::ifstream f(path);
  if (!f) return Status::error(path + ": cannot open name-rule file");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    NameRule r;
    if (Status s = parse_name_rule(line.substr(b), &r); !s) return Status::error(path + ":" + std::to_string(n) + ": " + s.message());
    out->push_back(std::move(r));
  }
  return Status::ok();
}

const char* to_string(MatchLevel l) {
  switch (l) {
    case MatchLevel::map: return "map";
    case MatchLevel::exact: return "exact";
    case MatchLevel::no_params: return "no-params";
    case MatchLevel::no_templates: return "no-templates";
    case MatchLevel::basename: return "basename";
  }
  return "?";
}

namespace {

// Drops the trailing parameter list "(...)" (balanced, at the end) and a leading "void ".
std::string strip_params(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (!s.empty() && s.back() == ')') {
    int depth = 0;
    for (std::size_t i = s.size(); i-- > 0;) {
      if (s[i] == ')') ++depth;
      else if (s[i] == '(' && --depth == 0) {
        // "(anonymous namespace)" is part of a name, not a parameter list.
        if (s.compare(i, 21, "(anonymous namespace)") != 0) s.erase(i);
        break;
      }
    }
  }
  if (s.rfind("void ", 0) == 0) s.erase(0, 5);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string strip_templates(const std::string& s) {
  std::string o;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    // "operator<" and friends are rare in kernel names; template brackets are what we drop.
    if (c == '<') ++depth;
    else if (c == '>' && depth > 0) --depth;
    else if (depth == 0) o += c;
  }
  const std::string anon = "(anonymous namespace)::";
  for (std::size_t p; (p = o.find(anon)) != std::string::npos;) o.erase(p, anon.size());
  while (!o.empty() && o.back() == ' ') o.pop_back();
  return o;
}

}  // namespace

std::string name_key(const std::string& name, MatchLevel level) {
  switch (level) {
    case MatchLevel::map:
    case MatchLevel::exact: return name;
    case MatchLevel::no_params: return strip_params(name);
    case MatchLevel::no_templates: return strip_templates(strip_params(name));
    case MatchLevel::basename: {
      std::string s = strip_templates(strip_params(name));
      const auto p = s.rfind("::");
      if (p != std::string::npos) s = s.substr(p + 2);
      const auto sp = s.rfind(' ');  // a return type left by an unusual demangling
      return sp == std::string::npos ? s : s.substr(sp + 1);
    }
  }
  return name;
}

namespace {

std::string rule_key(const std::string& name, const std::vector<NameRule>& rules) {
  for (const auto& r : rules)
    if (std::regex_search(name, r.regex)) return r.key;
  return {};
}

struct Side {
  const KernelTable* table;
  std::vector<bool> used;
  double per_iter;
};

}  // namespace

KernelDiff diff_tables(const KernelTable& a, const KernelTable& b, const std::vector<NameRule>& rules) {
  KernelDiff d;
  Side sa{&a, std::vector<bool>(a.rows.size()), 1.0 / double(std::max<std::int64_t>(a.iterations, 1))};
  Side sb{&b, std::vector<bool>(b.rows.size()), 1.0 / double(std::max<std::int64_t>(b.iterations, 1))};
  for (auto level : {MatchLevel::map, MatchLevel::exact, MatchLevel::no_params, MatchLevel::no_templates, MatchLevel::basename}) {
    if (level == MatchLevel::map && rules.empty()) continue;
    auto keys = [&](Side& s) {
      std::map<std::string, std::vector<std::size_t>> m;
      for (std::size_t i = 0; i < s.table->rows.size(); ++i) {
        if (s.used[i]) continue;
        std::string k = level == MatchLevel::map ? rule_key(s.table->rows[i].name, rules) : name_key(s.table->rows[i].name, level);
        if (!k.empty()) m[k].push_back(i);
      }
      return m;
    };
    auto ka = keys(sa), kb = keys(sb);
    for (auto& [key, ia] : ka) {
      auto it = kb.find(key);
      if (it == kb.end()) continue;
      MatchedKernel mk;
      mk.key = key;
      mk.level = level;
      for (auto i : ia) {
        const auto& r = a.rows[i];
        mk.a_names.push_back(r.name);
        mk.a_calls += r.calls;
        mk.a_us += r.total_us * sa.per_iter;
        sa.used[i] = true;
      }
      for (auto i : it->second) {
        const auto& r = b.rows[i];
        mk.b_names.push_back(r.name);
        mk.b_calls += r.calls;
        mk.b_us += r.total_us * sb.per_iter;
        sb.used[i] = true;
      }
      d.a_matched_us += mk.a_us;
      d.b_matched_us += mk.b_us;
      d.matched.push_back(std::move(mk));
    }
  }
  auto per_iter = [](KernelRow r, double f) {
    r.total_us *= f;
    return r;
  };
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    d.a_total_us += a.rows[i].total_us * sa.per_iter;
    if (!sa.used[i]) d.missing.push_back(per_iter(a.rows[i], sa.per_iter));
  }
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    d.b_total_us += b.rows[i].total_us * sb.per_iter;
    if (!sb.used[i]) d.extra.push_back(per_iter(b.rows[i], sb.per_iter));
  }
  std::stable_sort(d.matched.begin(), d.matched.end(), [](const auto& x, const auto& y) { return x.a_us > y.a_us; });
  return d;
}

}  // namespace aiconf::profile
