#pragma once
// A perf table being collected: a CSV file in aiconfigurator's layout that grows one fsync'ed line
// per measured case, so a crash or a kill loses at most the case in flight. Also reading which key
// tuples a table (and its shard files) already holds, and merging shard files.

#include <aiconf/status.h>

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace aiconf::collect {

/// An open table file to which whole rows are appended.
class TableAppender {
public:
  /// Opens `path` for appending, creating it (and its folders) with `header` when absent: the
  /// header is written to a temporary file that is then hard-linked into place, so a concurrent
  /// creator never sees a half-written header and never has its rows clobbered. A trailing
  /// partial line (no newline: a write cut by a kill) is truncated away; `*truncated_bytes` says
  /// how much. Error when the existing header differs from `header` (names the file and both).
  static Status open(const std::string& path, const std::vector<std::string>& header,
                     std::unique_ptr<TableAppender>* out, std::size_t* truncated_bytes = nullptr);
  ~TableAppender();
  TableAppender(const TableAppender&) = delete;
  TableAppender& operator=(const TableAppender&) = delete;

  /// Appends one row with a single write() of the whole line, then fsync().
  Status append(const std::vector<std::string>& fields);
  const std::string& path() const { return path_; }

private:
  TableAppender(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

/// The header of a table file, or empty when the file does not exist. Error when unreadable.
Status read_table_header(const std::string& path, std::vector<std::string>* header);

/// Adds to `keys` the key tuple (join_key of the `key_columns` values, found by name in the file's
/// header) of every complete row of `path`; a missing file adds nothing. `*rows` counts them.
/// Error when the file lacks one of the key columns (names the file and the column).
Status read_table_keys(const std::string& path, const std::vector<std::string>& key_columns,
                       std::set<std::string>* keys, std::size_t* rows = nullptr);

/// The shard file of a table path: `<path>.shard-<index>-of-<count>`. The name does not end in
/// `.txt`, so the perf database never mistakes an unmerged shard for a table.
std::string shard_path(const std::string& table_path, int index, int count);
/// Every shard file of a table path present on disk, sorted.
std::vector<std::string> list_shard_files(const std::string& table_path);

/// Merges the rows of every shard file of `table_path` into it (creating it with `header`): rows
/// whose key tuple (`key_columns`) is already present are dropped. The table is rewritten through
/// a temporary file and rename; the shard files are removed afterwards. Only while no process
/// appends to any of these files. `*merged` counts the rows added.
Status merge_shard_files(const std::string& table_path, const std::vector<std::string>& header,
                         const std::vector<std::string>& key_columns, std::size_t* merged);

}  // namespace aiconf::collect
