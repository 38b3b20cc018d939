#include "text_file.h"

#if AICONF_HAVE_ZLIB
#include <zlib.h>
#endif

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace aiconf::perfdb {
namespace fs = std::filesystem;

namespace {

#if AICONF_HAVE_ZLIB
Status inflate_gzip(const std::string& path, const std::string& raw, std::string* out) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip header (concatenated members are handled by the loop below).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::error(path + ": cannot initialise zlib");
  out->clear();
  out->reserve(raw.size() * 6);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out->append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another gzip member follows
      continue;
    }
    if (rc != Z_OK) break;
    if (zs.avail_in == 0 && zs.avail_out != 0) break;  // input exhausted before stream end
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END)
    return Status::error(path + ": corrupt or truncated gzip data (zlib: " +
                         (zs.msg ? std::string(zs.msg) : "stream ended early") + ")");
  return Status::ok();
}

Status deflate_gzip(const std::string& path, const std::string& text, std::string* out) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status::error(path + ": cannot initialise zlib");
  out->resize(deflateBound(&zs, static_cast<uLong>(text.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  int rc = deflate(&zs, Z_FINISH);
  out->resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::error(path + ": gzip compression failed");
  return Status::ok();
}
#else
Status inflate_gzip(const std::string& path, const std::string&, std::string*) {
  return Status::error(path + ": gzip-compressed, but this libaiconf was built without zlib "
                       "(install zlib1g-dev and rebuild, or gunzip the file)");
}
Status deflate_gzip(const std::string& path, const std::string&, std::string*) {
  return Status::error(path + ": cannot write .gz: this libaiconf was built without zlib "
                       "(install zlib1g-dev and rebuild, or write .txt)");
}
#endif

}  // namespace

Status read_text_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  std::string raw;
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size < 0) return Status::error(path + ": cannot determine file size");
  raw.resize(static_cast<std::size_t>(size));
  in.seekg(0, std::ios::beg);
  if (size > 0 && !in.read(raw.data(), size)) return Status::error(path + ": read error");
  if (raw.size() >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f && static_cast<unsigned char>(raw[1]) == 0x8b)
    return inflate_gzip(path, raw, out);
  *out = std::move(raw);
  return Status::ok();
}

Status write_text_file_atomic(const std::string& path, const std::string& text) {
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Status::error(target.parent_path().string() + ": cannot create directory (" + ec.message() + ")");
  }
  std::string payload;
  const std::string* data = &text;
  if (target.extension() == ".gz") {
    Status s = deflate_gzip(path, text, &payload);
    if (!s) return s;
    data = &payload;
  }
  std::random_device rd;
  fs::path tmp = target;
  tmp += ".tmp." + std::to_string(rd());
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    if (!o) return Status::error(tmp.string() + ": cannot open for writing (" + std::strerror(errno) + ")");
    o.write(data->data(), static_cast<std::streamsize>(data->size()));
    o.flush();
    if (!o) {
      o.close();
      fs::remove(tmp, ec);
      return Status::error(tmp.string() + ": write failed (disk full?)");
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ec2;
    fs::remove(tmp, ec2);
    return Status::error(path + ": cannot rename temporary file into place (" + ec.message() + ")");
  }
  return Status::ok();
}

}  // namespace aiconf::perfdb
