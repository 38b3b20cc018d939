// SystemSpec: reading perfdb/systems/<name>.json and the compute/memory ceilings.
#include <aiconf/system.h>

#include "perfdb/text_file.h"

#include <boost/json.hpp>

#include <cmath>
#include <set>

namespace aiconf {

namespace json = boost::json;

double SystemSpec::flops_per_second(const std::string& dtype) const {
  // Precision names as tables and configs spell them; unknown names use the bf16 ceiling.
  static const std::set<std::string, std::less<>> fp8{"fp8", "fp8_block", "fp8_e4m3", "float8_e4m3fn", "int8", "fp8_e5m2"};
  static const std::set<std::string, std::less<>> fp32{"fp32", "float32", "float", "tf32"};
  if (fp8.count(dtype)) return (measured_fp8_tflops > 0 ? measured_fp8_tflops : fp8_tflops) * 1e12;
  if (fp32.count(dtype)) return fp32_tflops * 1e12;
  return (measured_bf16_tflops > 0 ? measured_bf16_tflops : bf16_tflops) * 1e12;
}

double SystemSpec::bytes_per_second() const { return (measured_hbm_tbps > 0 ? measured_hbm_tbps : hbm_tbps) * 1e12; }

namespace {

struct Reader {
  const std::string& path;
  const json::object& obj;

  Status number(const char* key, double* out, bool required, double min = 0) const {
    const json::value* v = obj.if_contains(key);
    if (!v || v->is_null()) {
      if (required) return Status::error(path + ": field '" + key + "' is missing (expected a number)");
      return Status::ok();
    }
    if (!v->is_number()) return Status::error(path + ": field '" + key + "' must be a number");
    double x = v->to_number<double>();
    if (!std::isfinite(x) || x < min)
      return Status::error(path + ": field '" + key + "' = " + json::serialize(*v) + ", expected a finite number >= " +
                           std::to_string(min));
    *out = x;
    return Status::ok();
  }
  Status text(const char* key, std::string* out, bool required) const {
    const json::value* v = obj.if_contains(key);
    if (!v || v->is_null()) {
      if (required) return Status::error(path + ": field '" + key + "' is missing (expected a string)");
      return Status::ok();
    }
    if (!v->is_string()) return Status::error(path + ": field '" + key + "' must be a string");
    *out = std::string(v->as_string());
    return Status::ok();
  }
};

}  // namespace

Status load_system_spec(const std::string& path, SystemSpec* out) {
  std::string text;
  Status s = perfdb::read_text_file(path, &text);
  if (!s) return s;
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return Status::error(path + ": not valid JSON (" + ec.message() + ")");
  if (!doc.is_object()) return Status::error(path + ": expected a JSON object at the top level");
  const json::object& o = doc.as_object();
  static const std::set<std::string, std::less<>> known{
      "name", "gpu_name", "sm_version", "bf16_tflops", "fp8_tflops", "fp32_tflops", "hbm_tbps", "hbm_capacity_gib",
      "measured_bf16_tflops", "measured_fp8_tflops", "measured_hbm_tbps", "gpus_per_node", "nvlink_gbps",
      "nvlink_latency_us", "pcie_gbps", "network_gbps", "network_latency_us", "kernel_launch_us", "row_overhead_us",
      "reserved_memory_gib", "empirical_efficiency", "sources", "notes"};
  for (const auto& kv : o)
    if (!known.count(kv.key()))
      return Status::error(path + ": unknown field '" + std::string(kv.key()) +
                           "' (expected one of the fields listed in perfdb/README.md)");
  SystemSpec sp;
  Reader r{path, o};
  double sm = 90, gpus = 8, cap_gib = 0, reserved_gib = 0;
  for (Status st : {r.text("name", &sp.name, true), r.text("gpu_name", &sp.gpu_name, false),
                    r.number("sm_version", &sm, false, 1), r.number("bf16_tflops", &sp.bf16_tflops, true, 1e-9),
                    r.number("fp8_tflops", &sp.fp8_tflops, true, 1e-9), r.number("fp32_tflops", &sp.fp32_tflops, false),
                    r.number("hbm_tbps", &sp.hbm_tbps, true, 1e-9), r.number("hbm_capacity_gib", &cap_gib, true, 1e-9),
                    r.number("measured_bf16_tflops", &sp.measured_bf16_tflops, false),
                    r.number("measured_fp8_tflops", &sp.measured_fp8_tflops, false),
                    r.number("measured_hbm_tbps", &sp.measured_hbm_tbps, false),
                    r.number("gpus_per_node", &gpus, false, 1), r.number("nvlink_gbps", &sp.nvlink_gbps, false),
                    r.number("nvlink_latency_us", &sp.nvlink_latency_us, false), r.number("pcie_gbps", &sp.pcie_gbps, false),
                    r.number("network_gbps", &sp.network_gbps, false),
                    r.number("network_latency_us", &sp.network_latency_us, false),
                    r.number("kernel_launch_us", &sp.kernel_launch_us, false),
                    r.number("row_overhead_us", &sp.row_overhead_us, false),
                    r.number("reserved_memory_gib", &reserved_gib, false)})
    if (!st) return st;
  sp.sm_version = static_cast<int>(sm);
  sp.gpus_per_node = static_cast<int>(gpus);
  sp.hbm_capacity_bytes = cap_gib * 1073741824.0;
  sp.reserved_memory_bytes = reserved_gib * 1073741824.0;
  if (const json::value* e = o.if_contains("empirical_efficiency")) {
    if (!e->is_object()) return Status::error(path + ": field 'empirical_efficiency' must be an object {op: efficiency}");
    for (const auto& kv : e->as_object()) {
      if (!kv.value().is_number())
        return Status::error(path + ": field 'empirical_efficiency." + std::string(kv.key()) + "' must be a number");
      double x = kv.value().to_number<double>();
      if (!(x > 0 && x <= 1))
        return Status::error(path + ": field 'empirical_efficiency." + std::string(kv.key()) + "' = " +
                             json::serialize(kv.value()) + ", expected a fraction in (0, 1]");
      sp.empirical_efficiency[std::string(kv.key())] = x;
    }
  }
  if (const json::value* src = o.if_contains("sources")) {
    if (!src->is_object()) return Status::error(path + ": field 'sources' must be an object {field: source}");
    for (const auto& kv : src->as_object()) {
      if (!kv.value().is_string()) return Status::error(path + ": field 'sources." + std::string(kv.key()) + "' must be a string");
      sp.sources[std::string(kv.key())] = std::string(kv.value().as_string());
    }
  }
  *out = std::move(sp);
  return Status::ok();
}

}  // namespace aiconf
