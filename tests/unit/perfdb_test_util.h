#pragma once
// Helpers for the perfdb tests: a fresh temporary directory, small table files, a toy operation
// whose speed-of-light time in ms equals its key `m` (on toy_system()).
#include <aiconf/operation.h>
#include <aiconf/plugin/plugin_base.h>
#include <aiconf/system.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace aiconf::test {

/// A fresh directory under the system temp dir, removed when the object dies.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("aiconf_perfdb_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  /// Writes `text` to `rel` (creating folders); returns the full path.
  std::string write(const std::string& rel, const std::string& text) const {
    auto p = path / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string str() const { return path.string(); }
};

/// The header of a table with the given key columns.
inline std::string header(const std::string& keys) {
  return "framework,version,device,op_name,kernel_source," + keys + ",latency\n";
}
/// One row with the fixed columns filled in.
inline std::string row(const std::string& keys, const std::string& latency, const std::string& op = "toy") {
  return "AICONF,0.1,NVIDIA H200," + op + ",test," + keys + "," + latency + "\n";
}

/// 1 byte of traffic costs 1 ms: bytes/s = 1000 (hbm_tbps 1e-9), no launch overhead.
inline SystemSpec toy_system() {
  SystemSpec s;
  s.name = "toy_system";
  s.bf16_tflops = s.fp8_tflops = 1e-9;
  s.hbm_tbps = 1e-9;
  s.empirical_efficiency = {{"default", 0.5}, {"toy", 0.25}};
  return s;
}

/// Table `toy_perf`: categorical `dtype`, numeric `m` (log) and optionally `n` (log).
/// Speed-of-light: bytes = m * n (n defaults to 1), so on toy_system() sol_ms = m * n.
class ToyOp final : public OperationBase {
public:
  explicit ToyOp(bool with_n = false, std::string table = "toy_perf")
      : OperationBase("toy_op", "test operation", make_schema(with_n, std::move(table))) {}

private:
  static TableSchema make_schema(bool with_n, std::string table) {
    TableSchema s;
    s.table = std::move(table);
    s.op_names = {"toy"};
    s.keys.push_back({"dtype", ColumnKind::categorical, AxisTransform::linear});
    s.keys.push_back({"m", ColumnKind::numeric, AxisTransform::log});
    if (with_n) s.keys.push_back({"n", ColumnKind::numeric, AxisTransform::log});
    return s;
  }
  SolCost cost(const Params& key) const override {
    SolCost c;
    c.bytes = key.number("m") * key.number_or("n", 1.0);
    c.kernels = 0;
    return c;
  }
};

}  // namespace aiconf::test
