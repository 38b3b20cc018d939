// The PerfDatabase implementation: lazy table loading, one GridIndex per (table, schema), the
// query chain by mode, and leave-one-out validation.
#include "grid_index.h"
#include "query_chain.h"
#include "schema_infer.h"
#include "table_locator.h"
#include "table_reader.h"
#include "validation.h"

#include <aiconf/perf_database.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace aiconf {

namespace {

using namespace perfdb;

bool same_schema(const TableSchema& a, const TableSchema& b) {
  if (a.table != b.table || a.op_names != b.op_names || a.keys.size() != b.keys.size()) return false;
  for (std::size_t i = 0; i < a.keys.size(); ++i) {
    const Column &x = a.keys[i], &y = b.keys[i];
    if (x.name != y.name || x.kind != y.kind || x.transform != y.transform) return false;
    if (!(x.default_value == y.default_value || (std::isnan(x.default_value) && std::isnan(y.default_value))))
      return false;
  }
  return true;
}

struct IndexEntry {
  TableSchema schema;
  std::unique_ptr<GridIndex> index;
  Status status;
};

struct TableEntry {
  TableFile file;
  std::vector<TableFile> alternatives;
  std::once_flag loaded;
  std::atomic<bool> ready{false};  // set once `loaded` ran: later lookups skip call_once's setup
  Status load_status;
  std::unique_ptr<TableData> data;
  std::size_t duplicate_keys = 0, duplicate_rows = 0;
  mutable std::shared_mutex mu;  // guards `indexes`
  std::unordered_map<const TableSchema*, std::shared_ptr<IndexEntry>> indexes;
  std::vector<std::shared_ptr<IndexEntry>> retired;  // replaced indexes (a pointer handed out stays valid)
};

// The speed-of-light function of each categorical group of an index: the operation's cost at the
// group's category values (extrapolation then holds the boundary point's utilization). `extra`
// holds what a query's key has beyond the table's columns (model dimensions); columns win.
GroupSolFactory group_sol_factory(const GridIndex& index, const TableData& data, const Operation& op, const SystemSpec& sys,
                                  const Params& extra) {
  return [&index, &data, &op, &sys, &extra](int g) {
    Params base = extra;
    const std::uint32_t* codes = index.group_codes(g);
    for (std::size_t i = 0; i < index.categories().size(); ++i) {
      const auto& col = data.columns[static_cast<std::size_t>(index.categories()[i].column)];
      const std::string& text = col.text[codes[i]];
      double num = col.number[codes[i]];
      if (std::isnan(num)) base.set(index.categories()[i].name, text);
      else if (std::floor(num) == num) base.set(index.categories()[i].name, static_cast<std::int64_t>(num));
      else base.set(index.categories()[i].name, num);
    }
    return make_op_sol(op, sys, base, index.axes());
  };
}

class Database final : public PerfDatabase {
public:
  Database(std::string system, std::string dir, PerfDatabaseOptions opt,
           std::map<std::string, std::vector<TableFile>> files)
      : system_(std::move(system)), dir_(std::move(dir)), opt_(std::move(opt)) {
    for (auto& [name, list] : files) {
      auto e = std::make_unique<TableEntry>();
      e->file = list.front();
      e->alternatives.assign(list.begin() + 1, list.end());
      tables_.emplace(name, std::move(e));
    }
  }

  const std::string& system_name() const noexcept override { return system_; }
  const std::string& directory() const noexcept override { return dir_; }
  bool has_table(const std::string& t) const override { return tables_.count(t) != 0; }

  std::vector<TableInfo> tables() const override {
    std::vector<TableInfo> out;
    for (const auto& [name, e] : tables_) {
      TableInfo info;
      describe(*e, &info, false);
      out.push_back(std::move(info));
    }
    return out;
  }

  Status table_info(const std::string& table, TableInfo* out) const noexcept override {
    try {
      TableEntry* e = nullptr;
      Status s = load(table, &e);
      if (!s) return s;
      describe(*e, out, true);
      return Status::ok();
    } catch (const std::exception& ex) {
      return Status::error(table + ": " + ex.what());
    }
  }

  Status infer_schema(const std::string& table, TableSchema* out) const noexcept override {
    try {
      TableEntry* e = nullptr;
      Status s = load(table, &e);
      if (!s) return s;
      *out = perfdb::infer_schema(*e->data);
      return Status::ok();
    } catch (const std::exception& ex) {
      return Status::error(table + ": " + ex.what());
    }
  }

  Status lookup(const Operation& op, const Params& key, const SystemSpec& sys, QueryMode mode,
                Latency* out) const noexcept override {
    try {
      if (mode == QueryMode::sol) return sol_answer(op, key, sys, "mode sol", out);
      if (mode == QueryMode::empirical) return empirical_answer(op, key, sys, "mode empirical", out);
      const TableSchema& schema = op.schema();
      const GridIndex* index = nullptr;
      Status s = index_for(schema, &index);
      std::string reason;
      if (s) {
        DataOutcome d = data_lookup(*index, key, &op, &sys, opt_.max_rows, out, &reason);
        if (d == DataOutcome::answered) return Status::ok();
        if (d == DataOutcome::bad_key) return Status::error(std::string("operation '") + op.name() + "': " + reason);
      } else {
        reason = s.message();
      }
      if (mode == QueryMode::silicon)
        return Status::error(std::string("operation '") + op.name() + "' (mode silicon): " + reason);
      Status e = empirical_answer(op, key, sys, "no measured data: " + reason, out);
      if (e) out->table = schema.table;
      return e;
    } catch (const std::exception& ex) {
      return Status::error(std::string("operation '") + op.name() + "': " + ex.what());
    }
  }

  Status lookup_table(const TableSchema& schema, const Params& key, Latency* out) const noexcept override {
    try {
      const GridIndex* index = nullptr;
      Status s = index_for(schema, &index);
      if (!s) return s;
      std::string reason;
      DataOutcome d = data_lookup(*index, key, nullptr, nullptr, opt_.max_rows, out, &reason);
      if (d == DataOutcome::answered) return Status::ok();
      return Status::error("table " + schema.table + ": " + reason);
    } catch (const std::exception& ex) {
      return Status::error("table " + schema.table + ": " + ex.what());
    }
  }

  Status validate(const std::string& table, const TableSchema* schema, const Operation* op, const SystemSpec* sys,
                  const ValidationOptions& opt, ValidationReport* out) const noexcept override {
    try {
      TableSchema sc;
      GridIndex index;
      std::string path;
      const TableData* data = nullptr;
      if (Status s = index_with(table, schema ? schema : op ? &op->schema() : nullptr, &sc, &index, &path, &data); !s) return s;
      *out = ValidationReport{};
      out->table = table;
      out->path = path;
      out->schema = sc;
      out->schema_inferred = !schema && !op;
      GroupSolFactory factory;
      if (op && sys) {
        out->with_sol = true;
        factory = group_sol_factory(index, *data, *op, *sys, opt.sol_key);
      }
      leave_one_out(index, factory, opt, out);
      return Status::ok();
    } catch (const std::exception& ex) {
      return Status::error(table + ": " + ex.what());
    }
  }

  /// A table's rows, its schema (given, or inferred from it) and the GridIndex of both (validation
  /// and holdout build their own index: no query's cached one is touched).
  Status index_with(const std::string& table, const TableSchema* schema, TableSchema* sc, GridIndex* index,
                    std::string* path, const TableData** data) const {
    TableEntry* e = nullptr;
    Status s = load(table, &e);
    if (!s) return s;
    *sc = schema ? *schema : perfdb::infer_schema(*e->data);
    sc->table = table;
    *path = e->file.path;
    *data = e->data.get();
    return GridIndex::build(*e->data, *sc, opt_.lenient, index);
  }

private:
  Status load(const std::string& table, TableEntry** out) const {
    auto it = tables_.find(table);
    if (it == tables_.end())
      return Status::error("table '" + table + "' not found: searched " + dir_ +
                           " recursively for " + table + ".txt / " + table + ".txt.gz" +
                           (opt_.backend.empty() ? "" : " under backend '" + opt_.backend + "'") +
                           (opt_.version.empty() ? "" : " version '" + opt_.version + "'"));
    TableEntry& e = *it->second;
    if (!e.ready.load(std::memory_order_acquire)) std::call_once(e.loaded, [&] {
      auto data = std::make_unique<TableData>();
      ReadOptions ro;
      ro.lenient = opt_.lenient;
      e.load_status = read_table(e.file.path, ro, data.get());
      if (e.load_status) {
        count_duplicates(*data, &e.duplicate_keys, &e.duplicate_rows);
        e.data = std::move(data);
      }
      e.ready.store(true, std::memory_order_release);
    });
    if (!e.load_status) return e.load_status;
    *out = &e;
    return Status::ok();
  }

  static void count_duplicates(const TableData& t, std::size_t* keys, std::size_t* rows) {
    // Full key: every non-latency column's code.
    std::unordered_map<std::string, std::uint32_t> seen;
    seen.reserve(t.rows());
    std::string k;
    *keys = *rows = 0;
    for (std::size_t r = 0; r < t.rows(); ++r) {
      k.clear();
      for (const auto& c : t.columns) k.append(reinterpret_cast<const char*>(&c.code[r]), sizeof(std::uint32_t));
      auto [pos, fresh] = seen.emplace(k, 1u);
      if (!fresh) {
        if (pos->second++ == 1) ++*keys;
        ++*rows;
      }
    }
  }

  Status index_for(const TableSchema& schema, const GridIndex** out) const {
    TableEntry* e = nullptr;
    Status s = load(schema.table, &e);
    if (!s) return s;
    {
      std::shared_lock lock(e->mu);
      auto it = e->indexes.find(&schema);
      if (it != e->indexes.end() && same_schema(it->second->schema, schema)) {
        if (!it->second->status) return it->second->status;
        *out = it->second->index.get();
        return Status::ok();
      }
    }
    auto entry = std::make_shared<IndexEntry>();
    entry->schema = schema;
    entry->index = std::make_unique<GridIndex>();
    entry->status = GridIndex::build(*e->data, schema, opt_.lenient, entry->index.get());
    std::unique_lock lock(e->mu);
    auto& slot = e->indexes[&schema];
    if (slot && same_schema(slot->schema, schema)) entry = slot;  // another thread built it first
    else {
      if (slot) e->retired.push_back(slot);  // a schema at a reused address: keep the old index alive
      slot = entry;
    }
    if (!entry->status) return entry->status;
    *out = entry->index.get();
    return Status::ok();
  }

  void describe(const TableEntry& e, TableInfo* info, bool loaded) const {
    info->table = e.file.name;
    info->path = e.file.path;
    info->backend = e.file.backend;
    info->version = e.file.version;
    for (const auto& a : e.alternatives) info->alternatives.push_back(a.path);
    if (!loaded || !e.data) return;
    const TableData& t = *e.data;
    info->loaded = true;
    info->rows = t.rows();
    info->rejected_latency = t.rejected_latency;
    info->skipped_malformed = t.skipped_malformed;
    info->duplicate_keys = e.duplicate_keys;
    info->duplicate_rows = e.duplicate_rows;
    for (const auto& c : t.columns) {
      if (!is_fixed_column(c.name)) info->columns.push_back(c.name);
      ColumnSummary cs;
      cs.name = c.name;
      cs.numeric = c.all_numeric && !c.text.empty();
      cs.distinct = c.text.size();
      if (cs.numeric) {
        cs.min = cs.max = c.number[0];
        for (double x : c.number) {
          cs.min = std::min(cs.min, x);
          cs.max = std::max(cs.max, x);
        }
      }
      for (std::size_t i = 0; i < c.text.size() && i < 16; ++i) cs.values.push_back(c.text[i]);
      cs.counts.assign(cs.values.size(), 0);
      for (std::uint32_t code : c.code)
        if (code < cs.counts.size()) ++cs.counts[code];
      info->ranges.push_back(std::move(cs));
    }
    for (const auto& is : t.issues) info->issues.push_back(t.path + ":" + std::to_string(is.line) + ": " + is.reason);
  }

  std::string system_, dir_;
  PerfDatabaseOptions opt_;
  std::map<std::string, std::unique_ptr<TableEntry>> tables_;
};

}  // namespace

Status validate_holdout(const PerfDatabase& train, const PerfDatabase& test, const std::string& table,
                        const TableSchema* schema, const Operation* op, const SystemSpec* sys,
                        const ValidationOptions& opt, ValidationReport* out) {
  try {
    const auto* tr = dynamic_cast<const Database*>(&train);
    const auto* te = dynamic_cast<const Database*>(&test);
    if (!tr || !te) return Status::error("validate_holdout: both databases must come from open_perf_database");
    TableSchema sc, unused;
    GridIndex train_index, test_index;
    std::string train_path, test_path;
    const TableData *train_data = nullptr, *test_data = nullptr;
    if (Status s = tr->index_with(table, schema ? schema : op ? &op->schema() : nullptr, &sc, &train_index, &train_path, &train_data); !s)
      return s;
    if (Status s = te->index_with(table, &sc, &unused, &test_index, &test_path, &test_data); !s) return s;
    *out = ValidationReport{};
    out->table = table;
    out->path = test_path;
    out->schema = sc;
    out->schema_inferred = schema == nullptr && op == nullptr;
    GroupSolFactory factory;
    if (op && sys) {
      out->with_sol = true;
      factory = group_sol_factory(train_index, *train_data, *op, *sys, opt.sol_key);
    }
    holdout(train_index, test_index, factory, opt, out);
    return Status::ok();
  } catch (const std::exception& ex) {
    return Status::error(table + ": holdout: " + ex.what());
  }
}

Status open_perf_database(const std::string& root, const std::string& system, const PerfDatabaseOptions& opt,
                          std::shared_ptr<PerfDatabase>* out) {
  try {
    std::string dir = system_directory(root, system);
    std::map<std::string, std::vector<TableFile>> files;
    Status s = find_tables(dir, opt, &files);
    if (!s) return Status::error("perf database for system '" + system + "': " + s.message());
    *out = std::make_shared<Database>(system, dir, opt, std::move(files));
    return Status::ok();
  } catch (const std::exception& ex) {
    return Status::error("perf database " + root + " / " + system + ": " + ex.what());
  }
}

Status open_perf_database(const std::string& root, const std::string& system, std::shared_ptr<PerfDatabase>* out) {
  return open_perf_database(root, system, PerfDatabaseOptions{}, out);
}

}  // namespace aiconf
