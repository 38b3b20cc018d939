#pragma once
// Whole-file reading (plain or gzip, by content) and atomic writing (temp file + rename) for
// perf tables. Internal to libaiconf.

#include <aiconf/status.h>

#include <string>

namespace aiconf::perfdb {

/// Reads a whole file into `out`; gzip data (magic 1f 8b) is inflated whatever the file name says.
Status read_text_file(const std::string& path, std::string* out);

/// Writes `text` to `path` atomically: a temporary file in the same directory, then rename().
/// A path ending in ".gz" is written gzip-compressed. Parent directories are created.
Status write_text_file_atomic(const std::string& path, const std::string& text);

}  // namespace aiconf::perfdb
