#include "query_chain.h"

#include <cmath>
#include <cstdio>

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
  OpSol(const Operation& op, const SystemSpec& sys, Params base, const std::vector<GridIndex::Axis>& axes)
      : op_(op), sys_(sys), base_(std::move(base)), axes_(axes) {}
  double sol_ms(const double* raw) const override {
    Params p = base_;
    for (std::size_t i = 0; i < axes_.size(); ++i) p.set(axes_[i].name, axis_value(raw[i]));
    SolCost cost;
    if (!op_.speed_of_light(p, &cost)) return std::nan("");
    return sol_seconds(cost, sys_) * 1e3;
  }

private:
  const Operation& op_;
  const SystemSpec& sys_;
  Params base_;
  const std::vector<GridIndex::Axis>& axes_;
};

std::string values_of(const TableColumn& col) {
  std::string s;
  for (std::size_t i = 0; i < col.text.size() && i < 12; ++i) s += (i ? ", " : "") + col.text[i];
  if (col.text.size() > 12) s += ", ...";
  return s;
}

const char* transform_word(AxisTransform t) {
  return t == AxisTransform::log ? "log" : t == AxisTransform::sqrt ? "sqrt" : "linear";
}

}  // namespace

std::unique_ptr<SolFunction> make_op_sol(const Operation& op, const SystemSpec& sys, const Params& base,
                                         const std::vector<GridIndex::Axis>& axes) {
  return std::make_unique<OpSol>(op, sys, base, axes);
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
    if (std::isnan(GridIndex::transform(axes[i].transform, raw[i]))) {
      *reason = "key '" + axes[i].name + "' = " + fmt_num(raw[i]) + ": table " + t.name + " interpolates " +
                transform_word(axes[i].transform) + "(" + axes[i].name + "), expected a value " +
                (axes[i].transform == AxisTransform::log ? "> 0" : ">= 0");
      return DataOutcome::bad_key;
    }
  }

  std::unique_ptr<SolFunction> sol;
  if (op && sys) sol = make_op_sol(*op, *sys, key, axes);
  EvalResult r;
  index.evaluate(group, raw, sol.get(), -1, &r);
  if (!r.found) {
    *reason = "no measured point could answer in " + t.path;
    return DataOutcome::no_data;
  }
  out->ms = r.ms;
  out->table = t.name;
  out->rows.clear();
  out->parts.clear();
  // Rows: the bracketing points first, then the outer neighbours that only shaped slopes, up to
  // max_rows; the rest are counted in the note.
  std::size_t unlisted = static_cast<std::size_t>(r.more_used);
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < r.nused; ++i) {
      if (r.used_outer[i] != (pass == 1)) continue;
      auto [rows, n] = index.point_rows(r.used[i]);
      for (std::size_t k = 0; k < n; ++k) {
        if (out->rows.size() < max_rows) out->rows.push_back(t.where(rows[k]));
        else ++unlisted;
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
    out->note = "interpolated between measured points (monotone cubic in transformed axes, log latency)";
  }
  if (unlisted) out->note += "; " + std::to_string(unlisted) + " more rows used, not listed";
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
