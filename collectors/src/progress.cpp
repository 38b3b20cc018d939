#include "progress.h"

#include <cstdio>
#include <iostream>

#include <unistd.h>

namespace aiconf::collect {

std::string format_duration(double seconds) {
  if (seconds < 0) seconds = 0;
  long s = static_cast<long>(seconds + 0.5);
  char buf[48];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm%02lds", s / 3600, (s / 60) % 60, s % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

Progress::Progress(std::string prefix) : prefix_(std::move(prefix)), tty_(::isatty(2) != 0) {}

void Progress::begin_table(const std::string& table, std::size_t todo, std::size_t already_done) {
  table_ = table;
  todo_ = todo;
  already_ = already_done;
  done_ = skipped_ = 0;
  start_ = last_print_ = std::chrono::steady_clock::now();
  draw(true);
}

void Progress::case_done(bool measured) {
  ++done_;
  if (!measured) ++skipped_;
  draw(false);
}

void Progress::end_table() {
  draw(true);
  if (tty_ && drawn_) std::cerr << "\n";
  drawn_ = false;
}

void Progress::note(const std::string& message) {
  if (tty_ && drawn_) std::cerr << "\r\033[K";
  std::cerr << prefix_ << message << "\n";
  drawn_ = false;
  if (tty_) draw(true);
}

void Progress::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!tty_ && !force && now - last_print_ < std::chrono::seconds(10)) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string eta = "?";
  if (done_ > 0) eta = format_duration(elapsed / static_cast<double>(done_) * static_cast<double>(todo_ - done_));
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s: %zu/%zu cases (%zu skipped%s), elapsed %s, eta %s", table_.c_str(), done_, todo_,
                skipped_, already_ ? (", " + std::to_string(already_) + " already in the table").c_str() : "",
                format_duration(elapsed).c_str(), eta.c_str());
  if (tty_) {
    std::cerr << "\r\033[K" << prefix_ << buf << std::flush;
    drawn_ = true;
  } else {
    std::cerr << prefix_ << buf << "\n";
  }
}

}  // namespace aiconf::collect
