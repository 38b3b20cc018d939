#include "table_run.h"

#include "csv_line.h"

#include <aiconf/version.h>

#include <aiconf_collect/cpu_stream.h>

#include <cctype>
#include <cstdio>
#include <filesystem>

namespace aiconf::collect {
namespace fs = std::filesystem;

namespace {

std::string format_g(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// Layers made by a plugin are released by the plugin (never deleted here).
struct LayerHandle {
  MockLayer* layer = nullptr;
  ~LayerHandle() {
    if (layer) layer->release();
  }
};

Status create_layer(const TablePlan& plan, LayerHandle* h) {
  if (Status s = plan.factory->create(&h->layer); !s || !h->layer)
    return Status::error("mock layer " + plan.mock_layer + ": create failed: " + (s ? std::string("null layer") : s.message()));
  return Status::ok();
}

}  // namespace

Budget::Budget(const RunOptions& opt)
    : max_cases_(opt.max_cases), seconds_(opt.time_budget_s), start_(std::chrono::steady_clock::now()) {}

bool Budget::exhausted() const {
  if (max_cases_ && cases_ >= max_cases_) return true;
  if (seconds_ > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >= seconds_) return true;
  return false;
}

std::string Budget::reason() const {
  if (max_cases_ && cases_ >= max_cases_) return "--max-cases " + std::to_string(max_cases_) + " reached";
  return "--time-budget-s " + format_g(seconds_, 6) + " reached";
}

Status Backends::for_kernel_source(const char* kernel_source, TimingBackend** out) {
  if (is_cpu_kernel_source(kernel_source)) {
    if (!cpu_) cpu_ = make_cpu_backend();
    *out = cpu_.get();
    return Status::ok();
  }
  if (!cuda_ && cuda_error_.empty()) {
    Status s = make_cuda_backend(ordinal_, &cuda_);
    if (!s) cuda_error_ = s.message();
  }
  if (!cuda_) return Status::error(cuda_error_);
  *out = cuda_.get();
  return Status::ok();
}

std::string system_name_for_device(const std::string& device_name) {
  std::string n;
  for (char c : device_name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto has = [&](const char* s) { return n.find(s) != std::string::npos; };
  if (has("h200")) return has("nvl") ? "h200_nvl" : "h200_sxm";
  if (has("h100")) return has("pcie") ? "h100_pcie" : has("nvl") ? "h100_nvl" : "h100_sxm";
  if (has("b200")) return "b200_sxm";
  if (has("gb200")) return "gb200_sxm";
  if (has("a100")) return has("pcie") ? "a100_pcie" : "a100_sxm";
  if (n.rfind("nvidia ", 0) == 0) n = n.substr(7);
  std::string out;
  for (char c : n) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out.empty() ? "unknown" : out;
}

std::string table_directory(const std::string& out_root, const std::string& system) {
  return (fs::path(out_root) / system / "aiconf" / AICONF_VERSION_STRING).string();
}

const std::vector<std::string>& extra_columns() {
  static const std::vector<std::string> cols{"timing", "samples", "spread", "throttled"};
  return cols;
}

std::vector<std::string> identity_columns(const TablePlan& plan) {
  std::vector<std::string> c{"op_name"};
  for (const auto& k : plan.key_columns) c.push_back(k.name);
  return c;
}

std::vector<std::string> table_header(const TablePlan& plan) {
  std::vector<std::string> h{"framework", "version", "device", "op_name", "kernel_source"};
  for (const auto& c : plan.key_columns) h.push_back(c.name);
  h.push_back("latency");
  for (const auto& e : extra_columns()) h.push_back(e);
  return h;
}

TableRun::TableRun(const TablePlan& plan, const RunOptions& opt, Backends& backends, Progress& progress, Budget& budget)
    : plan_(plan), opt_(opt), backends_(backends), progress_(progress), budget_(budget) {
  record_.table = plan.table;
  record_.collector = plan.collector;
}

Status TableRun::prepare() {
  if (!plan_.factory)
    return Status::error("collector " + plan_.collector + " times mock layer '" + plan_.mock_layer +
                         "', which no loaded plugin registered (plugins register CUDA mock layers only in builds with CUDA)");
  // The backend follows the layer's kind; a fresh layer reports it before any setup.
  {
    LayerHandle h;
    if (Status s = create_layer(plan_, &h); !s) return s;
    if (Status s = backends_.for_kernel_source(h.layer->kernel_source(), &backend_); !s)
      return Status::error("table " + plan_.table + " (mock layer " + plan_.mock_layer + "): " + s.message());
  }
  const std::string system = opt_.system_name.empty() ? system_name_for_device(backend_->device().name) : opt_.system_name;
  directory_ = table_directory(opt_.out_root, system);
  table_path_ = (fs::path(directory_) / (plan_.table + ".txt")).string();
  write_path_ = opt_.shard.sharded() ? shard_path(table_path_, opt_.shard.index, opt_.shard.count) : table_path_;
  const auto header = table_header(plan_);
  const auto keys = identity_columns(plan_);

  // An unsharded run owns the table: fold in what earlier sharded runs left unmerged.
  if (!opt_.shard.sharded()) {
    std::size_t merged = 0;
    if (Status s = merge_shard_files(table_path_, header, keys, &merged); !s) return s;
    if (merged) progress_.note(table_path_ + ": merged " + std::to_string(merged) + " rows from shard files");
  }
  present_.clear();
  std::size_t own_rows = 0;
  for (const auto& p : std::vector<std::string>{table_path_, write_path_}) {
    std::size_t rows = 0;
    std::vector<std::string> h;
    if (Status s = read_table_header(p, &h); !s) return s;
    if (!h.empty() && h != header)
      return Status::error(p + ":1: header is '" + join_csv_line(h) + "', expected '" + join_csv_line(header) +
                           "' (a table of other columns: move it away or collect into another --out)");
    if (Status s = read_table_keys(p, keys, &present_, &rows); !s) return s;
    own_rows += rows;
    if (p == write_path_) break;  // unsharded: the same file
  }
  if (own_rows > 0 && !opt_.resume)
    return Status::error(table_path_ + " already holds " + std::to_string(own_rows) + " rows of table " + plan_.table +
                         ": pass --resume to measure only the missing cases, or move the file away to start again");
  // Other shards' rows count as present too (a resumed run with another shard count).
  for (const auto& sh : list_shard_files(table_path_))
    if (sh != write_path_)
      if (Status s = read_table_keys(sh, keys, &present_); !s) return s;
  return Status::ok();
}

Status TableRun::open() {
  std::size_t cut = 0;
  if (Status s = TableAppender::open(write_path_, table_header(plan_), &appender_, &cut); !s) return s;
  if (cut) progress_.note(write_path_ + ": cut a partial last line (" + std::to_string(cut) + " bytes) left by an interrupted run");
  return Status::ok();
}

std::vector<std::size_t> TableRun::shard_indices() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < plan_.cases.size(); ++i)
    if (opt_.shard.takes(i)) out.push_back(i);
  return out;
}

std::string TableRun::identity(std::size_t i) const {
  std::vector<std::string> v{plan_.op_name};
  v.insert(v.end(), plan_.keys[i].begin(), plan_.keys[i].end());
  return join_key(v);
}

bool TableRun::present(std::size_t i) const { return present_.count(identity(i)) != 0; }

std::size_t TableRun::rows_on_disk() const {
  std::set<std::string> keys;
  std::size_t total = 0, rows = 0;
  const auto ids = identity_columns(plan_);
  read_table_keys(table_path_, ids, &keys, &rows);
  total += rows;
  for (const auto& sh : list_shard_files(table_path_)) {
    read_table_keys(sh, ids, &keys, &rows);
    total += rows;
  }
  return total;
}

TableRun::Outcome TableRun::measure(const std::vector<std::size_t>& indices) {
  std::vector<std::size_t> todo;
  for (auto i : indices)
    if (!present(i)) todo.push_back(i);
    else ++record_.already_present;
  progress_.begin_table(plan_.table, todo.size(), record_.already_present);
  Outcome outcome = Outcome::done;
  for (auto i : todo) {
    if (budget_.exhausted()) {
      outcome = Outcome::budget;
      break;
    }
    budget_.spend_case();
    const std::string label = plan_.label(i);
    const auto t0 = std::chrono::steady_clock::now();
    Measurement m;
    CaseFailure fail;
    bool ok = false;
    LayerHandle h;
    if (Status s = create_layer(plan_, &h); !s) fail.reason = s.message();
    else ok = backend_->measure(*h.layer, plan_.cases[i], label, opt_.timing, &m, &fail);
    record_.gpu_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ok && !(m.latency_ms > 0)) {
      ok = false;
      fail.reason = "measured latency " + format_g(m.latency_ms, 6) + " ms (expected > 0)";
    }
    if (!ok) {
      ++record_.skipped;
      ++record_.skip_reasons[fail.reason];
      progress_.note("skip " + label + ": " + fail.reason);
      progress_.case_done(false);
      if (fail.device_lost) {
        failure_ = "device lost at " + label + ": " + fail.reason;
        outcome = Outcome::device_lost;
        break;
      }
      continue;
    }
    std::vector<std::string> row{"aiconf", AICONF_VERSION_STRING, backend_->device().name, plan_.op_name, m.kernel_source};
    row.insert(row.end(), plan_.keys[i].begin(), plan_.keys[i].end());
    row.push_back(format_g(m.latency_ms, 6));
    row.push_back(m.timing);
    row.push_back(std::to_string(m.samples));
    row.push_back(format_g(m.spread, 3));
    row.push_back(m.throttled ? "1" : "0");
    if (Status s = appender_->append(row); !s) {
      failure_ = s.message();
      outcome = Outcome::write_failed;
      break;
    }
    present_.insert(identity(i));
    ++record_.measured;
    if (m.throttled) ++record_.throttled;
    progress_.case_done(true);
  }
  progress_.end_table();
  return outcome;
}

}  // namespace aiconf::collect
