// `aiconf search`: every parallel configuration and batch size for agg and disagg serving within a
// GPU budget; prints the Pareto frontier of tokens/s/GPU against tokens/s/user, and writes JSON,
// CSV and an SVG plot on request.
#include "estimator_session.h"

#include <aiconf/search.h>

#include <fstream>
#include <iomanip>
#include <iostream>

namespace aiconf::cli {
namespace json = boost::json;

namespace {

struct SearchCliOptions {
  WorkloadOptions w;
  SearchOptions s;
  std::string modes = "agg,disagg";
  std::string csv, plot, json_out;
  std::size_t top = 15;
};

json::object point_json(const SearchPoint& p) {
  json::object o{{"mode", to_string(p.mode)},
                 {"label", p.label()},
                 {"parallel", par_name(p.par)},
                 {"batch", p.batch},
                 {"gpus", p.gpus},
                 {"ttft_ms", p.ttft_ms},
                 {"tpot_ms", p.tpot_ms},
                 {"request_latency_ms", p.request_latency_ms},
                 {"tokens_per_s_per_gpu", p.tokens_per_s_per_gpu},
                 {"tokens_per_s_per_user", p.tokens_per_s_per_user},
                 {"memory_bytes", p.memory_bytes}};
  if (p.mode == ServingMode::agg) o["chunk"] = p.chunk;
  if (p.mode == ServingMode::disagg) {
    o["prefill_parallel"] = par_name(p.prefill_par);
    o["prefill_batch"] = p.prefill_batch;
    o["prefill_workers"] = p.prefill_workers;
    o["decode_workers"] = p.decode_workers;
  }
  return o;
}

json::object result_json(const SearchResult& r, const EstimatorSession& s, const SearchOptions& o) {
  auto arr = [](const std::vector<SearchPoint>& v) {
    json::array a;
    for (const auto& p : v) a.push_back(point_json(p));
    return a;
  };
  json::array ex, notes;
  for (const auto& e : r.rejected_examples) ex.push_back(json::string(e));
  for (const auto& n : r.notes) notes.push_back(json::string(n));
  return {{"model", s.cfg.source},
          {"family", s.cfg.family},
          {"system", s.system.name},
          {"perfdb", s.db ? s.db->directory() : ""},
          {"total_gpus", o.total_gpus},
          {"isl", o.rt.isl},
          {"osl", o.rt.osl},
          {"ttft_limit_ms", o.ttft_limit_ms},
          {"tpot_limit_ms", o.tpot_limit_ms},
          {"seconds", r.seconds},
          {"parallel_configs", r.parallel_configs},
          {"invalid_configs", r.invalid_configs},
          {"evaluated", r.evaluated},
          {"kept", r.kept.size()},
          {"rejected_memory", r.rejected_memory},
          {"rejected_ttft", r.rejected_ttft},
          {"rejected_tpot", r.rejected_tpot},
          {"rejected_examples", std::move(ex)},
          {"queries", r.queries},
          {"cache_hits", r.cache_hits},
          {"notes", std::move(notes)},
          {"frontier", arr(r.frontier)},
          {"agg_frontier", arr(r.agg_frontier)},
          {"disagg_frontier", arr(r.disagg_frontier)}};
}

void print_table(std::ostream& os, const char* title, const std::vector<SearchPoint>& v, std::size_t top) {
  os << title << " (" << v.size() << " points" << (v.size() > top ? ", " + std::to_string(top) + " shown" : "") << "):\n";
  if (v.empty()) return;
  os << "  " << std::left << std::setw(62) << "configuration" << std::right << std::setw(6) << "GPUs" << std::setw(11) << "tok/s/GPU"
     << std::setw(12) << "tok/s/user" << std::setw(11) << "TTFT ms" << std::setw(10) << "TPOT ms" << std::setw(10) << "mem GiB" << "\n";
  // Spread the shown rows over the frontier (it is sorted by interactivity) rather than the first ones.
  const std::size_t n = std::min(top, v.size());
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = n == v.size() ? k : k * (v.size() - 1) / std::max<std::size_t>(1, n - 1);
    const auto& p = v[i];
    os << "  " << std::left << std::setw(62) << p.label().substr(0, 61) << std::right << std::setw(6) << p.gpus << std::setw(11)
       << fmt(p.tokens_per_s_per_gpu, 5) << std::setw(12) << fmt(p.tokens_per_s_per_user, 4) << std::setw(11) << fmt(p.ttft_ms, 5)
       << std::setw(10) << fmt(p.tpot_ms, 4) << std::setw(10) << fmt(p.memory_bytes / 1073741824.0, 4) << "\n";
  }
}

void run(SearchCliOptions& o, CliContext& ctx) {
  auto s = open_session(o.w, ctx.registry());
  o.s.rt = o.w.rt;
  o.s.agg = o.s.disagg = false;
  std::size_t at = 0;
  while (at <= o.modes.size()) {
    const std::size_t end = std::min(o.modes.find(',', at), o.modes.size());
    const std::string m = o.modes.substr(at, end - at);
    if (m == "agg") o.s.agg = true;
    else if (m == "disagg") o.s.disagg = true;
    else throw Error("--modes: expected agg, disagg or agg,disagg, got '" + o.modes + "'");
    at = end + 1;
  }
  SearchResult r;
  throw_if_error(run_search(*s->estimator, o.s, &r));
  const std::string title = s->cfg.core.architecture + " on " + std::to_string(o.s.total_gpus) + " x " + s->system.name + ", isl " +
                            std::to_string(o.s.rt.isl) + ", osl " + std::to_string(o.s.rt.osl);
  if (!o.csv.empty()) throw_if_error(write_points_csv(o.csv, r.kept));
  if (!o.plot.empty()) throw_if_error(write_frontier_svg(o.plot, r, title));
  const json::object j = result_json(r, *s, o.s);
  if (!o.json_out.empty()) {
    std::ofstream f(o.json_out);
    if (!f) throw Error(o.json_out + ": cannot open for writing");
    f << json::serialize(j) << "\n";
  }
  if (o.w.as_json) {
    CliContext::print_json(j);
    return;
  }
  std::cout << title << " (family " << s->cfg.family << ", perfdb " << (s->db ? s->db->directory() : "none") << ", query mode "
            << to_string(s->mode) << ")\n";
  if (o.s.ttft_limit_ms > 0 || o.s.tpot_limit_ms > 0)
    std::cout << "limits: TTFT <= " << (o.s.ttft_limit_ms > 0 ? fmt(o.s.ttft_limit_ms) + " ms" : "any") << ", TPOT <= "
              << (o.s.tpot_limit_ms > 0 ? fmt(o.s.tpot_limit_ms) + " ms" : "any") << "\n";
  std::cout << r.parallel_configs << " parallel configurations (" << r.invalid_configs << " invalid), " << r.evaluated
            << " points evaluated in " << fmt(r.seconds * 1e3, 4) << " ms; kept " << r.kept.size() << ", rejected: memory "
            << r.rejected_memory << ", TTFT " << r.rejected_ttft << ", TPOT " << r.rejected_tpot << "; " << r.queries
            << " op queries, " << r.cache_hits << " from cache\n\n";
  for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
  print_table(std::cout, "Pareto frontier, agg + disagg", r.frontier, o.top);
  std::cout << "\n";
  print_table(std::cout, "agg frontier", r.agg_frontier, std::min<std::size_t>(o.top, 8));
  std::cout << "\n";
  print_table(std::cout, "disagg frontier", r.disagg_frontier, std::min<std::size_t>(o.top, 8));
  if (!r.rejected_examples.empty()) {
    std::cout << "\nexamples of rejected configurations:\n";
    for (const auto& e : r.rejected_examples) std::cout << "  - " << e << "\n";
  }
  std::cout << "\nestimate any row with `aiconf estimate` for its breakdown and provenance.\n";
  if (!o.csv.empty()) std::cout << "wrote " << o.csv << "\n";
  if (!o.plot.empty()) std::cout << "wrote " << o.plot << "\n";
  if (!o.json_out.empty()) std::cout << "wrote " << o.json_out << "\n";
}

}  // namespace

void add_search_command(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<SearchCliOptions>();
  auto* c = app.add_subcommand("search", "Search parallel configurations and batch sizes (agg and disagg) within a GPU budget; "
                                         "Pareto frontier of tokens/s/GPU vs tokens/s/user");
  add_workload_options(c, &o->w);
  c->add_option("--total-gpus", o->s.total_gpus, "GPUs available")->capture_default_str();
  c->add_option("--ttft", o->s.ttft_limit_ms, "TTFT limit in ms (0 = none)");
  c->add_option("--tpot", o->s.tpot_limit_ms, "TPOT limit in ms (0 = none)");
  c->add_option("--modes", o->modes, "agg, disagg or agg,disagg")->capture_default_str();
  c->add_option("--batches", o->s.batches, "Batch sizes per attention rank (default 1..512)")->delimiter(',');
  c->add_option("--max-pp", o->s.max_pp, "Largest pipeline size tried")->capture_default_str();
  c->add_option("--threads", o->s.threads, "Worker threads (0 = all cores)")->capture_default_str();
  c->add_option("--csv", o->csv, "Write every kept point as CSV")->type_name("FILE");
  c->add_option("--plot", o->plot, "Write an SVG plot of the frontiers")->type_name("FILE");
  c->add_option("--json-out", o->json_out, "Write the result as JSON to a file")->type_name("FILE");
  c->add_option("--top", o->top, "Frontier rows to print")->capture_default_str();
  c->callback([o, &ctx] { run(*o, ctx); });
}

}  // namespace aiconf::cli
