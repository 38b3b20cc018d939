// The replay plugin: a collector that "measures" by reading an existing perf table, so strategies of
// aiconf-collect (the --adaptive coarse pass and rounds, budgets) can be tried on real GPU data with
// no GPU (tools/perfdb/adaptive_replay.sh). Its mock layer is a CPU layer reporting the table's
// latency as simulated time. Configured by environment, read when the plugin loads:
//   AICONF_REPLAY_TABLE   path of a perf table (.txt, aiconfigurator's layout)
//   AICONF_REPLAY_SCHEMA  its key columns in file order, "name:kind,..." with kind cat, log, sqrt,
//                         linear or affine (the schema the real operation declares)
//   AICONF_REPLAY_OP      the op_name whose rows are replayed (default: the first row's); a table
//                         holding several ops (memory_op_perf, nccl_perf) is replayed one op at a time
// The table's rows are the sweep (a repeated key: its first row); the operation "replay" owns the
// table's name. Plain CSV only: a quoted field with a comma fails the field count, loudly.
#include <aiconf/plugin/abi.h>
#include <aiconf/plugin/plugin_base.h>

#include <aiconf_collect/simulated_layer.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace {

using namespace aiconf;

struct ReplayTable {
  TableSchema schema;
  std::vector<Params> cases;               // one per distinct key, in file order
  std::map<std::string, double> latency;   // joined key text -> ms
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + '\x1f';
  return s;
}

Column parse_column(const std::string& spec) {
  auto colon = spec.find(':');
  if (colon == std::string::npos) throw Error("AICONF_REPLAY_SCHEMA: '" + spec + "': expected name:kind");
  Column c{spec.substr(0, colon), ColumnKind::numeric};
  const std::string kind = spec.substr(colon + 1);
  if (kind == "cat") c.kind = ColumnKind::categorical;
  else if (kind == "log") c.transform = AxisTransform::log;
  else if (kind == "sqrt") c.transform = AxisTransform::sqrt;
  else if (kind == "linear") c.transform = AxisTransform::linear;
  else if (kind == "affine") c.transform = AxisTransform::affine;
  else throw Error("AICONF_REPLAY_SCHEMA: column '" + c.name + "': kind '" + kind + "', expected cat, log, sqrt, linear or affine");
  return c;
}

Value typed(const Column& c, const std::string& text) {
  if (c.kind == ColumnKind::categorical) return text;
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  if (!end || *end) throw Error("column '" + c.name + "': '" + text + "' is not a number");
  if (x == static_cast<double>(static_cast<std::int64_t>(x))) return static_cast<std::int64_t>(x);
  return x;
}

ReplayTable load(const char* path, const char* schema_spec, const char* op) {
  if (!path || !schema_spec) throw Error("set AICONF_REPLAY_TABLE (a perf table) and AICONF_REPLAY_SCHEMA (its key columns)");
  ReplayTable t;
  for (const auto& spec : split(schema_spec, ',')) t.schema.keys.push_back(parse_column(spec));
  std::string p(path);
  auto slash = p.find_last_of('/');
  std::string stem = p.substr(slash == std::string::npos ? 0 : slash + 1);
  t.schema.table = stem.substr(0, stem.find('.'));
  std::ifstream in(p);
  if (!in) throw Error(p + ": cannot open");
  std::string line;
  std::getline(in, line);
  const auto header = split(line, ',');
  auto index_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    throw Error(p + ": header has no column '" + name + "'");
  };
  std::vector<std::size_t> key_at;
  for (const auto& c : t.schema.keys) key_at.push_back(index_of(c.name));
  const std::size_t lat_at = index_of("latency"), op_at = index_of("op_name");
  for (std::size_t n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const auto f = split(line, ',');
    if (f.size() != header.size()) throw Error(p + ":" + std::to_string(n) + ": " + std::to_string(f.size()) + " fields, expected " + std::to_string(header.size()));
    if (t.schema.op_names.empty()) t.schema.op_names = {op ? std::string(op) : f[op_at]};
    if (f[op_at] != t.schema.op_names.front()) continue;
    std::vector<std::string> key;
    Params shape;
    for (std::size_t k = 0; k < key_at.size(); ++k) {
      Value v = typed(t.schema.keys[k], f[key_at[k]]);
      key.push_back(to_string(v));  // as setup() will render it: "1.0" and "1" are one key
      shape.set(t.schema.keys[k].name, std::move(v));
    }
    char* end = nullptr;
    const double ms = std::strtod(f[lat_at].c_str(), &end);
    if (!end || *end || !(ms > 0)) throw Error(p + ":" + std::to_string(n) + ": latency '" + f[lat_at] + "', expected a positive number");
    if (t.latency.emplace(joined(key), ms).second) t.cases.push_back(shape);
  }
  return t;
}

const ReplayTable& table() {
  static const ReplayTable t =
      load(std::getenv("AICONF_REPLAY_TABLE"), std::getenv("AICONF_REPLAY_SCHEMA"), std::getenv("AICONF_REPLAY_OP"));
  return t;
}

class ReplayOp final : public OperationBase {
public:
  ReplayOp() : OperationBase("replay", "replays an existing perf table (collector strategies without a GPU)", table().schema) {}

protected:
  SolCost cost(const Params&) const override { return SolCost{}; }
};

class ReplayLayer final : public collect::SimulatedCpuLayer {
public:
  ReplayLayer() : SimulatedCpuLayer("cpu:replay") {}
  Status setup(const Params& shape, void*) noexcept override {
    return guarded([&] {
      std::vector<std::string> key;
      for (const auto& c : table().schema.keys) key.push_back(to_string(*shape.find(c.name)));
      auto it = table().latency.find(joined(key));
      if (it == table().latency.end()) throw Error("replay: no row for " + shape.str());
      ms_ = it->second;
    });
  }
};

class ReplayCollector final : public CollectorBase {
public:
  ReplayCollector() : CollectorBase("replay", "replay", "replay_layer") {}

protected:
  std::vector<Params> sweep(const SweepOptions&) const override { return table().cases; }
};

void register_replay(Registrar& r) {
  throw_if_error(r.add_operation(new ReplayOp));
  throw_if_error(r.add_mock_layer(
      new MockLayerFactoryOf<ReplayLayer>("replay_layer", "replay", "reports the latency of the replayed table's row")));
  throw_if_error(r.add_collector(new ReplayCollector));
}

}  // namespace

AICONF_PLUGIN("replay", "1.0.0", "replays a perf table as a CPU mock layer (collector strategies without a GPU)", register_replay)
