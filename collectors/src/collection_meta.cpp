#include "collection_meta.h"

#include <aiconf/version.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace aiconf::collect {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

/// `text` as one single-quoted shell word (a quote inside becomes '\'').
std::string shell_quote(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// First line of a shell command's output, read to the end so the command never dies of a closed
/// pipe; false unless it exited 0.
bool first_line_of(const std::string& cmd, std::string* out) {
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return false;
  char buf[256] = {};
  out->clear();
  if (std::fgets(buf, sizeof buf, f)) *out = buf;
  while (std::fgets(buf, sizeof buf, f)) {
  }
  const int rc = ::pclose(f);
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
  return rc == 0;
}

// HEAD, with "-dirty" when tracked files differ from it: a tree copied onto a GPU machine next to
// an older .git would otherwise be recorded as that older commit. (Files git does not track are
// not counted: a build folder or results must not make every run dirty.)
std::string run_git(const std::string& dir) {
  const std::string git = "git -C " + shell_quote(dir);
  std::string head;
  if (!first_line_of(git + " rev-parse HEAD 2>/dev/null", &head) || head.size() < 40) return {};
  // diff-index exits 1 when the working tree differs from HEAD, 0 when not (after refreshing stat info).
  std::string ignored;
  first_line_of(git + " update-index -q --refresh >/dev/null 2>&1", &ignored);
  if (!first_line_of(git + " diff-index --quiet HEAD -- >/dev/null 2>&1", &ignored)) head += "-dirty";
  return head;
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

json::object device_json(const DeviceInfo& d) {
  return json::object{{"name", d.name},
                      {"pci_bus_id", d.pci_bus_id},
                      {"driver_version", d.driver_version},
                      {"cuda_runtime_version", d.cuda_runtime_version},
                      {"cuda_driver_version", d.cuda_driver_version},
                      {"sm_clock_max_mhz", std::llround(d.sm_clock_max_mhz)},
                      {"memory_clock_mhz", std::llround(d.memory_clock_mhz)},
                      {"l2_bytes", d.l2_bytes},
                      {"memory_bytes", d.memory_bytes},
                      {"sm_count", d.sm_count},
                      {"clock_source", d.clock_source}};
}

double number_at(const json::object& o, const char* key) {
  if (auto* v = o.if_contains(key)) {
    if (v->is_double()) return v->as_double();
    if (v->is_int64()) return static_cast<double>(v->as_int64());
    if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  }
  return 0;
}

// Indented JSON: the file is committed next to the tables and read in reviews.
void pretty(std::ostream& os, const json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (const auto* o = v.if_object(); o && !o->empty()) {
    os << "{\n";
    std::size_t i = 0;
    for (const auto& kv : *o) {
      os << pad << "  " << json::serialize(json::string(kv.key())) << ": ";
      pretty(os, kv.value(), indent + 2);
      os << (++i < o->size() ? ",\n" : "\n");
    }
    os << pad << "}";
  } else if (const auto* a = v.if_array(); a && !a->empty()) {
    os << "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      os << pad << "  ";
      pretty(os, (*a)[i], indent + 2);
      os << (i + 1 < a->size() ? ",\n" : "\n");
    }
    os << pad << "]";
  } else {
    os << json::serialize(v);
  }
}

}  // namespace

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string git_commit() {
  // Set by whoever knows better than the checkout (a device call that copies the working tree).
  if (const char* env = std::getenv("AICONF_GIT_COMMIT"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  std::string c = run_git(fs::current_path(ec).string());
#ifdef AICONF_SOURCE_DIR
  if (c.empty()) c = run_git(AICONF_SOURCE_DIR);
#endif
  return c;
}

Status update_collection_meta(const std::string& dir, const RunRecord& run) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string path = (fs::path(dir) / "collection_meta.json").string();
  // The lock is an flock on the directory itself: nothing is left behind beside the tables.
  int lock = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock < 0) return Status::error(dir + ": cannot open the folder to lock it: " + std::strerror(errno));
  ::flock(lock, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      ::flock(fd, LOCK_UN);
      ::close(fd);
    }
  } unlock{lock};

  json::object root;
  if (std::ifstream in(path); in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code jec;
    json::value v = json::parse(text, jec);
    if (jec || !v.is_object())
      return Status::error(path + ": not a JSON object (" + (jec ? jec.message() : std::string("other type")) +
                           "); move it away to start a new one");
    root = v.as_object();
  }
  const std::string now = utc_now();
  const std::string commit = git_commit();
  root["framework"] = "aiconf";
  root["version"] = AICONF_VERSION_STRING;
  root["gpu"] = device_json(run.device);
  root["date"] = now;
  root["git_commit"] = commit;
  root["command_line"] = run.command_line;

  if (!root["tables"].is_object()) root["tables"] = json::object{};
  json::object& tables = root["tables"].as_object();
  json::object run_tables;
  for (const auto& t : run.tables) {
    if (!tables[t.table].is_object()) tables[t.table] = json::object{};
    json::object& acc = tables[t.table].as_object();
    const double secs = number_at(acc, "gpu_seconds") + t.gpu_seconds;
    acc["collector"] = t.collector;
    acc["gpu_seconds"] = secs;
    acc["gpu_minutes"] = secs / 60.0;
    acc["cases_measured"] = static_cast<std::uint64_t>(number_at(acc, "cases_measured")) + t.measured;
    acc["cases_skipped"] = static_cast<std::uint64_t>(number_at(acc, "cases_skipped")) + t.skipped;
    acc["rows"] = t.rows_in_table;
    acc["last_update"] = now;

    json::object reasons;
    for (const auto& [r, n] : t.skip_reasons) reasons[r] = n;
    run_tables[t.table] = json::object{{"collector", t.collector},
                                       {"mode", t.mode},
                                       {"cases_planned", t.cases_planned},
                                       {"already_present", t.already_present},
                                       {"measured", t.measured},
                                       {"skipped", t.skipped},
                                       {"throttled", t.throttled},
                                       {"gpu_seconds", t.gpu_seconds},
                                       {"skip_reasons", std::move(reasons)}};
  }
  if (!root["runs"].is_array()) root["runs"] = json::array{};
  root["runs"].as_array().push_back(json::object{{"date", now},
                                                 {"host", hostname()},
                                                 {"git_commit", commit},
                                                 {"command_line", run.command_line},
                                                 {"shard", run.shard},
                                                 {"l2_flush", run.l2_flush},
                                                 {"gpu", run.device.name},
                                                 {"pci_bus_id", run.device.pci_bus_id},
                                                 {"tables", std::move(run_tables)}});

  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status::error(tmp + ": cannot write");
    pretty(out, root, 0);
    out << "\n";
    if (!out) return Status::error(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::error(path + ": rename failed: " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace aiconf::collect
