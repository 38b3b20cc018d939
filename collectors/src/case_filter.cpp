#include "case_filter.h"

#include <charconv>
#include <optional>

namespace aiconf::collect {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (;;) {
    std::size_t e = s.find(sep, b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) return out;
    b = e + 1;
  }
}

std::optional<double> number_of(const std::string& s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Status CaseFilter::parse(const std::string& text, CaseFilter* out) {
  out->terms_.clear();
  if (text.empty()) return Status::ok();
  for (const auto& term : split(text, ',')) {
    auto eq = term.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == term.size())
      return Status::error("--filter: term '" + term + "' is not key=value (expected k=v[|v2][,k2=v3...])");
    FilterTerm t{term.substr(0, eq), split(term.substr(eq + 1), '|')};
    for (const auto& v : t.values)
      if (v.empty()) return Status::error("--filter: term '" + term + "' has an empty value");
    out->terms_.push_back(std::move(t));
  }
  return Status::ok();
}

bool CaseFilter::matches(const Params& p) const {
  for (const auto& t : terms_) {
    const Value* v = p.find(t.key);
    if (!v) return false;
    const std::string text = to_string(*v);
    const auto num = as_number(*v);
    bool any = false;
    for (const auto& want : t.values) {
      if (want == text) any = true;
      else if (auto w = number_of(want); w && num && !std::holds_alternative<std::string>(*v) && *w == *num) any = true;
      if (any) break;
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace aiconf::collect
