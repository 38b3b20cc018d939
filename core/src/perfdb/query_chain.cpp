#include "query_chain.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

namespace aiconf::perfdb {

namespace {

std::string fmt_num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

Value axis_value(double x) {
  if (std::floor(x) == x && std::fabs(x) < 9e15) return static_cast<std::int64_t>(x);
  return x;
}

class OpSol final : public SolFunction {
public:
  // Borrows the key (a query: lives for the lookup) ...
  OpSol(const Operation& op, const SystemSpec& sys, const Params* base, const std::vector<GridIndex::Axis>& axes)
      : op_(op), sys_(sys), base_(base), axes_(axes) {}
  // ... or owns it (validation: one per categorical group).
  OpSol(const Operation& op, const SystemSpec& sys, Params own, const std::vector<GridIndex::Axis>& axes)
      : op_(op), sys_(sys), own_(std::move(own)), base_(&own_), axes_(axes) {}
  OpSol(const OpSol&) = delete;
  OpSol& operator=(const OpSol&) = delete;
  // Only called when a query leaves the measured range: the copy of the key is off the hot path.
  double sol_ms(const double* raw) const override {
    Params p = *base_;
    for (std::size_t i = 0; i < axes_.size(); ++i) p.set(axes_[i].name, axis_value(raw[i]));
    SolCost cost;
    if (!op_.speed_of_light(p, &cost)) return std::nan("");
    return sol_seconds(cost, sys_) * 1e3;
  }

private:
  const Operation& op_;
  const SystemSpec& sys_;
  Params own_;
  const Params* base_;
  const std::vector<GridIndex::Axis>& axes_;
};

// "path:line" into `s`, reusing its buffer (no allocation when a reused Latency already holds one).
void render_row(const TableData& t, std::uint32_t row, std::string& s) {
  char buf[16];
  auto end = std::to_chars(buf, buf + sizeof buf, t.line[row]).ptr;
  s.reserve(t.path.size() + 1 + static_cast<std::size_t>(end - buf));
  s.assign(t.path);
  s.push_back(':');
  s.append(buf, end);
}

void append_count(std::string& s, std::size_t n, const char* text) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  s.append("; ");
  s.append(buf, end);
  s.append(text);
}

constexpr const char* kInterpolatedNote =
    "interpolated between measured points (monotone cubic in transformed axes, log latency)";

std::string values_of(const TableColumn& col) {
  std::string s;
  for (std::size_t i = 0; i < col.text.size() && i < 12; ++i) s += (i ? ", " : "") + col.text[i];
  if (col.text.size() > 12) s += ", ...";
  return s;
}

const char* transform_word(AxisTransform t) {
  return t == AxisTransform::log ? "log" : t == AxisTransform::sqrt ? "sqrt" : t == AxisTransform::affine ? "affine" : "linear";
}

}  // namespace

std::unique_ptr<SolFunction> make_op_sol(const Operation& op, const SystemSpec& sys, const Params& base,
                                         const std::vector<GridIndex::Axis>& axes) {
  return std::make_unique<OpSol>(op, sys, Params(base), axes);
}

DataOutcome data_lookup(const GridIndex& index, const Params& key, const Operation* op, const SystemSpec* sys,
                        std::size_t max_rows, Latency* out, std::string* reason) {
  const TableData& t = index.table();
  const auto& cats = index.categories();
  std::uint32_t codes[64];
  if (cats.size() > 64) {
    *reason = t.path + ": more than 64 categorical columns";
    return DataOutcome::bad_key;
  }
  for (std::size_t i = 0; i < cats.size(); ++i) {
    const TableColumn& col = t.columns[static_cast<std::size_t>(cats[i].column)];
    const Value* v = key.find(cats[i].name);
    int code = -1;
    if (!v) {
      if (col.text.size() == 1) {
        code = 0;  // the table holds one value: the key may omit it
      } else {
        *reason = "key '" + cats[i].name + "' is required by table " + t.name + " (measured values: " + values_of(col) + ")";
        return DataOutcome::bad_key;
      }
    } else if (const auto* s = std::get_if<std::string>(v)) {
      code = col.find(*s);
    } else if (auto n = as_number(*v); n && col.all_numeric) {
      code = col.find_number(*n);
    } else {
      code = col.find(to_string(*v));
    }
    if (code < 0) {
      *reason = "no measured rows with " + cats[i].name + "=" + to_string(*v) + " in " + t.path +
                " (measured values: " + values_of(col) + ")";
      return DataOutcome::no_data;
    }
    codes[i] = static_cast<std::uint32_t>(code);
  }
  int group = index.find_group(codes);
  if (group < 0) {
    std::string combo;
    for (std::size_t i = 0; i < cats.size(); ++i)
      combo += (i ? " " : "") + cats[i].name + "=" + t.columns[static_cast<std::size_t>(cats[i].column)].text[codes[i]];
    *reason = "no measured rows for the combination " + combo + " in " + t.path;
    return DataOutcome::no_data;
  }

  const auto& axes = index.axes();
  double raw[32];
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const Value* v = key.find(axes[i].name);
    if (!v) {
      if (std::isnan(axes[i].default_value)) {
        *reason = "key '" + axes[i].name + "' is required (a numeric axis of table " + t.name + ")";
        return DataOutcome::bad_key;
      }
      raw[i] = axes[i].default_value;
    } else {
      auto n = as_number(*v);
      if (!n || !std::isfinite(*n)) {
        *reason = "key '" + axes[i].name + "' = '" + to_string(*v) + "': expected a number (a numeric axis of table " +
                  t.name + ")";
        return DataOutcome::bad_key;
      }
      raw[i] = *n;
    }
    // Domain of the transform, checked without computing it (evaluate() transforms once).
    const bool in_domain = axes[i].transform == AxisTransform::log    ? raw[i] > 0
                           : axes[i].transform == AxisTransform::sqrt ? raw[i] >= 0
                                                                      : true;
    if (!in_domain) {
      *reason = "key '" + axes[i].name + "' = " + fmt_num(raw[i]) + ": table " + t.name + " interpolates " +
                transform_word(axes[i].transform) + "(" + axes[i].name + "), expected a value " +
                (axes[i].transform == AxisTransform::log ? "> 0" : ">= 0");
      return DataOutcome::bad_key;
    }
  }

  // Held-utilization extrapolation: a stack object borrowing the key (nothing copied unless a
  // query leaves the measured range).
  std::optional<OpSol> sol;
  if (op && sys) sol.emplace(*op, *sys, &key, axes);
  EvalResult r;
  index.evaluate(group, raw, sol ? &*sol : nullptr, -1, &r);
  if (!r.found) {
    *reason = "no measured point could answer in " + t.path;
    return DataOutcome::no_data;
  }
  out->ms = r.ms;
  out->table = t.name;
  out->parts.clear();
  // Rows: the bracketing points first, then the outer neighbours that only shaped slopes, up to
  // max_rows; the rest are counted in the note. max_rows = 0 renders no strings at all (the
  // estimator's fast path); the strings of a reused Latency are overwritten in place.
  std::size_t total = static_cast<std::size_t>(r.more_used);
  for (int i = 0; i < r.nused; ++i) total += index.point_rows(r.used[i]).second;
  const std::size_t listed = std::min(total, max_rows);
  const std::size_t unlisted = total - listed;
  out->rows.resize(listed);
  if (listed) {
    std::size_t k = 0;
    for (int pass = 0; pass < 2 && k < listed; ++pass)
      for (int i = 0; i < r.nused && k < listed; ++i) {
        if (r.used_outer[i] != (pass == 1)) continue;
        auto [rows, n] = index.point_rows(r.used[i]);
        for (std::size_t j = 0; j < n && k < listed; ++j) render_row(t, rows[j], out->rows[k++]);
      }
  }
  if (r.exact) {
    out->provenance = Provenance::exact;
    auto dups = index.point_rows(r.used[0]).second;
    out->note = dups > 1 ? "measured (median of " + std::to_string(dups) + " duplicate rows)" : "measured";
  } else if (r.extrapolated_axes) {
    out->provenance = Provenance::extrapolated;
    std::string axes_out;
    for (std::size_t i = 0; i < axes.size(); ++i)
      if (r.extrapolated_axes & (1u << i)) {
        auto [lo, hi] = index.group_range(group, i);
        axes_out += (axes_out.empty() ? "" : ", ") + axes[i].name + "=" + fmt_num(raw[i]) + " (measured " +
                    fmt_num(lo) + ".." + fmt_num(hi) + ")";
      }
    out->note = "outside the measured range: " + axes_out +
                (r.used_sol ? "; held the measured utilization of the nearest boundary point, scaled by the "
                              "speed-of-light time of the query"
                            : "; extrapolated linearly in log latency from the two outermost measured points "
                              "(always positive; no speed-of-light available)");
  } else {
    out->provenance = Provenance::interpolated;
    out->note.assign(kInterpolatedNote);
  }
  if (unlisted) append_count(out->note, unlisted, " more rows used, not listed");
  return DataOutcome::answered;
}

Status sol_answer(const Operation& op, const Params& key, const SystemSpec& sys, const std::string& why, Latency* out) {
  SolCost cost;
  Status s = op.speed_of_light(key, &cost);
  if (!s) return Status::error(std::string("speed-of-light of operation '") + op.name() + "': " + s.message());
  double sec = sol_seconds(cost, sys);
  if (!(sec > 0) || !std::isfinite(sec))
    return Status::error(std::string("speed-of-light of operation '") + op.name() + "' for " + key.str() +
                         " is not a positive time (flops=" + fmt_num(cost.flops) + " bytes=" + fmt_num(cost.bytes) +
                         ", system " + sys.name + ")");
  double compute = cost.flops > 0 ? cost.flops / sys.flops_per_second(cost.compute_dtype) : 0;
  double memory = cost.bytes > 0 ? cost.bytes / sys.bytes_per_second() : 0;
  *out = Latency{};
  out->ms = sec * 1e3;
  out->provenance = Provenance::speed_of_light;
  out->note = why + (why.empty() ? "" : "; ") + "speed-of-light on " + sys.name + ": " +
              (compute >= memory ? "compute-bound (" + fmt_num(cost.flops) + " FLOP " + cost.compute_dtype + ")"
                                 : "memory-bound (" + fmt_num(cost.bytes) + " B)") +
              (cost.comm_bytes > 0 || cost.comm_latency_s > 0 ? " + communication" : "") + " + " +
              std::to_string(cost.kernels) + " launch(es)";
  return Status::ok();
}

Status empirical_answer(const Operation& op, const Params& key, const SystemSpec& sys, const std::string& why,
                        Latency* out) {
  Status s = sol_answer(op, key, sys, "", out);
  if (!s) return s;
  const std::string name = op.name();
  double eff = 0;
  std::string from;
  if (auto it = sys.empirical_efficiency.find(name); it != sys.empirical_efficiency.end()) {
    eff = it->second;
    from = name;
  } else {
    std::size_t best = 0;
    for (const auto& [k, v] : sys.empirical_efficiency)
      if (k != "default" && k.size() > best && name.rfind(k, 0) == 0) {
        best = k.size();
        eff = v;
        from = k;
      }
    if (from.empty()) {
      if (auto d = sys.empirical_efficiency.find("default"); d != sys.empirical_efficiency.end()) {
        eff = d->second;
        from = "default";
      }
    }
  }
  std::string src = from.empty() ? "built-in 0.5 (the system spec has no empirical_efficiency entry)"
                                 : "'" + from + "' of " + sys.name;
  if (from.empty()) eff = 0.5;
  double sol_ms = out->ms;
  out->ms = sol_ms / eff;
  out->provenance = Provenance::empirical;
  out->note = why + (why.empty() ? "" : "; ") + "speed-of-light " + fmt_num(sol_ms) + " ms / empirical efficiency " +
              fmt_num(eff) + " (" + src + ")";
  return Status::ok();
}

}  // namespace aiconf::perfdb
