#include <aiconf/status.h>
#include <aiconf/value.h>

#include <cmath>
#include <cstdio>

namespace aiconf {

std::string to_string(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", *d);
    return buf;
  }
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return std::get<std::string>(v);
}

std::optional<double> as_number(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

Params& Params::set(std::string key, Value v) {
  for (auto& [k, old] : items_) {
    if (k == key) {
      old = std::move(v);
      return *this;
    }
  }
  items_.emplace_back(std::move(key), std::move(v));
  return *this;
}

const Value* Params::find(std::string_view key) const noexcept {
  for (const auto& [k, v] : items_)
    if (k == key) return &v;
  return nullptr;
}

double Params::number(std::string_view key) const {
  const Value* v = find(key);
  if (!v) throw Error("missing key '" + std::string(key) + "' (have: " + str() + ")");
  auto n = as_number(*v);
  if (!n) throw Error("key '" + std::string(key) + "' must be a number, got '" + to_string(*v) + "'");
  return *n;
}

std::int64_t Params::integer(std::string_view key) const {
  double d = number(key);
  if (std::floor(d) != d || std::fabs(d) > 9.0e15)
    throw Error("key '" + std::string(key) + "' must be an integer, got " + to_string(*find(key)));
  return static_cast<std::int64_t>(d);
}

const std::string& Params::text(std::string_view key) const {
  const Value* v = find(key);
  if (!v) throw Error("missing key '" + std::string(key) + "' (have: " + str() + ")");
  const auto* s = std::get_if<std::string>(v);
  if (!s) throw Error("key '" + std::string(key) + "' must be a string, got " + to_string(*v));
  return *s;
}

double Params::number_or(std::string_view key, double fallback) const { return has(key) ? number(key) : fallback; }
std::int64_t Params::integer_or(std::string_view key, std::int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}
std::string Params::text_or(std::string_view key, std::string fallback) const {
  return has(key) ? text(key) : fallback;
}

std::string Params::str() const {
  std::string out;
  for (const auto& [k, v] : items_) {
    if (!out.empty()) out += ' ';
    out += k + "=" + to_string(v);
  }
  return out;
}

}  // namespace aiconf
