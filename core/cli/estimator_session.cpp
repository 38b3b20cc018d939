#include "estimator_session.h"

#include "perfdb_paths.h"

#include <aiconf/hf_config.h>

#include <iomanip>
#include <iostream>

namespace aiconf::cli {
namespace json = boost::json;

void add_workload_options(CLI::App* c, WorkloadOptions* o) {
  c->add_option("--model", o->model, "Hugging Face config.json of the model")->required()->type_name("CONFIG");
  c->add_option("--system", o->system, "System (perfdb/systems/<name>.json and <perfdb>/<name>/)")->capture_default_str();
  c->add_option("--perfdb", o->perfdb,
                "Perf database root: ours or aiconfigurator's data tree (default: $AICONF_PERFDB, the installed or source perfdb/)");
  c->add_option("--query-mode", o->query_mode, "silicon, hybrid (data, else empirical), empirical or sol")->capture_default_str();
  c->add_option("--backend", o->backend, "Only tables under this backend folder (e.g. trtllm)");
  c->add_option("--version", o->version, "Only tables under this version folder");
  c->add_option("--isl", o->rt.isl, "Input tokens per request")->capture_default_str();
  c->add_option("--osl", o->rt.osl, "Output tokens per request")->capture_default_str();
  c->add_option("--mtp", o->rt.mtp_tokens, "Draft tokens per generation step (MTP), 0 = off")->capture_default_str();
  c->add_option("--mtp-acceptance", o->rt.mtp_acceptance, "Expected accepted draft tokens per step")->capture_default_str();
  c->add_option("--chunk", o->rt.chunk_tokens, "Prompt tokens per step (chunked prefill; agg: per mixed step); 0 = isl");
  c->add_option("--max-num-tokens", o->rt.max_num_tokens, "Engine token budget per step (sizes activations)")->capture_default_str();
  c->add_option("--gen-samples", o->rt.gen_samples, "Past-length samples averaging the generation step")->capture_default_str();
  c->add_option("--kv-dtype", o->rt.kv_dtype, "Override the kv_cache_dtype of every op key (table spelling, e.g. fp8)");
  c->add_option("--gemm-dtype", o->rt.gemm_dtype, "Override gemm_dtype / mla_dtype keys (e.g. fp8_block)");
  c->add_option("--moe-dtype", o->rt.moe_dtype, "Override moe_dtype keys");
  c->add_flag("--strict-ops", o->rt.strict_ops, "Fail when an operation has no plugin (default: 0 ms with a warning)");
  c->add_flag("--json", o->as_json, "Print JSON");
}

std::unique_ptr<EstimatorSession> open_session(const WorkloadOptions& o, const Registry& reg) {
  auto s = std::make_unique<EstimatorSession>();
  throw_if_error(parse_query_mode(o.query_mode, &s->mode));
  s->perfdb_root = o.perfdb.empty() ? default_perfdb_root() : o.perfdb;
  throw_if_error(load_system_for(s->perfdb_root, o.system, &s->system));
  if (s->perfdb_root.empty()) {
    s->db_note = "no perf database root found (set --perfdb or AICONF_PERFDB)";
  } else {
    PerfDatabaseOptions po;
    po.backend = o.backend;
    po.version = o.version;
    po.max_rows = 0;  // estimates never list rows; skipping their strings doubles query throughput
    Status st = open_perf_database(s->perfdb_root, o.system, po, &s->db);
    if (!st) {
      if (s->mode == QueryMode::silicon) throw Error(st.message());
      s->db_note = st.message();
    }
  }
  s->engine = std::make_unique<QueryEngine>(reg, s->db, s->system, s->mode);
  throw_if_error(load_model_config(o.model, reg, &s->cfg));
  s->estimator = std::make_unique<Estimator>(reg, *s->engine, s->cfg);
  if (!s->estimator->builder())
    throw Error(o.model + ": no loaded plugin registers a model builder for family '" + s->cfg.family + "'");
  return s;
}

namespace {

json::object par_json(const ParallelConfig& p) {
  return {{"tp", p.tp}, {"pp", p.pp}, {"dp", p.dp}, {"ep", p.ep}, {"moe_tp", p.moe_tp}, {"gpus", p.gpus()}};
}

json::object tally_json(const ProvenanceTally& t) {
  json::object o;
  for (int i = 0; i < 5; ++i) o[to_string(static_cast<Provenance>(i))] = t[i];
  return o;
}

json::object op_json(const OpCost& o) {
  return {{"label", o.label}, {"op", o.op},           {"ms", o.ms},         {"share", o.share},
          {"count", o.count}, {"latency_ms", o.latency_ms}, {"provenance", o.missing ? "missing" : to_string(o.provenance)},
          {"table", o.table}, {"key", o.key},         {"note", o.note}};
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::string(s));
  return a;
}

std::string gib(double b) { return fmt(b / 1073741824.0, 4) + " GiB"; }

}  // namespace

json::object memory_json(const MemoryEstimate& m) {
  return {{"weights_bytes", m.weights},         {"kv_cache_bytes", m.kv_cache}, {"activations_bytes", m.activations},
          {"comm_buffers_bytes", m.comm_buffers}, {"reserved_bytes", m.reserved}, {"total_bytes", m.total},
          {"capacity_bytes", m.capacity},        {"fits", m.fits},             {"kv_bytes_per_token", m.kv_bytes_per_token},
          {"max_kv_tokens", m.max_kv_tokens},    {"notes", strings(m.notes)}};
}

json::object estimate_json(const Estimate& e, std::size_t top) {
  json::object o{{"mode", to_string(e.mode)},
                 {"parallel", par_json(e.par)},
                 {"isl", e.runtime.isl},
                 {"osl", e.runtime.osl},
                 {"batch", e.runtime.batch},
                 {"gpus", e.gpus},
                 {"ttft_ms", e.ttft_ms},
                 {"tpot_ms", e.tpot_ms},
                 {"request_latency_ms", e.request_latency_ms},
                 {"tokens_per_s_per_gpu", e.tokens_per_s_per_gpu},
                 {"tokens_per_s_per_user", e.tokens_per_s_per_user},
                 {"requests_per_s", e.requests_per_s},
                 {"concurrency", e.concurrency},
                 {"fits", e.fits},
                 {"memory", memory_json(e.memory)},
                 {"provenance_ms", tally_json(e.by_provenance)},
                 {"warnings", strings(e.warnings)},
                 {"notes", strings(e.notes)}};
  if (e.mode == ServingMode::disagg) {
    o["prefill_parallel"] = par_json(e.prefill_par);
    o["prefill_batch"] = e.runtime.prefill_batch;
    o["prefill_workers"] = e.prefill_workers;
    o["decode_workers"] = e.decode_workers;
    o["prefill_memory"] = memory_json(e.prefill_memory);
  }
  if (e.mode == ServingMode::agg) {
    o["mixed_steps"] = e.mixed_steps;
    o["generation_only_steps"] = e.generation_only_steps;
    o["mixed_generation_seqs"] = e.mixed_generation_seqs;
  }
  json::array br;
  for (std::size_t i = 0; i < e.request_breakdown.size() && (top == 0 || i < top); ++i) br.push_back(op_json(e.request_breakdown[i]));
  o["request_breakdown"] = std::move(br);
  json::array steps;
  for (const auto& s : e.steps) {
    json::array ops;
    for (const auto& oc : s.ops) ops.push_back(op_json(oc));
    steps.push_back(json::object{{"name", s.name},
                                 {"phase", to_string(s.shape.phase)},
                                 {"batch_size", s.shape.batch_size},
                                 {"new_tokens", s.shape.new_tokens},
                                 {"past_tokens", s.shape.past_tokens},
                                 {"ms", s.ms},
                                 {"worst_provenance", to_string(s.worst)},
                                 {"provenance_ms", tally_json(s.by_provenance)},
                                 {"ops", std::move(ops)}});
  }
  o["steps"] = std::move(steps);
  return o;
}

void print_estimate(std::ostream& os, const Estimate& e, const EstimatorSession& s, std::size_t top) {
  os << "model:    " << s.cfg.source << " (family " << s.cfg.family << ")\n"
     << "system:   " << s.system.name << ", perfdb " << (s.db ? s.db->directory() : "none")
     << " (query mode " << to_string(s.mode) << ")" << (s.db_note.empty() ? "" : "; " + s.db_note) << "\n"
     << "mode:     " << to_string(e.mode) << ", " << par_name(e.par);
  if (e.mode == ServingMode::disagg)
    os << " decode x" << e.decode_workers << " + prefill " << par_name(e.prefill_par) << " x" << e.prefill_workers
       << " (prefill batch " << e.runtime.prefill_batch << ")";
  os << ", isl " << e.runtime.isl << ", osl " << e.runtime.osl << ", batch " << e.runtime.batch << ", " << e.gpus << " GPUs\n\n";
  os << "TTFT               " << fmt(e.ttft_ms, 5) << " ms\n"
     << "TPOT               " << fmt(e.tpot_ms, 5) << " ms\n"
     << "request latency    " << fmt(e.request_latency_ms, 6) << " ms\n"
     << "tokens/s/GPU       " << fmt(e.tokens_per_s_per_gpu, 5) << "\n"
     << "tokens/s/user      " << fmt(e.tokens_per_s_per_user, 5) << "\n"
     << "requests/s         " << fmt(e.requests_per_s, 5) << " (concurrency " << e.concurrency << ")\n\n";
  auto mem = [&](const char* title, const MemoryEstimate& m) {
    os << title << gib(m.total) << " of " << gib(m.capacity) << (m.fits ? " (fits)" : " (DOES NOT FIT)") << "\n";
    for (const auto& n : m.notes) os << "  " << n << "\n";
    os << "  room for " << fmt(m.max_kv_tokens, 4) << " cached tokens per GPU\n";
  };
  mem(e.mode == ServingMode::disagg ? "memory per decode GPU: " : "memory per GPU: ", e.memory);
  if (e.mode == ServingMode::disagg) mem("memory per prefill GPU: ", e.prefill_memory);
  os << "\nhow:\n";
  for (const auto& n : e.notes) os << "  " << n << "\n";
  double total = 0;
  for (double v : e.by_provenance) total += v;
  os << "\nwhere one request's " << fmt(total, 6) << " ms go (top " << std::min(top, e.request_breakdown.size()) << " of "
     << e.request_breakdown.size() << "):\n";
  os << "  " << std::left << std::setw(40) << "label" << std::setw(28) << "op" << std::right << std::setw(11) << "ms"
     << std::setw(8) << "share" << "  provenance\n";
  for (std::size_t i = 0; i < e.request_breakdown.size() && i < top; ++i) {
    const auto& o = e.request_breakdown[i];
    os << "  " << std::left << std::setw(40) << o.label.substr(0, 39) << std::setw(28) << o.op.substr(0, 27) << std::right
       << std::setw(11) << fmt(o.ms, 5) << ' ' << std::setw(7) << fmt(100 * o.share, 3) << "%  "
       << (o.missing ? "missing" : to_string(o.provenance)) << (o.table.empty() ? "" : " (" + o.table + ")") << "\n";
  }
  os << "provenance of the time:";
  for (int i = 0; i < 5; ++i)
    if (e.by_provenance[i] > 0)
      os << " " << to_string(static_cast<Provenance>(i)) << " " << fmt(total > 0 ? 100 * e.by_provenance[i] / total : 0, 3) << "%";
  os << "\n\nsteps:\n";
  for (const auto& st : e.steps)
    os << "  " << st.name << ": " << fmt(st.ms, 5) << " ms, " << st.ops.size() << " ops, worst provenance " << to_string(st.worst)
       << "\n";
  if (!e.warnings.empty()) {
    os << "\nwarnings:\n";
    for (const auto& w : e.warnings) os << "  - " << w << "\n";
  }
}

}  // namespace aiconf::cli
