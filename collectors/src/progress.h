#pragma once
// The progress line on stderr: "<table>: done/total cases (skipped), elapsed, eta". On a terminal
// it is redrawn in place after every case; otherwise (logs, CI) a full line is printed at most
// every 10 seconds and at the end of each table.

#include <chrono>
#include <cstddef>
#include <string>

namespace aiconf::collect {

class Progress {
public:
  /// `prefix` starts every line (e.g. "[gpu 1] " for a worker of --gpus).
  explicit Progress(std::string prefix);
  void begin_table(const std::string& table, std::size_t todo, std::size_t already_done);
  void case_done(bool measured);
  void end_table();
  /// Prints a message on its own line without garbling the progress line.
  void note(const std::string& message);

private:
  void draw(bool force);
  std::string prefix_, table_;
  bool tty_ = false, drawn_ = false;
  std::size_t todo_ = 0, done_ = 0, skipped_ = 0, already_ = 0;
  std::chrono::steady_clock::time_point start_, last_print_;
};

/// "1h02m03s" / "2m05s" / "7s".
std::string format_duration(double seconds);

}  // namespace aiconf::collect
