// Runs aiconf-collect on the CPU fake collector (fixture plugin) and checks the tables it writes:
// an uninterrupted run, a killed run resumed, shards, --gpus workers, Slurm ranks, filters,
// adaptive mode, and the one-line errors of bad inputs.
#include "aiconf_test.h"

#include "csv_line.h"

#include <aiconf/version.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using aiconf::collect::split_csv_line;

namespace {

struct Outcome {
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;
  std::string err;     ///< stderr
};

const char* const kLauncherVars[] = {"SLURM_PROCID", "SLURM_NTASKS", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
                                     "PMI_RANK", "PMI_SIZE", "AICONF_FAKE_ABORT_AFTER", "AICONF_PLUGIN_PATH"};

Outcome collect(const std::vector<std::string>& extra, const std::vector<std::pair<std::string, std::string>>& env = {},
                const char* plugin_dir = AICONF_COLLECT_FIXTURE_DIR) {
  std::vector<std::string> args{AICONF_COLLECT_BIN, "--plugin-dir", plugin_dir, "--no-default-plugins",
                                "--system-name", "cpu_test"};
  args.insert(args.end(), extra.begin(), extra.end());
  const std::string err_path = std::string(AICONF_COLLECT_WORK_DIR) + "/stderr-" + std::to_string(::getpid()) + ".txt";
  fs::create_directories(AICONF_COLLECT_WORK_DIR);
  pid_t pid = ::fork();
  if (pid == 0) {
    for (const char* v : kLauncherVars) ::unsetenv(v);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome o;
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  std::ifstream in(err_path);
  o.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return o;
}

std::string fresh_dir(const std::string& name) {
  const std::string d = std::string(AICONF_COLLECT_WORK_DIR) + "/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string table_dir(const std::string& out) { return out + "/cpu_test/aiconf/" AICONF_VERSION_STRING; }
std::string table_path(const std::string& out) { return table_dir(out) + "/fake_perf.txt"; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A table read back: header, and key "dtype,batch_size,isl" -> latency; duplicates counted.
struct Table {
  std::vector<std::string> header;
  std::map<std::string, std::string> latency;
  std::size_t rows = 0, duplicates = 0;
  bool ends_with_newline = false;
};

Table read_table(const std::string& path) {
  Table t;
  const std::string text = slurp(path);
  t.ends_with_newline = !text.empty() && text.back() == '\n';
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  t.header = split_csv_line(line);
  while (std::getline(in, line)) {
    auto f = split_csv_line(line);
    REQUIRE(f.size() == t.header.size());
    // framework,version,device,op_name,kernel_source,dtype,batch_size,isl,latency,timing,samples,spread,throttled
    const std::string key = f[5] + "," + f[6] + "," + f[7];
    if (!t.latency.emplace(key, f[8]).second) ++t.duplicates;
    ++t.rows;
  }
  return t;
}

std::set<std::string> keys_of(const Table& t) {
  std::set<std::string> k;
  for (const auto& [key, v] : t.latency) k.insert(key);
  return k;
}

/// The uninterrupted reference run (made once).
const Table& full_run() {
  static Table t = [] {
    const std::string out = fresh_dir("full");
    Outcome o = collect({"--collector", "fake_sweep", "--out", out});
    INFO(o.err);
    REQUIRE(o.exit_code == 0);
    return read_table(table_path(out));
  }();
  return t;
}

}  // namespace

TEST_CASE("collect: an uninterrupted run writes every case once", "[collect]") {
  const Table& t = full_run();
  const std::vector<std::string> header{"framework", "version", "device", "op_name", "kernel_source", "dtype", "batch_size",
                                        "isl", "latency", "timing", "samples", "spread", "throttled"};
  CHECK(t.header == header);
  // 2 dtypes x 5 batches x 7 lengths, less the 2 cases whose setup runs out of (fake) memory.
  CHECK(t.rows == 68);
  CHECK(t.duplicates == 0);
  CHECK(t.ends_with_newline);
  CHECK(t.latency.count("bf16,16,1024") == 0);
  // latency = 0.005 + 0.001 * b * sqrt(isl) * (fp8 ? 0.625 : 1)
  CHECK(std::stod(t.latency.at("bf16,4,64")) == Approx(0.005 + 0.001 * 4 * 8));
  CHECK(std::stod(t.latency.at("fp8,2,256")) == Approx(0.005 + 0.001 * 2 * 16 * 0.625));
  const std::string meta = slurp(table_dir(std::string(AICONF_COLLECT_WORK_DIR) + "/full") + "/collection_meta.json");
  CHECK(meta.find("\"fake_perf\"") != std::string::npos);
  CHECK(meta.find("\"gpu_seconds\"") != std::string::npos);
  CHECK(meta.find("out of memory") != std::string::npos);  // the skip reason is counted
}

TEST_CASE("collect: a run killed after K cases, then --resume, ends with the rows of an uninterrupted run", "[collect]") {
  const std::string out = fresh_dir("resume");
  Outcome killed = collect({"--collector", "fake_sweep", "--out", out}, {{"AICONF_FAKE_ABORT_AFTER", "10"}});
  REQUIRE(killed.signal == SIGABRT);
  Table partial = read_table(table_path(out));
  CHECK(partial.rows == 10);

  // A second kill in the middle of a write leaves a partial line: the next run cuts it.
  { std::ofstream(table_path(out), std::ios::app) << "aiconf," AICONF_VERSION_STRING ",cpu,fake,cpu:fake_kernel,fp8,1"; }

  Outcome refused = collect({"--collector", "fake_sweep", "--out", out});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("--resume") != std::string::npos);

  Outcome resumed = collect({"--collector", "fake_sweep", "--out", out, "--resume"});
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.err.find("partial last line") != std::string::npos);
  Table t = read_table(table_path(out));
  CHECK(t.ends_with_newline);
  CHECK(t.duplicates == 0);
  CHECK(keys_of(t) == keys_of(full_run()));
  CHECK(t.latency == full_run().latency);

  // Resuming a complete table measures nothing.
  Outcome again = collect({"--collector", "fake_sweep", "--out", out, "--resume"});
  CHECK(again.exit_code == 0);
  CHECK(read_table(table_path(out)).rows == t.rows);
}

TEST_CASE("collect: --shard 0/2 + --shard 1/2 equal the full run once merged", "[collect]") {
  const std::string out = fresh_dir("shards");
  for (const char* s : {"0/2", "1/2"}) {
    Outcome o = collect({"--collector", "fake_sweep", "--out", out, "--shard", s});
    INFO(o.err);
    REQUIRE(o.exit_code == 0);
  }
  Table s0 = read_table(table_path(out) + ".shard-0-of-2");
  Table s1 = read_table(table_path(out) + ".shard-1-of-2");
  CHECK(s0.rows + s1.rows == full_run().rows);
  CHECK(!fs::exists(table_path(out)));  // shards never write the table itself

  Outcome merged = collect({"--collector", "fake_sweep", "--out", out, "--merge"});
  INFO(merged.err);
  REQUIRE(merged.exit_code == 0);
  Table t = read_table(table_path(out));
  CHECK(t.duplicates == 0);
  CHECK(t.latency == full_run().latency);
  CHECK(!fs::exists(table_path(out) + ".shard-0-of-2"));
  CHECK(!fs::exists(table_path(out) + ".shard-1-of-2"));
}

TEST_CASE("collect: Slurm rank variables shard the sweep", "[collect]") {
  const std::string out = fresh_dir("slurm");
  Outcome o = collect({"--collector", "fake_sweep", "--out", out}, {{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "3"}});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  Table t = read_table(table_path(out) + ".shard-1-of-3");
  // Cases 1, 4, 7, ..., 67 of 70 (23); case 34 (bf16, 16, 1024) is among them and is skipped.
  CHECK(t.rows == 23 - 1);
}

TEST_CASE("collect: --gpus runs one worker per GPU and merges their shards", "[collect]") {
  const std::string out = fresh_dir("gpus");
  Outcome o = collect({"--collector", "fake_sweep", "--out", out, "--gpus", "0,1,2"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  Table t = read_table(table_path(out));
  CHECK(t.duplicates == 0);
  CHECK(t.latency == full_run().latency);
  CHECK(aiconf::collect::split_csv_line("").size() == 1);
  CHECK(fs::directory_iterator(table_dir(out)) != fs::directory_iterator());
  for (const auto& e : fs::directory_iterator(table_dir(out)))
    CHECK(e.path().filename().string().find(".shard-") == std::string::npos);
}

TEST_CASE("collect: --filter, --quick and --max-cases restrict the sweep", "[collect]") {
  const std::string out = fresh_dir("filter");
  Outcome o = collect({"--collector", "fake_sweep", "--out", out, "--filter", "dtype=fp8,batch_size=1|2"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  CHECK(read_table(table_path(out)).rows == 14);

  const std::string q = fresh_dir("quick");
  REQUIRE(collect({"--collector", "fake_sweep", "--out", q, "--quick"}).exit_code == 0);
  CHECK(read_table(table_path(q)).rows == 4);

  const std::string m = fresh_dir("max_cases");
  Outcome mo = collect({"--collector", "fake_sweep", "--out", m, "--max-cases", "5"});
  CHECK(mo.exit_code == 0);
  CHECK(mo.err.find("--resume") != std::string::npos);
  CHECK(read_table(table_path(m)).rows == 5);
}

TEST_CASE("collect: bad inputs give one clear line and exit 1", "[collect]") {
  const std::string out = fresh_dir("bad");
  struct Bad {
    std::vector<std::string> args;
    std::string expect;
  };
  for (const Bad& b : {Bad{{"--collector", "no_such_collector"}, "no collector named 'no_such_collector' (known collectors: "},
                       Bad{{"--collector", "fake_model_sweep"}, "needs a model config"},
                       Bad{{"--table", "nope_perf"}, "no collector writes table 'nope_perf'"},
                       Bad{{"--plugin", "nope"}, "no loaded plugin 'nope'"},
                       Bad{{"--collector", "fake_sweep", "--shard", "2/2"}, "--shard '2/2'"},
                       Bad{{"--collector", "fake_sweep", "--filter", "dtype"}, "is not key=value"},
                       Bad{{"--collector", "fake_sweep", "--filter", "colour=red"}, "--filter key 'colour'"},
                       Bad{{"--collector", "fake_sweep", "--gpus", "0,x"}, "entry 'x'"},
                       Bad{{"--collector", "fake_sweep", "--model", "/nonexistent/config.json"}, "/nonexistent/config.json"},
                       Bad{{}, "nothing to collect"}}) {
    std::vector<std::string> args = b.args;
    args.insert(args.end(), {"--out", out});
    Outcome o = collect(args);
    INFO(o.err);
    CHECK(o.exit_code == 1);
    CHECK(o.err.find(b.expect) != std::string::npos);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    CHECK(o.err.rfind("aiconf-collect: error: ", 0) == 0);
  }
  CHECK(!fs::exists(table_path(out)));
}

TEST_CASE("collect: --list names the collectors and their case counts", "[collect]") {
  const std::string out = fresh_dir("list");
  const std::string path = out + "/list.txt";
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::execl(AICONF_COLLECT_BIN, AICONF_COLLECT_BIN, "--plugin-dir", AICONF_COLLECT_FIXTURE_DIR, "--no-default-plugins", "--list",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const std::string text = slurp(path);
  CHECK(text.find("fake_sweep  fake_collector  fake_perf  fake_layer  70") != std::string::npos);
  CHECK(text.find("fake_model_sweep") != std::string::npos);
  CHECK(text.find("--model") != std::string::npos);
}

TEST_CASE("collect: --adaptive measures a coarse grid and refines where leave-one-out error is high", "[collect]") {
  const std::string out = fresh_dir("adaptive");
  Outcome o = collect({"--collector", "fake_sweep", "--out", out, "--adaptive", "4", "--adaptive-target", "0.01"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  CHECK(o.err.find("adaptive: ") != std::string::npos);
  CHECK(o.err.find("GPU-minutes") != std::string::npos);
  Table t = read_table(table_path(out));
  CHECK(t.duplicates == 0);
  CHECK(t.rows > 20);
  CHECK(t.rows <= full_run().rows);
  // Every measured row equals the full run's (the fake is deterministic).
  for (const auto& [k, v] : t.latency) CHECK(full_run().latency.at(k) == v);
}

TEST_CASE("collect: the replay plugin turns a table back into itself; a bad schema is one clear error", "[collect]") {
  const std::string src = table_path(std::string(AICONF_COLLECT_WORK_DIR) + "/full");
  const Table& full = full_run();
  const std::string out = fresh_dir("replay");
  const std::string schema = "dtype:cat,batch_size:log,isl:log";
  Outcome o = collect({"--collector", "replay", "--out", out}, {{"AICONF_REPLAY_TABLE", src}, {"AICONF_REPLAY_SCHEMA", schema}},
                      AICONF_REPLAY_PLUGIN_DIR);
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  Table t = read_table(table_path(out));
  CHECK(t.rows == full.rows);
  CHECK(t.latency == full.latency);
  // Adaptive on the replayed table: a subset of it, every row equal to the source's.
  const std::string out2 = fresh_dir("replay_adaptive");
  o = collect({"--collector", "replay", "--out", out2, "--adaptive", "4", "--max-cases", "30"},
              {{"AICONF_REPLAY_TABLE", src}, {"AICONF_REPLAY_SCHEMA", schema}}, AICONF_REPLAY_PLUGIN_DIR);
  REQUIRE(o.exit_code == 0);
  Table a = read_table(table_path(out2));
  CHECK(a.rows == 30);
  for (const auto& [k, v] : a.latency) CHECK(full.latency.at(k) == v);
  Outcome bad = collect({"--collector", "replay", "--out", out},
                        {{"AICONF_REPLAY_TABLE", src}, {"AICONF_REPLAY_SCHEMA", "dtype:cat,batch_size:cubic"}}, AICONF_REPLAY_PLUGIN_DIR);
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("cubic") != std::string::npos);
}
