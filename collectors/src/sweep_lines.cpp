#include "sweep_lines.h"

#include "csv_line.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

namespace aiconf::collect {

void split_axes(const TablePlan& plan, std::vector<std::size_t>* numeric, std::vector<std::size_t>* categorical) {
  for (std::size_t k = 0; k < plan.key_columns.size(); ++k) {
    bool is_num = plan.key_columns[k].kind == ColumnKind::numeric;
    for (const auto& key : plan.keys)
      if (is_num) {
        char* end = nullptr;
        std::strtod(key[k].c_str(), &end);
        is_num = end && *end == '\0' && !key[k].empty();
      }
    (is_num ? numeric : categorical)->push_back(k);
  }
}

SweepLines::SweepLines(const TablePlan& plan) {
  split_axes(plan, &numeric_, &categorical_);
  const std::size_t n = plan.cases.size();
  line_id_.resize(numeric_.size());
  lines_.resize(numeric_.size());
  value_.resize(numeric_.size());
  for (std::size_t a = 0; a < numeric_.size(); ++a) {
    std::map<std::string, std::size_t> ids;
    for (std::size_t i = 0; i < n; ++i) {
      // The line: the case's values on every other key column.
      std::vector<std::string> rest;
      for (std::size_t k = 0; k < plan.key_columns.size(); ++k)
        if (k != numeric_[a]) rest.push_back(plan.keys[i][k]);
      auto [it, fresh] = ids.emplace(join_key(rest), lines_[a].size());
      if (fresh) lines_[a].emplace_back();
      lines_[a][it->second].push_back(i);
      line_id_[a].push_back(it->second);
      value_[a].push_back(std::strtod(plan.keys[i][numeric_[a]].c_str(), nullptr));
    }
    for (auto& l : lines_[a])
      std::stable_sort(l.begin(), l.end(), [&](std::size_t x, std::size_t y) { return value_[a][x] < value_[a][y]; });
  }
  // Categorical groups, and per axis the group's distinct values (the coarse pass's ranks).
  std::map<std::string, std::size_t> gids;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::string> g;
    for (auto c : categorical_) g.push_back(plan.keys[i][c]);
    group_.push_back(gids.emplace(join_key(g), gids.size()).first->second);
  }
  coarse_.assign(numeric_.size(), std::vector<bool>(n, false));
  plane_id_.resize(numeric_.size());
  planes_.resize(numeric_.size());
  for (std::size_t a = 0; a < numeric_.size(); ++a) {
    std::map<std::size_t, std::set<double>> distinct;
    for (std::size_t i = 0; i < n; ++i) distinct[group_[i]].insert(value_[a][i]);
    std::map<std::pair<std::size_t, double>, std::size_t> pids;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& d = distinct[group_[i]];
      const auto rank = static_cast<std::size_t>(std::distance(d.begin(), d.find(value_[a][i])));
      coarse_[a][i] = rank % 2 == 0 || rank + 1 == d.size();
      auto [it, fresh] = pids.emplace(std::make_pair(group_[i], value_[a][i]), planes_[a].size());
      if (fresh) planes_[a].emplace_back();
      planes_[a][it->second].push_back(i);
      plane_id_[a].push_back(it->second);
    }
  }
}

std::vector<std::size_t> SweepLines::coarse_plane(std::size_t axis, std::size_t i) const {
  std::vector<std::size_t> out;
  for (std::size_t c : planes_[axis][plane_id_[axis][i]]) {
    bool on = true;
    for (std::size_t b = 0; b < numeric_.size() && on; ++b)
      if (b != axis) on = coarse_[b][c];
    if (on) out.push_back(c);
  }
  return out;
}

std::vector<std::size_t> SweepLines::closure(const std::vector<std::size_t>& seeds, const std::function<bool(std::size_t)>& have) const {
  std::set<std::size_t> taken(seeds.begin(), seeds.end());
  std::vector<std::size_t> out, work(seeds.begin(), seeds.end());
  const auto got = [&](std::size_t c) { return have(c) || taken.count(c) > 0; };
  // Planes (group, value) that hold a measured or taken case, per axis.
  std::vector<std::set<std::size_t>> seen(numeric_.size());
  const auto plane_known = [&](std::size_t a, std::size_t c) {
    const std::size_t p = plane_id_[a][c];
    if (seen[a].count(p)) return true;
    for (std::size_t x : planes_[a][p])
      if (x != c && got(x)) {
        seen[a].insert(p);
        return true;
      }
    return false;
  };
  const auto add = [&](std::size_t c) {
    if (got(c)) return;
    taken.insert(c);
    out.push_back(c);
    work.push_back(c);
  };
  for (std::size_t w = 0; w < work.size(); ++w) {
    const std::size_t c = work[w];
    for (std::size_t a = 0; a < numeric_.size(); ++a) {
      if (plane_known(a, c)) continue;
      seen[a].insert(plane_id_[a][c]);
      for (std::size_t x : coarse_plane(a, c)) add(x);
    }
    for (std::size_t x : open_ends(c, got)) add(x);
  }
  return out;
}

std::vector<std::size_t> SweepLines::open_ends(std::size_t i, const std::function<bool(std::size_t)>& have) const {
  std::vector<std::size_t> out;
  auto add = [&](std::size_t c) {
    if (c != i && !have(c) && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  for (std::size_t a = 0; a < numeric_.size(); ++a) {
    const auto& l = line(a, i);
    // Two values: the other one is a neighbour, not a stretch to extrapolate over.
    if (l.size() < 3) continue;
    // The measured hull of the line, i included (ranks along the line).
    std::size_t lo = l.size(), hi = 0;
    for (std::size_t r = 0; r < l.size(); ++r)
      if (l[r] == i || have(l[r])) lo = std::min(lo, r), hi = std::max(hi, r);
    // Beyond it, the coarse pass's resolution: every other value and the line's last. Ends alone
    // are not enough: a line of two far-apart points (isl 1 and 8192) interpolates across the
    // whole range and is worse than the neighbouring lines it overrides.
    for (std::size_t r = 0; r < l.size(); ++r)
      if ((r < lo || r > hi) && (r % 2 == 0 || r + 1 == l.size())) add(l[r]);
  }
  return out;
}

}  // namespace aiconf::collect
