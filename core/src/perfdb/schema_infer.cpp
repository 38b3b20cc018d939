#include "schema_infer.h"

namespace aiconf::perfdb {

namespace {
bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }
bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }
bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}
}  // namespace

bool is_attention_like(const std::string& t) {
  return contains(t, "attention") || contains(t, "attn") || contains(t, "mla") || contains(t, "dsa");
}

bool is_sequence_like(const std::string& c) {
  return c == "isl" || c == "osl" || c == "step" || c == "kv_len" || starts_with(c, "seq") ||
         starts_with(c, "past") || starts_with(c, "context") || ends_with(c, "_len");
}

bool is_structural(const std::string& c) {
  // Each value picks another kernel instance (tile shapes, masking): there is nothing to
  // interpolate between head dims 64 and 192, or between no window and a 128-token window.
  return ends_with(c, "_dim") || c == "window_size" || c == "beam_width";
}

bool is_measurement_column(const std::string& c) {
  // What aiconf-collect writes after `latency` about the measurement itself (not about the shape).
  return c == "timing" || c == "samples" || c == "spread" || c == "throttled";
}

TableSchema infer_schema(const TableData& table) {
  TableSchema s;
  s.table = table.name;
  const bool attn = is_attention_like(table.name);
  const bool context = table.name.find("context") != std::string::npos;
  const bool generation = table.name.find("generation") != std::string::npos;
  for (const auto& col : table.columns) {
    const std::size_t distinct = col.text.size();
    Column c;
    c.name = col.name;
    if (is_measurement_column(col.name)) continue;  // never a key
    if (is_fixed_column(col.name)) {
      if (distinct <= 1) continue;
      c.kind = ColumnKind::categorical;
    } else if (!col.all_numeric || distinct < 3 || is_structural(col.name)) {
      c.kind = ColumnKind::categorical;
    } else {
      c.kind = ColumnKind::numeric;
      bool positive = true;
      for (double x : col.number) positive = positive && x > 0;
      if (attn && context && is_sequence_like(col.name)) c.transform = AxisTransform::sqrt;
      else if (attn && generation && is_sequence_like(col.name)) c.transform = AxisTransform::affine;
      else if (positive) c.transform = AxisTransform::log;
      else c.transform = AxisTransform::linear;
    }
    s.keys.push_back(c);
  }
  return s;
}

}  // namespace aiconf::perfdb
