#include "table_file.h"

#include "csv_line.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aiconf::collect {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

Status write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error(path + ": write failed: " + errno_text());
    done += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

// Cuts everything after the last newline. A file holding no newline at all (a header cut short)
// becomes empty.
Status truncate_partial_line(int fd, const std::string& path, std::size_t* cut) {
  *cut = 0;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::error(path + ": stat failed: " + errno_text());
  off_t size = st.st_size;
  if (size == 0) return Status::ok();
  char last = 0;
  if (::pread(fd, &last, 1, size - 1) != 1) return Status::error(path + ": read failed: " + errno_text());
  if (last == '\n') return Status::ok();
  off_t keep = 0;
  char buf[4096];
  for (off_t end = size; end > 0 && keep == 0;) {
    off_t begin = end > off_t(sizeof buf) ? end - off_t(sizeof buf) : 0;
    ssize_t n = ::pread(fd, buf, static_cast<std::size_t>(end - begin), begin);
    if (n != end - begin) return Status::error(path + ": read failed: " + errno_text());
    for (ssize_t i = n - 1; i >= 0; --i)
      if (buf[i] == '\n') {
        keep = begin + i + 1;
        break;
      }
    end = begin;
  }
  if (::ftruncate(fd, keep) != 0) return Status::error(path + ": truncate failed: " + errno_text());
  *cut = static_cast<std::size_t>(size - keep);
  return Status::ok();
}

Status read_lines(const std::string& path, std::vector<std::string>* lines, bool* exists) {
  lines->clear();
  std::ifstream in(path, std::ios::binary);
  *exists = static_cast<bool>(in);
  if (!in) {
    std::error_code ec;
    if (fs::exists(path, ec)) return Status::error(path + ": cannot be read: " + errno_text());
    return Status::ok();
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a partial last line is not a row
    std::string line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines->push_back(std::move(line));
    pos = nl + 1;
  }
  return Status::ok();
}

// Positions of `columns` in `header`; error naming the file and the missing column.
Status column_positions(const std::string& path, const std::vector<std::string>& header,
                        const std::vector<std::string>& columns, std::vector<std::size_t>* pos) {
  pos->clear();
  for (const auto& c : columns) {
    std::size_t i = 0;
    while (i < header.size() && header[i] != c) ++i;
    if (i == header.size())
      return Status::error(path + ":1: header has no column '" + c + "' (header: " + join_csv_line(header) + ")");
    pos->push_back(i);
  }
  return Status::ok();
}

}  // namespace

Status TableAppender::open(const std::string& path, const std::vector<std::string>& header,
                           std::unique_ptr<TableAppender>* out, std::size_t* truncated_bytes) {
  const std::string header_line = join_csv_line(header) + "\n";
  std::error_code ec;
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec) return Status::error(p.parent_path().string() + ": cannot create the folder: " + ec.message());

  if (!fs::exists(p, ec)) {
    std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    int t = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (t < 0) return Status::error(tmp + ": cannot create: " + errno_text());
    Status s = write_all(t, header_line, tmp);
    if (s && ::fsync(t) != 0) s = Status::error(tmp + ": fsync failed: " + errno_text());
    ::close(t);
    // link() fails with EEXIST when another process created the table meanwhile: theirs wins.
    if (s && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST)
      s = Status::error(path + ": cannot create: " + errno_text());
    ::unlink(tmp.c_str());
    if (!s) return s;
  }

  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Status::error(path + ": cannot open for appending: " + errno_text());
  std::unique_ptr<TableAppender> t(new TableAppender(fd, path));
  std::size_t cut = 0;
  if (Status s = truncate_partial_line(fd, path, &cut); !s) return s;
  if (truncated_bytes) *truncated_bytes = cut;

  struct stat st {};
  ::fstat(fd, &st);
  if (st.st_size == 0) {
    if (Status s = write_all(fd, header_line, path); !s) return s;
    ::fsync(fd);
  } else {
    std::vector<std::string> existing;
    if (Status s = read_table_header(path, &existing); !s) return s;
    if (existing != header)
      return Status::error(path + ":1: header is '" + join_csv_line(existing) + "', expected '" + join_csv_line(header) +
                           "' (a table of other columns: move it away or collect into another --out)");
  }
  *out = std::move(t);
  return Status::ok();
}

TableAppender::~TableAppender() {
  if (fd_ >= 0) ::close(fd_);
}

Status TableAppender::append(const std::vector<std::string>& fields) {
  // One write() of the whole line: with O_APPEND the line lands whole at the end, and a kill
  // between rows leaves only complete lines (a kill inside the write leaves a partial line that
  // the next open() cuts away).
  const std::string line = join_csv_line(fields) + "\n";
  ssize_t n;
  do n = ::write(fd_, line.data(), line.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return Status::error(path_ + ": write failed: " + errno_text());
  if (static_cast<std::size_t>(n) != line.size()) {
    // A short write (disk full): complete it so the file keeps whole lines, then report.
    Status s = write_all(fd_, line.substr(static_cast<std::size_t>(n)), path_);
    if (!s) return s;
  }
  if (::fsync(fd_) != 0) return Status::error(path_ + ": fsync failed: " + errno_text());
  return Status::ok();
}

Status read_table_header(const std::string& path, std::vector<std::string>* header) {
  header->clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ok();
  std::string line;
  std::getline(in, line);
  if (!line.empty()) *header = split_csv_line(line);
  return Status::ok();
}

Status read_table_keys(const std::string& path, const std::vector<std::string>& key_columns,
                       std::set<std::string>* keys, std::size_t* rows) {
  if (rows) *rows = 0;
  std::vector<std::string> lines;
  bool exists = false;
  if (Status s = read_lines(path, &lines, &exists); !s) return s;
  if (lines.empty()) return Status::ok();
  const auto header = split_csv_line(lines[0]);
  std::vector<std::size_t> pos;
  if (Status s = column_positions(path, header, key_columns, &pos); !s) return s;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto f = split_csv_line(lines[i]);
    if (f.size() != header.size()) continue;  // malformed rows are the table reader's business
    std::vector<std::string> k;
    for (auto p : pos) k.push_back(f[p]);
    keys->insert(join_key(k));
    if (rows) ++*rows;
  }
  return Status::ok();
}

std::string shard_path(const std::string& table_path, int index, int count) {
  return table_path + ".shard-" + std::to_string(index) + "-of-" + std::to_string(count);
}

std::vector<std::string> list_shard_files(const std::string& table_path) {
  std::vector<std::string> out;
  fs::path p(table_path);
  std::error_code ec;
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string prefix = p.filename().string() + ".shard-";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.find(".tmp-") == std::string::npos) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status merge_shard_files(const std::string& table_path, const std::vector<std::string>& header,
                         const std::vector<std::string>& key_columns, std::size_t* merged) {
  *merged = 0;
  const auto shards = list_shard_files(table_path);
  if (shards.empty()) return Status::ok();
  const std::string header_line = join_csv_line(header);
  std::vector<std::size_t> pos;
  if (Status s = column_positions(table_path, header, key_columns, &pos); !s) return s;

  std::set<std::string> seen;
  std::string text = header_line + "\n";
  auto take = [&](const std::string& path, bool count) -> Status {
    std::vector<std::string> lines;
    bool exists = false;
    if (Status s = read_lines(path, &lines, &exists); !s) return s;
    if (lines.empty()) return Status::ok();
    if (lines[0] != header_line)
      return Status::error(path + ":1: header is '" + lines[0] + "', expected '" + header_line + "'");
    for (std::size_t i = 1; i < lines.size(); ++i) {
      auto f = split_csv_line(lines[i]);
      if (f.size() != header.size()) continue;
      std::vector<std::string> k;
      for (auto p : pos) k.push_back(f[p]);
      if (!seen.insert(join_key(k)).second) continue;
      text += lines[i] + "\n";
      if (count) ++*merged;
    }
    return Status::ok();
  };
  if (Status s = take(table_path, false); !s) return s;
  for (const auto& sh : shards)
    if (Status s = take(sh, true); !s) return s;

  std::error_code ec;
  fs::path p(table_path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  const std::string tmp = table_path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error(tmp + ": cannot create: " + errno_text());
  Status s = write_all(fd, text, tmp);
  if (s && ::fsync(fd) != 0) s = Status::error(tmp + ": fsync failed: " + errno_text());
  ::close(fd);
  if (s && ::rename(tmp.c_str(), table_path.c_str()) != 0) s = Status::error(table_path + ": rename failed: " + errno_text());
  if (!s) {
    ::unlink(tmp.c_str());
    return s;
  }
  for (const auto& sh : shards) fs::remove(sh, ec);
  return Status::ok();
}

}  // namespace aiconf::collect
