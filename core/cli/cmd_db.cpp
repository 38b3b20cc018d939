// `aiconf db info <dir>` and `aiconf db validate <dir>`: what a perf database holds, and how well
// its tables predict themselves (leave-one-out).
#include "cli_common.h"
#include "perfdb_paths.h"

#include <aiconf/hf_config.h>
#include <aiconf/model_sol_key.h>
#include <aiconf/perf_database.h>

#include <cstdio>
#include <iostream>

namespace aiconf::cli {
namespace json = boost::json;

namespace {

struct DbOptions {
  std::string dir, system, table, backend, version;
  bool lenient = false, as_json = false, infer = false;
  std::size_t sample = 0, worst = 5;
  std::string test_dir;  // holdout: the database whose points are predicted
  std::string model;     // validate/holdout: config.json whose dimensions complete speed-of-light keys
};

std::vector<std::string> systems_of(const DbOptions& o) {
  if (!o.system.empty()) return {o.system};
  auto s = list_systems(o.dir);
  if (s.empty()) throw Error(o.dir + ": no system folders found (expected <dir>/<system>/<backend>/<version>/<table>.txt)");
  return s;
}

std::shared_ptr<PerfDatabase> open_db(const DbOptions& o, const std::string& system) {
  PerfDatabaseOptions po;
  po.backend = o.backend;
  po.version = o.version;
  po.lenient = o.lenient;
  std::shared_ptr<PerfDatabase> db;
  throw_if_error(open_perf_database(o.dir, system, po, &db));
  return db;
}

json::object info_json(const TableInfo& t) {
  json::object o{{"table", t.table}, {"path", t.path}, {"backend", t.backend}, {"version", t.version},
                 {"rows", t.rows}, {"rejected_latency", t.rejected_latency},
                 {"skipped_malformed", t.skipped_malformed}, {"duplicate_keys", t.duplicate_keys},
                 {"duplicate_rows", t.duplicate_rows}};
  json::array cols, alts, issues;
  for (const auto& c : t.ranges) {
    json::object co{{"name", c.name}, {"numeric", c.numeric}, {"distinct", c.distinct}};
    if (c.numeric) {
      co["min"] = c.min;
      co["max"] = c.max;
    }
    json::array vals;
    for (const auto& v : c.values) vals.push_back(json::string(v));
    co["values"] = std::move(vals);
    cols.push_back(std::move(co));
  }
  for (const auto& a : t.alternatives) alts.push_back(json::string(a));
  for (const auto& i : t.issues) issues.push_back(json::string(i));
  o["columns"] = std::move(cols);
  o["alternatives"] = std::move(alts);
  o["issues"] = std::move(issues);
  return o;
}

void print_info_text(const std::string& system, const std::string& dir, const std::vector<TableInfo>& infos) {
  std::cout << system << "  (" << dir << ")\n";
  for (const auto& t : infos) {
    std::cout << "  " << t.table << "  " << t.rows << " rows  [" << t.backend << " " << t.version << "]  " << t.path << "\n";
    if (t.rejected_latency || t.skipped_malformed || t.duplicate_keys)
      std::cout << "    rejected latency: " << t.rejected_latency << ", skipped malformed: " << t.skipped_malformed
                << ", duplicate keys: " << t.duplicate_keys << " (" << t.duplicate_rows << " extra rows, median kept)\n";
    for (const auto& c : t.ranges) {
      if (c.distinct <= 1 && (c.name == "framework" || c.name == "version" || c.name == "device")) continue;
      std::cout << "    " << c.name << ": ";
      if (c.numeric) std::cout << fmt(c.min) << " .. " << fmt(c.max) << " (" << c.distinct << " values)";
      else {
        for (std::size_t i = 0; i < c.values.size(); ++i) std::cout << (i ? ", " : "") << c.values[i];
        if (c.distinct > c.values.size()) std::cout << ", ... (" << c.distinct << " values)";
      }
      std::cout << "\n";
    }
    for (const auto& a : t.alternatives) std::cout << "    also found, not used: " << a << "\n";
    for (const auto& i : t.issues) std::cout << "    " << i << "\n";
  }
}

void run_info(const DbOptions& o) {
  json::array systems;
  for (const auto& sys : systems_of(o)) {
    auto db = open_db(o, sys);
    std::vector<TableInfo> infos;
    for (const auto& t : db->tables()) {
      if (!o.table.empty() && t.table != o.table) continue;
      TableInfo info;
      throw_if_error(db->table_info(t.table, &info));
      infos.push_back(std::move(info));
    }
    if (!o.table.empty() && infos.empty()) {
      TableInfo dummy;
      throw_if_error(db->table_info(o.table, &dummy));  // the missing-table error names the directory
    }
    if (o.as_json) {
      json::array tables;
      for (const auto& i : infos) tables.push_back(info_json(i));
      systems.push_back(json::object{{"system", sys}, {"directory", db->directory()}, {"tables", std::move(tables)}});
    } else {
      print_info_text(sys, db->directory(), infos);
    }
  }
  if (o.as_json) CliContext::print_json(json::object{{"root", o.dir}, {"systems", std::move(systems)}});
}

std::string schema_text(const TableSchema& s) {
  std::string out;
  for (const auto& k : s.keys) {
    out += (out.empty() ? "" : " ") + k.name;
    if (k.kind == ColumnKind::categorical) out += "(cat)";
    else out += k.transform == AxisTransform::log      ? "(log)"
                : k.transform == AxisTransform::sqrt   ? "(sqrt)"
                : k.transform == AxisTransform::affine ? "(affine)"
                                                       : "(lin)";
  }
  return out;
}

json::object stats_json(const ErrorStats& s) {
  return json::object{{"count", s.count}, {"median_pct", s.median}, {"p90_pct", s.p90}, {"max_pct", s.max}};
}

std::string stats_text(const ErrorStats& s) {
  if (!s.count) return "-";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%5.2f%% %6.2f%% %7.1f%% (%zu)", s.median, s.p90, s.max, s.count);
  return buf;
}

json::object report_json(const ValidationReport& rep, const std::string& note) {
  json::array worst;
  for (const auto& w : rep.worst)
    worst.push_back(json::object{{"where", w.where}, {"key", w.key}, {"measured_ms", w.measured_ms},
                                 {"predicted_ms", w.predicted_ms}, {"error_pct", w.error_pct}, {"frontier", w.frontier}});
  return json::object{{"table", rep.table}, {"path", rep.path}, {"schema", schema_text(rep.schema)},
                      {"schema_inferred", rep.schema_inferred}, {"with_sol", rep.with_sol}, {"points", rep.points},
                      {"evaluated", rep.evaluated}, {"groups", rep.groups}, {"unpredictable", rep.unpredictable},
                      {"shared", rep.shared}, {"all", stats_json(rep.all)}, {"interior", stats_json(rep.interior)},
                      {"frontier", stats_json(rep.frontier)}, {"worst", std::move(worst)}, {"note", note}};
}

void print_report(const ValidationReport& rep, const std::string& note, const std::string& points) {
  std::cout << "  " << rep.table << "  [" << (rep.schema_inferred ? "inferred" : "operation") << " schema: "
            << schema_text(rep.schema) << "]\n"
            << "    " << points << ", groups " << rep.groups << ", unpredictable " << rep.unpredictable << "\n"
            << "    interior " << stats_text(rep.interior) << "\n"
            << "    frontier " << stats_text(rep.frontier) << "\n"
            << "    all      " << stats_text(rep.all) << "\n";
  if (!rep.worst.empty())
    std::cout << "    worst: " << rep.worst[0].where << " " << rep.worst[0].key << " measured "
              << fmt(rep.worst[0].measured_ms) << " ms, predicted " << fmt(rep.worst[0].predicted_ms) << " ms\n";
  if (!note.empty()) std::cout << "    note: " << note << "\n";
}

// Operations registered by plugins give schemas (and speed-of-light) for their tables; without
// plugins (or with --infer) every schema is inferred from its table.
const Registry* schema_registry(const DbOptions& o, CliContext& ctx) {
  if (o.infer) return nullptr;
  try {
    return &ctx.registry();
  } catch (const std::exception& e) {
    std::cerr << "aiconf: warning: plugins not loaded (" << e.what() << "); inferring every schema\n";
    return nullptr;
  }
}

const Operation* operation_of_table(const Registry* reg, const std::string& table) {
  if (reg)
    for (const auto& [name, r] : reg->operations)
      if (r.object->schema().table == table) return r.object.get();
  return nullptr;
}

// --model: the config parsed once (errors name the file and field). Its dimensions are what a
// query's key adds to a table row; without them a module's speed-of-light is unknown here.
std::unique_ptr<ModelConfig> model_of(const DbOptions& o, const Registry* reg) {
  if (o.model.empty()) return nullptr;
  if (!reg) throw Error("--model " + o.model + ": needs the plugins' operations (drop --infer, check --plugin-dir)");
  auto cfg = std::make_unique<ModelConfig>();
  throw_if_error(load_model_config(o.model, *reg, cfg.get()));
  return cfg;
}

// The model's dimensions for `op`'s speed-of-light into vo->sol_key; a note when it adds none.
std::string complete_sol_key(const Registry* reg, const ModelConfig* cfg, const Operation* op, ValidationOptions* vo) {
  if (!cfg || !op) return "";
  throw_if_error(model_sol_key(*reg, *cfg, *op, &vo->sol_key));
  if (vo->sol_key.empty())
    return "model " + cfg->source + " adds no dimensions to operation '" + op->name() + "' (its table's columns are its whole key, or the model does not call it)";
  return "";
}

void run_validate(const DbOptions& o, CliContext& ctx) {
  const Registry* reg = schema_registry(o, ctx);
  const auto model = model_of(o, reg);
  json::array out_sys;
  bool any = false;
  for (const auto& sys : systems_of(o)) {
    auto db = open_db(o, sys);
    SystemSpec spec;
    bool have_spec = load_system_for(o.dir, sys, &spec).is_ok();
    json::array tables;
    if (!o.as_json) {
      std::cout << sys << "  (" << db->directory() << ")  leave-one-out |error|: median p90 max (points)\n";
    }
    for (const auto& t : db->tables()) {
      if (!o.table.empty() && t.table != o.table) continue;
      any = true;
      const Operation* op = operation_of_table(reg, t.table);
      ValidationOptions vo;
      vo.max_points = o.sample;
      vo.worst = o.worst;
      std::string note = complete_sol_key(reg, model.get(), op, &vo);
      ValidationReport rep;
      Status s = db->validate(t.table, nullptr, op, op && have_spec ? &spec : nullptr, vo, &rep);
      if (!s && op) {
        note = std::string("schema of operation '") + op->name() + "' does not fit (" + s.message() + "); inferred";
        s = db->validate(t.table, nullptr, nullptr, nullptr, vo, &rep);
      }
      if (!s) {
        if (o.as_json) tables.push_back(json::object{{"table", t.table}, {"error", s.message()}});
        else std::cout << "  " << t.table << ": error: " << s.message() << "\n";
        continue;
      }
      if (o.as_json) tables.push_back(report_json(rep, note));
      else print_report(rep, note, "points " + std::to_string(rep.points) +
                                       (rep.evaluated < rep.points ? " (sampled " + std::to_string(rep.evaluated) + ")" : ""));
    }
    if (o.as_json) out_sys.push_back(json::object{{"system", sys}, {"directory", db->directory()}, {"tables", std::move(tables)}});
  }
  if (!any && !o.table.empty()) {
    auto db = open_db(o, systems_of(o).front());
    TableInfo dummy;
    throw_if_error(db->table_info(o.table, &dummy));
  }
  if (o.as_json) CliContext::print_json(json::object{{"root", o.dir}, {"systems", std::move(out_sys)}});
}

// `aiconf db holdout <train> <test>`: how well one database (e.g. an adaptive collection) predicts
// the points of another (the full sweep) that it did not measure.
void run_holdout(const DbOptions& o, CliContext& ctx) {
  const Registry* reg = schema_registry(o, ctx);
  const auto model = model_of(o, reg);
  json::array out_sys;
  for (const auto& sys : systems_of(o)) {
    auto train = open_db(o, sys);
    DbOptions test_opt = o;
    test_opt.dir = o.test_dir;
    auto test = open_db(test_opt, sys);
    SystemSpec spec;
    bool have_spec = load_system_for(o.dir, sys, &spec).is_ok();
    json::array tables;
    if (!o.as_json)
      std::cout << sys << "  " << train->directory() << " predicting " << test->directory()
                << "  |error| of the points it lacks: median p90 max (points)\n";
    for (const auto& t : train->tables()) {
      if ((!o.table.empty() && t.table != o.table) || !test->has_table(t.table)) continue;
      const Operation* op = operation_of_table(reg, t.table);
      ValidationOptions vo;
      vo.worst = o.worst;
      std::string note = complete_sol_key(reg, model.get(), op, &vo);
      ValidationReport rep;
      Status s = validate_holdout(*train, *test, t.table, nullptr, op, op && have_spec ? &spec : nullptr, vo, &rep);
      if (!s && op) {
        note = std::string("schema of operation '") + op->name() + "' does not fit (" + s.message() + "); inferred";
        s = validate_holdout(*train, *test, t.table, nullptr, nullptr, nullptr, vo, &rep);
      }
      if (!s) {
        if (o.as_json) tables.push_back(json::object{{"table", t.table}, {"error", s.message()}});
        else std::cout << "  " << t.table << ": error: " << s.message() << "\n";
        continue;
      }
      if (o.as_json) tables.push_back(report_json(rep, note));
      else print_report(rep, note, "test points " + std::to_string(rep.points) + ", predicted " + std::to_string(rep.evaluated) +
                                       ", also in training " + std::to_string(rep.shared));
    }
    if (o.as_json) out_sys.push_back(json::object{{"system", sys}, {"tables", std::move(tables)}});
  }
  if (o.as_json) CliContext::print_json(json::object{{"train", o.dir}, {"test", o.test_dir}, {"systems", std::move(out_sys)}});
}

void common_options(CLI::App* c, DbOptions& o) {
  c->add_option("dir", o.dir, "Perf database root (holds <system>/ folders)")->required()->type_name("DIR");
  c->add_option("--system", o.system, "Only this system (default: every system folder)");
  c->add_option("--table", o.table, "Only this table");
  c->add_option("--backend", o.backend, "Only files under this backend folder");
  c->add_option("--table-version", o.version, "Only files under this version folder (e.g. 1.3.0rc20)");
  c->add_flag("--lenient", o.lenient, "Skip malformed rows (counted) instead of failing the table");
  c->add_flag("--json", o.as_json, "Print JSON");
}

}  // namespace

void add_db_command(CLI::App& app, CliContext& ctx) {
  auto* db = app.add_subcommand("db", "Inspect and validate a perf database");
  db->require_subcommand(1);
  auto info = std::make_shared<DbOptions>();
  auto* ic = db->add_subcommand("info", "Tables, rows, key ranges, rejected and duplicate rows");
  common_options(ic, *info);
  ic->callback([info] { run_info(*info); });

  auto val = std::make_shared<DbOptions>();
  auto* vc = db->add_subcommand("validate", "Leave-one-out: hold each measured point out, predict it from the rest, "
                                            "report median / p90 / max absolute % error, interior vs frontier");
  common_options(vc, *val);
  vc->add_option("--sample", val->sample, "Hold out a seeded sample of this many points per table (default: all)");
  vc->add_flag("--infer", val->infer, "Ignore plugin schemas: infer every table's schema from its header and values");
  vc->add_option("--worst", val->worst, "Report this many worst points (JSON; default 5)");
  vc->add_option("--model", val->model, "Model config.json whose dimensions complete the speed-of-light key, as a "
                                        "query's key does (e.g. a DSA module's hidden size and ranks)")->type_name("FILE");
  vc->callback([val, &ctx] { run_validate(*val, ctx); });

  auto hold = std::make_shared<DbOptions>();
  auto* hc = db->add_subcommand("holdout", "Predict the points of <test> that <dir> lacks from <dir> alone (e.g. an adaptive "
                                           "collection against the full sweep): median / p90 / max absolute % error");
  common_options(hc, *hold);
  hc->add_option("test", hold->test_dir, "Perf database root whose points are predicted")->required()->type_name("DIR");
  hc->add_flag("--infer", hold->infer, "Ignore plugin schemas: infer each schema from the training table");
  hc->add_option("--worst", hold->worst, "Report this many worst points (JSON; default 5)");
  hc->add_option("--model", hold->model, "Model config.json whose dimensions complete the speed-of-light key, as a "
                                         "query's key does (e.g. a DSA module's hidden size and ranks)")->type_name("FILE");
  hc->callback([hold, &ctx] { run_holdout(*hold, ctx); });
}

}  // namespace aiconf::cli
