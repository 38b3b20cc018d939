// Search results as CSV and as a hand-written SVG plot of the frontiers (no plotting library: the
// core has no dependencies beyond Boost).
#include <aiconf/search.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace aiconf {

namespace {

std::string num(double v, int digits = 6) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status::error(path + ": cannot open for writing");
  f << text;
  f.close();
  if (!f) return Status::error(path + ": write failed");
  return Status::ok();
}

// 1, 2, 5 x 10^k tick step giving about `n` ticks over [0, hi].
double tick_step(double hi, int n) {
  const double raw = hi / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

}  // namespace

Status write_points_csv(const std::string& path, const std::vector<SearchPoint>& points) {
  std::ostringstream os;
  os << "mode,parallel,batch,chunk,prefill_parallel,prefill_batch,prefill_workers,decode_workers,gpus,ttft_ms,tpot_ms,"
        "request_latency_ms,tokens_per_s_per_gpu,tokens_per_s_per_user,memory_gib\n";
  for (const auto& p : points) {
    const bool d = p.mode == ServingMode::disagg;
    os << to_string(p.mode) << ',' << par_name(p.par) << ',' << p.batch << ',' << p.chunk << ',' << (d ? par_name(p.prefill_par) : "")
       << ',' << (d ? std::to_string(p.prefill_batch) : "") << ',' << (d ? std::to_string(p.prefill_workers) : "") << ','
       << (d ? std::to_string(p.decode_workers) : "") << ',' << p.gpus << ',' << num(p.ttft_ms) << ',' << num(p.tpot_ms) << ','
       << num(p.request_latency_ms) << ',' << num(p.tokens_per_s_per_gpu) << ',' << num(p.tokens_per_s_per_user) << ','
       << num(p.memory_bytes / 1073741824.0, 5) << '\n';
  }
  return write_file(path, os.str());
}

Status write_frontier_svg(const std::string& path, const SearchResult& r, const std::string& title) {
  const double W = 880, H = 560, L = 90, R = 250, T = 50, B = 60;  // canvas and margins (legend on the right)
  double xmax = 1, ymax = 1;
  for (const auto* f : {&r.agg_frontier, &r.disagg_frontier})
    for (const auto& p : *f) xmax = std::max(xmax, p.tokens_per_s_per_user), ymax = std::max(ymax, p.tokens_per_s_per_gpu);
  const double xs = tick_step(xmax * 1.05, 8), ys = tick_step(ymax * 1.05, 8);
  xmax = std::ceil(xmax * 1.05 / xs) * xs;
  ymax = std::ceil(ymax * 1.05 / ys) * ys;
  const double pw = W - L - R, ph = H - T - B;
  auto X = [&](double v) { return L + v / xmax * pw; };
  auto Y = [&](double v) { return T + ph - v / ymax * ph; };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W << ' ' << H
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << L << "\" y=\"28\" font-size=\"16\" font-weight=\"bold\">" << xml_escape(title) << "</text>\n";
  for (double v = 0; v <= xmax + 1e-9; v += xs)
    s << "<line x1=\"" << X(v) << "\" y1=\"" << T << "\" x2=\"" << X(v) << "\" y2=\"" << T + ph
      << "\" stroke=\"#e5e5e5\"/><text x=\"" << X(v) << "\" y=\"" << T + ph + 18 << "\" text-anchor=\"middle\">" << num(v, 4)
      << "</text>\n";
  for (double v = 0; v <= ymax + 1e-9; v += ys)
    s << "<line x1=\"" << L << "\" y1=\"" << Y(v) << "\" x2=\"" << L + pw << "\" y2=\"" << Y(v)
      << "\" stroke=\"#e5e5e5\"/><text x=\"" << L - 8 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">" << num(v, 4)
      << "</text>\n";
  s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#333\"/>\n"
    << "<text x=\"" << L + pw / 2 << "\" y=\"" << H - 15 << "\" text-anchor=\"middle\">tokens/s/user (1000 / TPOT)</text>\n"
    << "<text transform=\"translate(22," << T + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">tokens/s/GPU</text>\n";
  struct Series {
    const std::vector<SearchPoint>* pts;
    const char* name;
    const char* color;
  };
  int legend = 0;
  for (const Series& ser : {Series{&r.agg_frontier, "agg", "#1f77b4"}, Series{&r.disagg_frontier, "disagg", "#d62728"}}) {
    if (ser.pts->empty()) continue;
    std::vector<SearchPoint> pts = *ser.pts;
    std::sort(pts.begin(), pts.end(), [](auto& a, auto& b) { return a.tokens_per_s_per_user < b.tokens_per_s_per_user; });
    s << "<polyline fill=\"none\" stroke=\"" << ser.color << "\" stroke-width=\"2\" points=\"";
    for (const auto& p : pts) s << X(p.tokens_per_s_per_user) << ',' << Y(p.tokens_per_s_per_gpu) << ' ';
    s << "\"/>\n";
    for (const auto& p : pts)
      s << "<circle cx=\"" << X(p.tokens_per_s_per_user) << "\" cy=\"" << Y(p.tokens_per_s_per_gpu) << "\" r=\"3.5\" fill=\""
        << ser.color << "\"><title>" << xml_escape(p.label()) << ": " << num(p.tokens_per_s_per_gpu, 4) << " tok/s/GPU, "
        << num(p.tokens_per_s_per_user, 4) << " tok/s/user, TTFT " << num(p.ttft_ms, 4) << " ms</title></circle>\n";
    const double ly = T + 10 + 22 * legend++;
    s << "<line x1=\"" << L + pw + 20 << "\" y1=\"" << ly << "\" x2=\"" << L + pw + 44 << "\" y2=\"" << ly << "\" stroke=\""
      << ser.color << "\" stroke-width=\"3\"/><text x=\"" << L + pw + 50 << "\" y=\"" << ly + 4 << "\">" << ser.name << " frontier ("
      << pts.size() << " points)</text>\n";
  }
  // The best-throughput point of the overall frontier, labelled.
  if (!r.frontier.empty()) {
    const auto& top = *std::max_element(r.frontier.begin(), r.frontier.end(),
                                        [](auto& a, auto& b) { return a.tokens_per_s_per_gpu < b.tokens_per_s_per_gpu; });
    s << "<text x=\"" << L + pw + 20 << "\" y=\"" << T + 70 << "\" font-size=\"11\">best tokens/s/GPU:</text>\n"
      << "<text x=\"" << L + pw + 20 << "\" y=\"" << T + 86 << "\" font-size=\"10\">" << xml_escape(top.label()) << "</text>\n";
  }
  s << "</svg>\n";
  return write_file(path, s.str());
}

}  // namespace aiconf
