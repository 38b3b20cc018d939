#include "layer_spec.h"

#include <charconv>
#include <cstdint>

namespace aiconf::profile {

Status parse_key_value(const std::string& kv, std::string* key, Value* value) {
  const auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return Status::error("shape word '" + kv + "': expected key=value (e.g. batch_size=8)");
  *key = kv.substr(0, eq);
  const std::string v = kv.substr(eq + 1);
  std::int64_t i = 0;
  if (auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), i); !v.empty() && ec == std::errc() && p == v.data() + v.size()) {
    *value = i;
    return Status::ok();
  }
  double d = 0;
  if (auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d); !v.empty() && ec == std::errc() && p == v.data() + v.size()) {
    *value = d;
    return Status::ok();
  }
  *value = v;
  return Status::ok();
}

Status parse_layer_specs(const std::vector<std::string>& words, std::vector<LayerSpec>* out) {
  out->clear();
  bool expect_name = true;
  for (const auto& w : words) {
    if (w == "+") {
      if (expect_name) return Status::error("layer list: '+' must follow a mock layer name and its shape");
      expect_name = true;
      continue;
    }
    if (expect_name) {
      if (w.find('=') != std::string::npos)
        return Status::error("layer list: expected a mock layer name before '" + w + "' (see aiconf-profile --list)");
      out->push_back({w, {}});
      expect_name = false;
      continue;
    }
    std::string k;
    Value v;
    if (Status s = parse_key_value(w, &k, &v); !s) return Status::error(out->back().name + ": " + s.message());
    out->back().shape.set(k, v);
  }
  if (out->empty()) return Status::error("no mock layer given: aiconf-profile <mock_layer> key=value ... (see --list)");
  if (expect_name) return Status::error("layer list ends with '+': a mock layer name must follow");
  return Status::ok();
}

}  // namespace aiconf::profile
