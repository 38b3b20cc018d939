#pragma once
/// \file status.h
/// Status: the result of every call that crosses the plugin boundary. A plugin never lets an
/// exception escape; it returns a Status whose message names the file, field and what was
/// expected. Thread-safety: a value type, safe to copy between threads.

#include <stdexcept>
#include <string>
#include <utility>

namespace aiconf {

/// Success, or an error with a one-line human message.
class Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { Status s; s.failed_ = true; s.message_ = std::move(message); return s; }

  bool is_ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return !failed_; }
  const std::string& message() const noexcept { return message_; }

private:
  bool failed_ = false;
  std::string message_;
};

/// The exception the core uses internally (never thrown across the plugin boundary).
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Throws aiconf::Error with the status message when the status is an error.
inline void throw_if_error(const Status& s) {
  if (!s.is_ok()) throw Error(s.message());
}

}  // namespace aiconf
