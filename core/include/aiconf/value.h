#pragma once
/// \file value.h
/// Value and Params: the typed key/value pairs that describe a query, a table row or a config
/// extension. Params keeps insertion order so that printed output is stable.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace aiconf {

/// One typed value: an integer, a real number, a string or a boolean.
using Value = std::variant<std::int64_t, double, std::string, bool>;

/// Renders a value for messages and tables (integers without a decimal point).
std::string to_string(const Value& v);
/// The value as a number, if it is an integer, a real or a boolean.
std::optional<double> as_number(const Value& v);

/// An ordered list of named values. Lookups are linear: these lists are short (< 32 entries).
class Params {
public:
  Params() = default;
  Params(std::initializer_list<std::pair<std::string, Value>> init) : items_(init) {}

  /// Sets (or replaces) a value, keeping the original position of an existing key.
  Params& set(std::string key, Value v);
  bool has(std::string_view key) const noexcept { return find(key) != nullptr; }
  const Value* find(std::string_view key) const noexcept;
  /// Numeric value of a key; throws aiconf::Error naming the key when it is absent or not numeric.
  double number(std::string_view key) const;
  /// Integer value of a key (a real with no fraction is accepted); throws aiconf::Error otherwise.
  std::int64_t integer(std::string_view key) const;
  /// String value of a key; throws aiconf::Error naming the key when absent or not a string.
  const std::string& text(std::string_view key) const;
  /// Like number() but with a default when the key is absent.
  double number_or(std::string_view key, double fallback) const;
  std::int64_t integer_or(std::string_view key, std::int64_t fallback) const;
  std::string text_or(std::string_view key, std::string fallback) const;

  const std::vector<std::pair<std::string, Value>>& items() const noexcept { return items_; }
  bool empty() const noexcept { return items_.empty(); }
  /// "k1=v1 k2=v2" for messages.
  std::string str() const;

private:
  std::vector<std::pair<std::string, Value>> items_;
};

}  // namespace aiconf
