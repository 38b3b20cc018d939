// Templates of the plugin skeleton written by `aiconf new-op` (see docs/first_hour.md).
#include "new_op_templates.h"

namespace aiconf::cli {

namespace {

const char* kCMake = R"tmpl(# @NAME@ plugin, written by `aiconf new-op @NAME@`. Builds in-tree (a folder of plugins/) and out of
# tree against an installed SDK:
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<aiconf prefix> && cmake --build build && ctest --test-dir build
cmake_minimum_required(VERSION 3.25)
if(NOT TARGET aiconf::plugin_sdk)
  project(aiconf_plugin_@NAME@ LANGUAGES CXX)
  set(CMAKE_CXX_STANDARD 20)
  set(CMAKE_CXX_STANDARD_REQUIRED ON)
  set(CMAKE_CXX_VISIBILITY_PRESET hidden)
  set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
  find_package(aiconf 0.1 REQUIRED)
  include(CTest)
endif()

set(_links)
if(TARGET aiconf_plugin_common)
  list(APPEND _links aiconf_plugin_common)  # in-tree: plugins/common/include
endif()
# The mock layer is plain C++ until it is written; a CUDA one goes in @NAME@_mock_layer.cu (see
# plugins/dsa_indexer/CMakeLists.txt for the pattern with and without a CUDA toolkit).
aiconf_add_plugin(@NAME@
  SOURCES plugin.cpp @NAME@_config.cpp @NAME@_op.cpp @NAME@_collector.cpp @NAME@_mock_layer.cpp
  LINK ${_links})

if(BUILD_TESTING)
  add_executable(@NAME@_plugin_test tests/@NAME@_test.cpp)
  target_link_libraries(@NAME@_plugin_test PRIVATE aiconf::aiconf)
  target_compile_definitions(@NAME@_plugin_test PRIVATE
    PLUGIN_FILE="$<TARGET_FILE:aiconf_plugin_@NAME@>"
    CONFIG_FILE="${CMAKE_CURRENT_SOURCE_DIR}/tests/@NAME@_config.json")
  add_dependencies(@NAME@_plugin_test aiconf_plugin_@NAME@)
  add_test(NAME @NAME@_plugin COMMAND @NAME@_plugin_test)
endif()
)tmpl";

const char* kPlugin = R"tmpl(// Entry of the @NAME@ plugin: registers everything it provides. Nothing here may touch CUDA.
#include <aiconf/plugin/abi.h>

#include "@NAME@_collector.h"
#include "@NAME@_config.h"
#include "@NAME@_mock_layer.h"
#include "@NAME@_op.h"

namespace {
void register_@NAME@(aiconf::Registrar& r) {
  using namespace aiconf::@NAME@;
  register_@NAME@_config(r);
  register_@NAME@_operations(r);
  register_@NAME@_collectors(r);
  register_@NAME@_mock_layers(r);
}
}  // namespace

AICONF_PLUGIN("@NAME@", "0.1.0", "@NAME@: describe the operator in one line", register_@NAME@)
)tmpl";

const char* kConfigH = R"tmpl(#pragma once
// The @NAME@ config parser (extension "@NAME@") and the architecture mapping of its family.
#include <aiconf/plugin/plugin_base.h>

namespace aiconf::@NAME@ {

/// The model family this plugin serves.
inline constexpr const char* kFamily = "@FAMILY@";
/// The Hugging Face `architectures[0]` mapped to it ("" when the family is mapped elsewhere).
inline constexpr const char* kArchitecture = "@ARCH@";

/// Reads the fields the operation needs into the "@NAME@" extension.
class @CLASS@ConfigParser final : public ConfigParserBase {
public:
  @CLASS@ConfigParser() : ConfigParserBase("@NAME@", "@NAME@", {kFamily}) {}

protected:
  void read(const ConfigView& json, ModelConfig& cfg) const override;
};

/// Registers the mapping (when kArchitecture is set) and the parser.
void register_@NAME@_config(Registrar& r);

}  // namespace aiconf::@NAME@
)tmpl";

const char* kConfigCpp = R"tmpl(#include "@NAME@_config.h"

namespace aiconf::@NAME@ {

void @CLASS@ConfigParser::read(const ConfigView& json, ModelConfig& cfg) const {
  // take_int reports a missing, mistyped or out-of-range field with the file and JSON path.
  // Replace with the fields your operator reads (see plugins/dsa_indexer/dsa_config.cpp).
  take_int(json, cfg, "hidden_size", 1, 1 << 20);
}

void register_@NAME@_config(Registrar& r) {
  if (*kArchitecture) throw_if_error(r.add_arch_mapping(kArchitecture, kFamily));
  throw_if_error(r.add_config_parser(new @CLASS@ConfigParser));
}

}  // namespace aiconf::@NAME@
)tmpl";

const char* kOpH = R"tmpl(#pragma once
// The @NAME@ operation: its perf table schema and speed-of-light formula.
#include <aiconf/plugin/registrar.h>

namespace aiconf::@NAME@ {

/// The perf table the operation reads and its collector writes.
inline constexpr const char* kTable = "@NAME@_perf";

/// Registers the operation "@NAME@".
void register_@NAME@_operations(Registrar& r);

}  // namespace aiconf::@NAME@
)tmpl";

const char* kOpCpp = R"tmpl(// Replace the schema and the formula with your operator's. Keys: the table's key columns in file
// order; numeric axes name the space latency is close to linear in (log for sizes).
#include "@NAME@_op.h"

#include <aiconf/plugin/plugin_base.h>

namespace aiconf::@NAME@ {

namespace {

class @CLASS@Op final : public OperationBase {
public:
  @CLASS@Op()
      : OperationBase("@NAME@", "@NAME@ over num_tokens x hidden_size elements (describe it)",
                      {kTable,
                       {"@NAME@"},
                       {{"dtype", ColumnKind::categorical},
                        {"num_tokens", ColumnKind::numeric, AxisTransform::log},
                        {"hidden_size", ColumnKind::numeric, AxisTransform::log}}}) {}

protected:
  // Speed-of-light: the least work the operation must do. Here a row-wise operator that reads
  // and writes every element once in 2-byte precision and does a few FLOPs per element.
  SolCost cost(const Params& key) const override {
    const double elems = key.number("num_tokens") * key.number("hidden_size");
    const double bytes_per_elem = key.text_or("dtype", "bfloat16") == "fp8" ? 1 : 2;
    SolCost c;
    c.bytes = 2 * elems * bytes_per_elem;
    c.flops = 4 * elems;
    c.compute_dtype = "fp32";
    return c;
  }
};

}  // namespace

void register_@NAME@_operations(Registrar& r) { throw_if_error(r.add_operation(new @CLASS@Op)); }

}  // namespace aiconf::@NAME@
)tmpl";

const char* kCollectorH = R"tmpl(#pragma once
// The standard sweep of the @NAME@ table.
#include <aiconf/plugin/registrar.h>

namespace aiconf::@NAME@ {
/// Registers the collector "@NAME@" (times mock layer "@NAME@", writes @NAME@_perf).
void register_@NAME@_collectors(Registrar& r);
}  // namespace aiconf::@NAME@
)tmpl";

const char* kCollectorCpp = R"tmpl(// The standard ranges (aiconf_plugins/standard_sweeps.h): batch 1..256 x isl 1..32768 with
// batch * isl <= 65536 tokens; `--quick` takes a few of them. Dimensions come from --model.
#include "@NAME@_collector.h"

#include <aiconf/plugin/plugin_base.h>
#include <aiconf_plugins/standard_sweeps.h>

namespace aiconf::@NAME@ {

namespace {

class @CLASS@Collector final : public CollectorBase {
public:
  @CLASS@Collector() : CollectorBase("@NAME@", "@NAME@", "@NAME@") {}

protected:
  std::vector<Params> sweep(const SweepOptions& opt) const override {
    const ModelConfig& m = plugins::require_model(opt, "@NAME@");
    const std::int64_t hidden = m.integer("@NAME@", "hidden_size");
    std::vector<Params> out;
    for (auto b : plugins::context_batches(opt.quick))
      for (auto isl : plugins::context_lengths(opt.quick))
        if (b * isl <= plugins::kContextTokenLimit)
          out.push_back(Params{{"dtype", std::string("bfloat16")}, {"num_tokens", b * isl}, {"hidden_size", hidden}});
    return out;
  }
};

}  // namespace

void register_@NAME@_collectors(Registrar& r) { throw_if_error(r.add_collector(new @CLASS@Collector)); }

}  // namespace aiconf::@NAME@
)tmpl";

const char* kMockH = R"tmpl(#pragma once
// The @NAME@ mock layer: the operator standalone on random weights.
#include <aiconf/plugin/registrar.h>

namespace aiconf::@NAME@ {
/// Registers the mock layer "@NAME@" (a stub that fails loudly until it is written).
void register_@NAME@_mock_layers(Registrar& r);
}  // namespace aiconf::@NAME@
)tmpl";

const char* kMockCpp = R"tmpl(// STUB: the mock layer is not written yet. Every call fails with a message saying so, so that
// `aiconf-collect`, `aiconf profile` and `aiconf check` stop here instead of timing nothing.
// To write it: rename to @NAME@_mock_layer.cu, derive from aiconf::plugins::MockLayerBase
// (plugins/common/cuda/include/aiconf_plugins/mock_layer_base.h), allocate and fill the shape's
// buffers in configure(), launch the kernel in enqueue(), compare with a CPU reference in
// verify(); plugins/dsa_indexer/indexer_mock_layers.cu is a complete example.
#include "@NAME@_mock_layer.h"

#include <aiconf/plugin/plugin_base.h>

namespace aiconf::@NAME@ {

namespace {

Status not_written() { return Status::error("mock layer @NAME@ is not written yet (plugin @NAME@, @NAME@_mock_layer.cpp)"); }

class @CLASS@MockLayer final : public Releasable<MockLayer> {
public:
  Status setup(const Params&, void*) noexcept override { return not_written(); }
  Status run(void*) noexcept override { return not_written(); }
  Status check(void*, CheckReport* out) noexcept override {
    out->passed = false;
    out->details = not_written().message();
    return not_written();
  }
  const char* kernel_source() const noexcept override { return "@NAME@_not_written"; }
  void teardown() noexcept override {}
};

class @CLASS@MockLayerFactory final : public Releasable<MockLayerFactory> {
public:
  const char* name() const noexcept override { return "@NAME@"; }
  const char* op_name() const noexcept override { return "@NAME@"; }
  const char* description() const noexcept override { return "@NAME@ mock layer (stub: not written yet)"; }
  Status create(MockLayer** out) const noexcept override {
    return guarded([&] { *out = new @CLASS@MockLayer; });
  }
};

}  // namespace

void register_@NAME@_mock_layers(Registrar& r) { throw_if_error(r.add_mock_layer(new @CLASS@MockLayerFactory)); }

}  // namespace aiconf::@NAME@
)tmpl";

const char* kTestCpp = R"tmpl(// The @NAME@ plugin through the core, as `aiconf` sees it: it loads, its config parser and
// mapping work on tests/@NAME@_config.json, the operation answers a speed-of-light query, the
// collector's quick cases hold every key column, and the stub mock layer fails loudly.
#include <aiconf/hf_config.h>
#include <aiconf/loader.h>
#include <aiconf/query_engine.h>

#include <cstdio>
#include <string>

namespace {
int failures = 0;
void expect(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}
}  // namespace

int main() {
  using namespace aiconf;
  Registry reg;
  Status loaded = load_plugin_file(PLUGIN_FILE, &reg);
  expect(loaded.is_ok(), "plugin loads: " + loaded.message());
  if (!loaded) return 1;

  ModelConfig cfg;
  Status parsed = load_model_config(CONFIG_FILE, reg, &cfg);
  expect(parsed.is_ok(), "config parses: " + parsed.message());
  if (!parsed) return 1;
  expect(cfg.family == "@FAMILY@", "family is @FAMILY@ (got '" + cfg.family + "', " + cfg.detected_by + ")");
  expect(cfg.has_extension("@NAME@"), "extension @NAME@ written");

  SystemSpec sys;
  sys.name = "test";
  sys.bf16_tflops = 989;
  sys.fp32_tflops = 67;
  sys.hbm_tbps = 4.8;
  QueryEngine engine(reg, nullptr, sys, QueryMode::sol);
  Latency lat;
  Params key{{"dtype", std::string("bfloat16")}, {"num_tokens", std::int64_t(4096)}, {"hidden_size", std::int64_t(7168)}};
  Status q = engine.query("@NAME@", key, &lat);
  expect(q.is_ok() && lat.ms > 0, "speed-of-light query answers: " + (q ? std::to_string(lat.ms) + " ms" : q.message()));

  auto c = reg.collectors.find("@NAME@");
  expect(c != reg.collectors.end(), "collector registered");
  if (c != reg.collectors.end()) {
    SweepOptions opt;
    opt.quick = true;
    opt.model = &cfg;
    std::vector<Params> cases;
    Status s = c->second.object->cases(opt, &cases);
    expect(s.is_ok() && !cases.empty(), "quick cases: " + std::to_string(cases.size()) + " " + s.message());
    const auto& schema = reg.operations.at("@NAME@").object->schema();
    for (const auto& p : cases)
      for (const auto& col : schema.keys)
        if (!p.has(col.name)) expect(false, "case " + p.str() + " lacks key column " + col.name);
  }

  auto m = reg.mock_layers.find("@NAME@");
  expect(m != reg.mock_layers.end(), "mock layer registered");
  if (m != reg.mock_layers.end()) {
    MockLayer* layer = nullptr;
    expect(m->second.object->create(&layer).is_ok(), "mock layer created");
    Status s = layer->setup(key, nullptr);
    expect(!s && s.message().find("not written yet") != std::string::npos, "stub mock layer fails loudly: " + s.message());
    layer->release();
  }
  std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
)tmpl";

const char* kTestConfig = R"tmpl({
  "architectures": ["@ARCH_OR_PLACEHOLDER@"],
  "model_type": "@NAME@",
  "hidden_size": 7168,
  "num_hidden_layers": 4,
  "num_attention_heads": 56,
  "intermediate_size": 18432,
  "vocab_size": 32000,
  "max_position_embeddings": 32768,
  "torch_dtype": "bfloat16"
}
)tmpl";

const char* kReadme = R"tmpl(# @NAME@ plugin

Written by `aiconf new-op @NAME@`. What is here and what to change (docs/first_hour.md walks through it):

| file | what | status |
| --- | --- | --- |
| `@NAME@_config.cpp` | config parser (extension `@NAME@`) and the mapping `@ARCH@` -> `@FAMILY@` | reads `hidden_size`: replace |
| `@NAME@_op.cpp` | operation `@NAME@`: table `@NAME@_perf`, key columns, speed-of-light | placeholder formula: replace |
| `@NAME@_collector.cpp` | the standard sweep of `@NAME@_perf` | standard context ranges |
| `@NAME@_mock_layer.cpp` | the mock layer | **stub: fails with "not written yet"** |
| `tests/@NAME@_test.cpp` | loads the plugin through the core and checks each piece | |

Build and see it loaded:

    cmake -S . -B build -DCMAKE_PREFIX_PATH=<aiconf prefix> && cmake --build build && ctest --test-dir build
    aiconf --plugin-dir build/plugins plugins
    aiconf --plugin-dir build/plugins check @NAME@ --model tests/@NAME@_config.json
)tmpl";

}  // namespace

const std::vector<FileTemplate>& new_op_templates() {
  static const std::vector<FileTemplate> files = {
      {"CMakeLists.txt", kCMake},
      {"README.md", kReadme},
      {"plugin.cpp", kPlugin},
      {"@NAME@_config.h", kConfigH},
      {"@NAME@_config.cpp", kConfigCpp},
      {"@NAME@_op.h", kOpH},
      {"@NAME@_op.cpp", kOpCpp},
      {"@NAME@_collector.h", kCollectorH},
      {"@NAME@_collector.cpp", kCollectorCpp},
      {"@NAME@_mock_layer.h", kMockH},
      {"@NAME@_mock_layer.cpp", kMockCpp},
      {"tests/@NAME@_test.cpp", kTestCpp},
      {"tests/@NAME@_config.json", kTestConfig},
  };
  return files;
}

std::string expand_template(std::string text, const std::vector<std::pair<std::string, std::string>>& vars) {
  for (const auto& [from, to] : vars)
    for (std::size_t p = 0; (p = text.find(from, p)) != std::string::npos; p += to.size()) text.replace(p, from.size(), to);
  return text;
}

}  // namespace aiconf::cli
