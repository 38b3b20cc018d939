// `aiconf check`: phase 2 (every operation answers a query) and phase 3 (the mock layers run
// standalone: set up and checked against their CPU reference through the plugin; the CLI links no
// CUDA, so a missing GPU shows up as the plugin's setup error and the item is skipped).
#include "check_items.h"
#include "perfdb_paths.h"

#include <aiconf/perf_database.h>
#include <aiconf/query_engine.h>

#include <algorithm>
#include <cstdio>

namespace aiconf::cli {

namespace {
bool in(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g ms", v);
  return buf;
}
}  // namespace

bool is_no_gpu_error(const std::string& m) {
  for (const char* marker : {"cudaErrorNoDevice", "cudaErrorInsufficientDriver", "cudaErrorInitializationError",
                             "cudaErrorSystemDriverMismatch", "cudaErrorDevicesUnavailable", "cudaErrorCompatNotSupportedOnDevice",
                             "no CUDA-capable device", "CUDA driver version is insufficient"})
    if (m.find(marker) != std::string::npos) return true;
  return false;
}

void check_queries(const Registry& reg, const CheckTarget& t, const ModelConfig* cfg, std::vector<CheckItem>* out) {
  CheckItem item{2, "queries return results", CheckState::fail, "", {}};
  SystemSpec spec;
  if (Status s = load_system_for(t.perfdb_root, t.system, &spec); !s) {
    item.evidence = s.message();
    out->push_back(item);
    return;
  }
  std::shared_ptr<PerfDatabase> db;
  std::string db_note = "perf database " + t.perfdb_root + "/" + t.system;
  if (t.perfdb_root.empty() || !open_perf_database(t.perfdb_root, t.system, &db)) {
    db.reset();
    db_note = "no perf database for " + t.system + " (answers come from speed-of-light/empirical)";
  }
  QueryEngine engine(reg, db, spec, QueryMode::hybrid);
  int answered = 0, failed = 0, skipped = 0;
  for (const auto& [name, op] : reg.operations) {
    if (!in(t.plugins, op.plugin)) continue;
    std::string why;
    auto cases = quick_cases_for(reg, name, "", cfg, &why);
    if (cases.empty()) {
      ++skipped;
      item.details.push_back(name + ": not queried: " + why);
      continue;
    }
    const Params& key = cases[cases.size() / 2];
    Latency lat;
    Status s = engine.query(name, key, &lat);
    if (s && lat.ms > 0) {
      ++answered;
      item.details.push_back(name + " " + key.str() + ": " + ms(lat.ms) + " (" + to_string(lat.provenance) +
                             (lat.table.empty() ? "" : ", table " + lat.table) +
                             (lat.parts.empty() ? "" : ", " + std::to_string(lat.parts.size()) + " parts") + ")");
    } else {
      ++failed;
      item.details.push_back(name + " " + key.str() + ": " + (s ? "non-positive latency" : s.message()));
    }
  }
  item.state = failed > 0 || answered == 0 ? (answered == 0 && failed == 0 ? CheckState::skip : CheckState::fail) : CheckState::pass;
  item.evidence = std::to_string(answered) + " operations answered, " + std::to_string(failed) + " failed, " + std::to_string(skipped) +
                  " without a key (hybrid mode on " + t.system + "; " + db_note + ")";
  out->push_back(item);
}

void check_mock_layers(const Registry& reg, const CheckTarget& t, const ModelConfig* cfg, std::vector<CheckItem>* out) {
  CheckItem item{3, "mock layer runs standalone", CheckState::skip, "", {}};
  int passed = 0, failed = 0, total = 0;
  std::string no_gpu;
  for (const auto& [name, f] : reg.mock_layers) {
    if (!in(t.plugins, f.plugin)) continue;
    ++total;
    if (!no_gpu.empty()) continue;  // one "no GPU" answer is enough
    std::string why;
    auto cases = quick_cases_for(reg, f.object->op_name(), name, cfg, &why);
    if (cases.empty()) {
      ++failed;
      item.details.push_back(name + ": no shape to run: " + why);
      continue;
    }
    const Params& shape = cases.front();
    MockLayer* layer = nullptr;
    if (Status s = f.object->create(&layer); !s) {
      ++failed;
      item.details.push_back(name + ": create: " + s.message());
      continue;
    }
    Status s = layer->setup(shape, nullptr);
    CheckReport rep;
    if (s) s = layer->check(nullptr, &rep);
    layer->teardown();
    layer->release();
    if (!s && is_no_gpu_error(s.message())) {
      no_gpu = s.message();
      continue;
    }
    if (!s || !rep.passed) {
      ++failed;
      item.details.push_back(name + " " + shape.str() + ": " + (s ? rep.details : s.message()));
    } else {
      ++passed;
      item.details.push_back(name + " " + shape.str() + ": " + rep.details);
    }
  }
  if (total == 0) {
    item.evidence = "skipped (no mock layer registered by " + t.name + " in this build)";
  } else if (!no_gpu.empty() && failed == 0 && passed == 0) {
    item.evidence = "skipped (no GPU: " + no_gpu + ")";
  } else {
    item.state = failed > 0 ? CheckState::fail : CheckState::pass;
    item.evidence = std::to_string(passed) + " of " + std::to_string(total) + " mock layers match their CPU reference on a quick case";
  }
  out->push_back(item);
}

}  // namespace aiconf::cli
