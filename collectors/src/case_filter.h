#pragma once
// `--filter k=v[|v2],k2=v3`: restricts a sweep to the cases whose values match. Values compare as
// numbers when both sides are numbers (so "1024" matches 1024 and 1024.0), as text otherwise.

#include <aiconf/status.h>
#include <aiconf/value.h>

#include <string>
#include <vector>

namespace aiconf::collect {

struct FilterTerm {
  std::string key;
  std::vector<std::string> values;  ///< any of them matches
};

class CaseFilter {
public:
  /// Parses the filter text; error names the malformed term and the expected form.
  static Status parse(const std::string& text, CaseFilter* out);
  bool empty() const { return terms_.empty(); }
  const std::vector<FilterTerm>& terms() const { return terms_; }
  /// True when every term's key is in the case with one of the term's values.
  bool matches(const Params& p) const;

private:
  std::vector<FilterTerm> terms_;
};

}  // namespace aiconf::collect
