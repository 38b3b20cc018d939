// Unit tests of the aiconf-collect harness pieces: CSV lines, filters, shards, the stopping rule,
// the append-only table file (partial-line repair, header check), shard merging, coarse grids,
// closing the lines and the coarse planes an adaptive round starts.
#include "aiconf_test.h"

#include "adaptive.h"
#include "case_filter.h"
#include "collection_meta.h"
#include "csv_line.h"
#include "gpu_workers.h"
#include "sample_stats.h"
#include "shard.h"
#include "sweep_lines.h"
#include "table_file.h"
#include "table_run.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <fstream>

namespace fs = std::filesystem;
using namespace aiconf;
using namespace aiconf::collect;

namespace {
std::string work(const std::string& name) {
  const std::string d = std::string(AICONF_COLLECT_WORK_DIR) + "/units/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("collect units: CSV lines round-trip quoted fields", "[collect][units]") {
  const std::vector<std::string> f{"a", "b,c", "say \"hi\"", "", "x"};
  CHECK(join_csv_line(f) == "a,\"b,c\",\"say \"\"hi\"\"\",,x");
  CHECK(split_csv_line(join_csv_line(f)) == f);
  CHECK(split_csv_line("1,2\r") == std::vector<std::string>{"1", "2"});
}

TEST_CASE("collect units: filters match numbers and alternatives", "[collect][units]") {
  CaseFilter f;
  REQUIRE(CaseFilter::parse("batch_size=1|2,dtype=fp8", &f));
  CHECK(f.matches(Params{{"batch_size", std::int64_t(2)}, {"dtype", std::string("fp8")}}));
  CHECK(f.matches(Params{{"batch_size", 1.0}, {"dtype", std::string("fp8")}}));
  CHECK_FALSE(f.matches(Params{{"batch_size", std::int64_t(4)}, {"dtype", std::string("fp8")}}));
  CHECK_FALSE(f.matches(Params{{"batch_size", std::int64_t(1)}}));
  CHECK_FALSE(CaseFilter::parse("a=", &f));
  CHECK_FALSE(CaseFilter::parse("=1", &f));
  CHECK_FALSE(CaseFilter::parse("a=1||2", &f));
}

TEST_CASE("collect units: shards and worker command lines", "[collect][units]") {
  ShardSpec s;
  REQUIRE(parse_shard("1/3", &s));
  CHECK((s.takes(1) && s.takes(4) && !s.takes(2)));
  CHECK_FALSE(parse_shard("3/3", &s));
  CHECK_FALSE(parse_shard("1", &s));
  CHECK_FALSE(parse_shard("-1/2", &s));
  auto argv = worker_argv({"aiconf-collect", "--gpus", "0,1", "--collector", "x", "--shard=0/2"}, ShardSpec{3, 4, "--gpus"}, "gpu 1");
  CHECK(argv == std::vector<std::string>{"aiconf-collect", "--collector", "x", "--shard", "3/4", "--worker-label", "gpu 1"});
  std::vector<std::string> gpus;
  CHECK(parse_gpu_list("0,1,3", &gpus));
  CHECK(gpus.size() == 3);
  CHECK_FALSE(parse_gpu_list("0,0", &gpus));
  CHECK_FALSE(parse_gpu_list("", &gpus));
}

TEST_CASE("collect units: the stopping rule", "[collect][units]") {
  CHECK(quantile({4, 1, 3, 2}, 0.5) == Approx(2.5));
  CHECK(quantile({1, 2, 3, 4, 5}, 0.25) == Approx(2));
  SamplingOptions opt;
  opt.min_samples = 5;
  opt.max_samples = 50;
  opt.max_spread = 0.02;
  int calls = 0;
  SampleSummary sum;
  REQUIRE(sample_until_stable(opt, [&](double* ms) { ++calls; *ms = 1.0; return Status::ok(); }, &sum));
  CHECK(calls == 5);  // stable at once: stops at the minimum
  CHECK(sum.median_ms == 1.0);
  CHECK(sum.stable);
  calls = 0;
  REQUIRE(sample_until_stable(opt, [&](double* ms) { *ms = (++calls % 2) ? 1.0 : 2.0; return Status::ok(); }, &sum));
  CHECK(calls == 50);  // never stable: stops at the cap
  CHECK_FALSE(sum.stable);
  CHECK_FALSE(sample_until_stable(opt, [&](double*) { return Status::error("boom"); }, &sum));
}

TEST_CASE("collect units: the table file cuts a partial line and checks its header", "[collect][units]") {
  const std::string path = work("table") + "/t.txt";
  const std::vector<std::string> header{"framework", "k", "latency"};
  {
    std::unique_ptr<TableAppender> a;
    REQUIRE(TableAppender::open(path, header, &a));
    REQUIRE(a->append({"aiconf", "1", "0.5"}));
  }
  CHECK(slurp(path) == "framework,k,latency\naiconf,1,0.5\n");
  { std::ofstream(path, std::ios::app) << "aiconf,2,0."; }
  {
    std::unique_ptr<TableAppender> a;
    std::size_t cut = 0;
    REQUIRE(TableAppender::open(path, header, &a, &cut));
    CHECK(cut == 11);
    REQUIRE(a->append({"aiconf", "2", "0.25"}));
  }
  CHECK(slurp(path) == "framework,k,latency\naiconf,1,0.5\naiconf,2,0.25\n");
  std::unique_ptr<TableAppender> a;
  Status s = TableAppender::open(path, {"framework", "other", "latency"}, &a);
  CHECK_FALSE(s);
  CHECK(s.message().find(path + ":1: header is 'framework,k,latency'") != std::string::npos);

  // A header cut short (no newline at all) is rewritten.
  const std::string cut_path = work("table_cut") + "/t.txt";
  { std::ofstream(cut_path) << "frame"; }
  REQUIRE(TableAppender::open(cut_path, header, &a));
  CHECK(slurp(cut_path) == "framework,k,latency\n");
}

TEST_CASE("collect units: shard files merge without duplicates", "[collect][units]") {
  const std::string dir = work("merge");
  const std::string path = dir + "/t.txt";
  const std::vector<std::string> header{"op_name", "k", "latency"};
  for (int i = 0; i < 2; ++i) {
    std::unique_ptr<TableAppender> a;
    REQUIRE(TableAppender::open(shard_path(path, i, 2), header, &a));
    REQUIRE(a->append({"op", std::to_string(i), "1"}));
    REQUIRE(a->append({"op", "9", "2"}));  // the same key in both shards: kept once
  }
  CHECK(list_shard_files(path).size() == 2);
  std::size_t merged = 0;
  REQUIRE(merge_shard_files(path, header, {"op_name", "k"}, &merged));
  CHECK(merged == 3);
  CHECK(slurp(path) == "op_name,k,latency\nop,0,1\nop,9,2\nop,1,1\n");
  CHECK(list_shard_files(path).empty());
  std::set<std::string> keys;
  std::size_t rows = 0;
  REQUIRE(read_table_keys(path, {"k"}, &keys, &rows));
  CHECK(rows == 3);
  CHECK_FALSE(read_table_keys(path, {"missing"}, &keys));
}

TEST_CASE("collect units: system names and the coarse grid", "[collect][units]") {
  CHECK(system_name_for_device("NVIDIA H200") == "h200_sxm");
  CHECK(system_name_for_device("NVIDIA H100 80GB HBM3") == "h100_sxm");
  CHECK(system_name_for_device("NVIDIA H100 PCIe") == "h100_pcie");
  CHECK(system_name_for_device("cpu") == "cpu");
  CHECK(system_name_for_device("NVIDIA RTX 6000 Ada Generation") == "rtx_6000_ada_generation");

  TablePlan p;
  p.table = "t";
  p.key_columns = {Column{"d", ColumnKind::categorical}, Column{"x"}};
  for (const char* d : {"a", "b"})
    for (int x : {1, 2, 4, 8, 16, 32}) {
      p.cases.push_back(Params{{"d", std::string(d)}, {"x", std::int64_t(x)}});
      p.keys.push_back({d, std::to_string(x)});
    }
  // Ranks 0, 2, 4 and the last (5) of each group.
  CHECK(coarse_cases(p) == std::vector<std::size_t>{0, 2, 4, 5, 6, 8, 10, 11});
}

TEST_CASE("collect units: the recorded commit comes from AICONF_GIT_COMMIT when set", "[collect][units]") {
  // A device call copies the working tree next to an older .git; the caller names the real commit.
  ::setenv("AICONF_GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567", 1);
  CHECK(git_commit() == "0123456789abcdef0123456789abcdef01234567");
  ::unsetenv("AICONF_GIT_COMMIT");
  const std::string c = git_commit();  // this checkout (or "" outside git): never the variable's value
  CHECK(c.find("0123456789abcdef") == std::string::npos);
  if (!c.empty()) CHECK((c.size() == 40 || c.substr(40) == "-dirty"));
}

TEST_CASE("collect units: a case that starts or extends a line brings the rest of the line at coarse resolution", "[collect][units]") {
  // batch {1, 2, 4} x isl {1, 2, ..., 9}. The coarse grid leaves batch 2 unmeasured; an adaptive
  // round that adds (batch 2, isl 2) starts the isl line of batch 2. Alone, that point would make
  // every other case of batch 2 an extrapolation from it (or, with just the line's two ends, an
  // interpolation across the whole range) that overrides the well-measured batch 1 and 4 lines.
  TablePlan p;
  p.table = "t";
  p.key_columns = {Column{"d", ColumnKind::categorical}, Column{"batch"}, Column{"isl"}};
  for (int b : {1, 2, 4})
    for (int x = 1; x <= 9; ++x) {
      p.cases.push_back(Params{{"d", std::string("a")}, {"batch", std::int64_t(b)}, {"isl", std::int64_t(x)}});
      p.keys.push_back({"a", std::to_string(b), std::to_string(x)});
    }
  auto idx = [](int b, int x) { return static_cast<std::size_t>((b == 1 ? 0 : b == 2 ? 1 : 2) * 9 + x - 1); };
  const SweepLines lines(p);
  REQUIRE(lines.numeric() == std::vector<std::size_t>{1, 2});
  REQUIRE(lines.line(1, idx(2, 5)).size() == 9);
  CHECK(lines.value(1, idx(2, 5)) == 5);
  const auto coarse = coarse_cases(p);
  std::set<std::size_t> have(coarse.begin(), coarse.end());
  const auto has = [&](std::size_t c) { return have.count(c) > 0; };
  // New isl line at batch 2: the rest of it at even ranks and its last (isl 1, 3, 5, 7, 9); the
  // batch line at isl 2 (isl 2 is off the coarse grid) is new too: its ends, batch 1 and 4.
  auto ends = lines.open_ends(idx(2, 2), has);
  std::sort(ends.begin(), ends.end());
  CHECK(ends == std::vector<std::size_t>{idx(1, 2), idx(2, 1), idx(2, 3), idx(2, 5), idx(2, 7), idx(2, 9), idx(4, 2)});
  // Inside the measured hull of every line: nothing more.
  have.insert(ends.begin(), ends.end());
  CHECK(lines.open_ends(idx(2, 2), has).empty());
  CHECK(lines.open_ends(idx(1, 3), has).empty());
  // A line measured on isl 1..3 only, extended to 4: the stretch beyond gets ranks 4, 6, 8 and the last.
  have = {idx(4, 1), idx(4, 2), idx(4, 3), idx(1, 4), idx(2, 4)};
  ends = lines.open_ends(idx(4, 4), has);
  std::sort(ends.begin(), ends.end());
  CHECK(ends == std::vector<std::size_t>{idx(4, 5), idx(4, 7), idx(4, 9)});
}

TEST_CASE("collect units: a case that brings a new axis value brings that value's coarse plane", "[collect][units]") {
  // batch {1, 2, 4, 8, 16} x isl {1..5} x heads {1, 2, 4}: the coarse grid is batch {1, 4, 16} x
  // isl {1, 3, 5} x heads {1, 4}. A round that adds (batch 2, isl 1, heads 1) starts batch 2.
  // Closing only that case's lines measures batch 2 at heads 1 along isl and at isl 1 along heads,
  // and leaves the isl lines of batch 2 at heads 4 with one point (isl 1): queries at batch 2,
  // heads 4 would extrapolate it instead of interpolating batch 1 and 4 (the context_mla replay's
  // tail). The closure measures batch 2 at the coarse grid of the other axes, as the coarse pass
  // measures batch 1: every line of the new value complete at coarse resolution.
  TablePlan p;
  p.table = "t";
  p.key_columns = {Column{"d", ColumnKind::categorical}, Column{"batch"}, Column{"isl"}, Column{"heads"}};
  const std::vector<int> bs{1, 2, 4, 8, 16}, hs{1, 2, 4};
  for (int b : bs)
    for (int x = 1; x <= 5; ++x)
      for (int h : hs) {
        p.cases.push_back(Params{{"d", std::string("a")}, {"batch", std::int64_t(b)}, {"isl", std::int64_t(x)}, {"heads", std::int64_t(h)}});
        p.keys.push_back({"a", std::to_string(b), std::to_string(x), std::to_string(h)});
      }
  auto idx = [&](int b, int x, int h) {
    const auto bi = std::find(bs.begin(), bs.end(), b) - bs.begin(), hi = std::find(hs.begin(), hs.end(), h) - hs.begin();
    return static_cast<std::size_t>((bi * 5 + x - 1) * 3 + hi);
  };
  const SweepLines lines(p);
  const auto coarse = coarse_cases(p);
  REQUIRE(coarse.size() == 18);
  std::set<std::size_t> have(coarse.begin(), coarse.end());
  const auto has = [&](std::size_t c) { return have.count(c) > 0; };
  const std::size_t seed = idx(2, 1, 1);
  auto plane = lines.coarse_plane(0, seed);
  std::sort(plane.begin(), plane.end());
  const std::vector<std::size_t> want{idx(2, 1, 1), idx(2, 1, 4), idx(2, 3, 1), idx(2, 3, 4), idx(2, 5, 1), idx(2, 5, 4)};
  CHECK(plane == want);
  // Closing the seed's own lines misses batch 2 at heads 4, isl 3 and 5.
  auto ends = lines.open_ends(seed, has);
  CHECK(std::find(ends.begin(), ends.end(), idx(2, 3, 4)) == ends.end());
  // The closure: the plane of batch 2 and nothing else (every other line it touches is complete).
  auto more = lines.closure({seed}, has);
  std::sort(more.begin(), more.end());
  CHECK(more == std::vector<std::size_t>{idx(2, 1, 4), idx(2, 3, 1), idx(2, 3, 4), idx(2, 5, 1), idx(2, 5, 4)});
  // Once batch 2 and isl 2 are measured somewhere, a case at (batch 2, isl 2) brings its lines'
  // open ends only (isl 2 is new: its plane first).
  have.insert(more.begin(), more.end());
  more = lines.closure({idx(2, 2, 2)}, has);
  CHECK(std::find(more.begin(), more.end(), idx(4, 2, 4)) != more.end());  // plane isl = 2
  CHECK(std::find(more.begin(), more.end(), idx(2, 2, 1)) != more.end());  // heads line of (2, 2, 2)
  // Nothing new: nothing added.
  have.insert(more.begin(), more.end());
  CHECK(lines.closure({idx(2, 2, 2)}, has).empty());
}

TEST_CASE("collect units: the coarse plane of a new value spans axes too short to have open ends", "[collect][units]") {
  // batch {1, 2, 4, 8, 16} x tp {1, 2}: a tp line has two values, so open_ends never closes it.
  // A round that adds (batch 2, tp 1) would leave batch 2 at tp 2 unmeasured (a query there reads
  // batch 2's single point at tp 1). Its plane brings (batch 2, tp 2), as the coarse pass measures
  // both tp values at batch 1, 4 and 16.
  TablePlan p;
  p.table = "t";
  p.key_columns = {Column{"d", ColumnKind::categorical}, Column{"batch"}, Column{"tp"}};
  for (int b : {1, 2, 4, 8, 16})
    for (int t : {1, 2}) {
      p.cases.push_back(Params{{"d", std::string("a")}, {"batch", std::int64_t(b)}, {"tp", std::int64_t(t)}});
      p.keys.push_back({"a", std::to_string(b), std::to_string(t)});
    }
  const SweepLines lines(p);
  const auto coarse = coarse_cases(p);
  REQUIRE(coarse == std::vector<std::size_t>{0, 1, 4, 5, 8, 9});
  const std::set<std::size_t> have(coarse.begin(), coarse.end());
  const auto has = [&](std::size_t c) { return have.count(c) > 0; };
  CHECK(lines.open_ends(2, has).empty());                              // (batch 2, tp 1)
  CHECK(lines.closure({2}, has) == std::vector<std::size_t>{3});       // (batch 2, tp 2)
}
