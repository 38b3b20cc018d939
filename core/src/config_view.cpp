// ConfigView over a Boost.JSON document: typed getters whose errors name the file, the JSON path
// and what was expected.
#include <aiconf/hf_config.h>

#include <boost/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace aiconf {
namespace json = boost::json;

namespace {

// Real configs nest 3-4 levels; anything deeper than this is not a model config (and a parser
// without a limit would recurse on adversarial input).
constexpr std::size_t kMaxDepth = 64;
// config.json files are a few KB; refuse to slurp anything absurd.
constexpr std::uintmax_t kMaxFileBytes = 64ull << 20;

std::string kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64: return "an integer (" + json::serialize(v) + ")";
    case json::kind::double_: return "a number (" + json::serialize(v) + ")";
    case json::kind::string: return "a string (" + json::serialize(v) + ")";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "unknown";
}

class JsonConfigView final : public ConfigView {
public:
  JsonConfigView(json::value doc, std::string source) : doc_(std::move(doc)), source_(std::move(source)) {
    if (const auto* obj = doc_.if_object()) {
      if (auto it = obj->find("text_config"); it != obj->end() && it->value().is_object())
        text_ = &it->value().as_object();
    }
  }

  const std::string& source() const noexcept override { return source_; }

  bool has(std::string_view key) const noexcept override {
    const json::value* v = find(key);
    return v && !v->is_null();
  }

  std::string path_of(std::string_view key) const override {
    if (text_ && text_->contains(key)) return "$.text_config." + std::string(key);
    return "$." + std::string(key);
  }

  Status get_int(std::string_view key, std::int64_t* out, std::int64_t min, std::int64_t max) const noexcept override {
    const json::value* v = find(key);
    if (!v || v->is_null()) return missing(key, "an integer");
    std::int64_t n = 0;
    if (v->is_int64()) n = v->as_int64();
    else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(max)) n = static_cast<std::int64_t>(v->as_uint64());
    else if (v->is_double() && std::floor(v->as_double()) == v->as_double() && std::fabs(v->as_double()) < 9e15)
      n = static_cast<std::int64_t>(v->as_double());
    else return wrong(key, "an integer", *v);
    if (n < min || n > max)
      return Status::error(source_ + ": " + path_of(key) + ": expected an integer in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "], found " + std::to_string(n));
    *out = n;
    return Status::ok();
  }

  Status get_double(std::string_view key, double* out) const noexcept override {
    const json::value* v = find(key);
    if (!v || v->is_null()) return missing(key, "a number");
    if (v->is_double()) *out = v->as_double();
    else if (v->is_int64()) *out = static_cast<double>(v->as_int64());
    else if (v->is_uint64()) *out = static_cast<double>(v->as_uint64());
    else return wrong(key, "a number", *v);
    if (!std::isfinite(*out)) return wrong(key, "a finite number", *v);
    return Status::ok();
  }

  Status get_string(std::string_view key, std::string* out) const noexcept override {
    const json::value* v = find(key);
    if (!v || v->is_null()) return missing(key, "a string");
    if (!v->is_string()) return wrong(key, "a string", *v);
    *out = std::string(v->as_string());
    return Status::ok();
  }

  Status get_bool(std::string_view key, bool* out) const noexcept override {
    const json::value* v = find(key);
    if (!v || v->is_null()) return missing(key, "a boolean");
    if (!v->is_bool()) return wrong(key, "a boolean", *v);
    *out = v->as_bool();
    return Status::ok();
  }

  Status get_string_list(std::string_view key, std::vector<std::string>* out) const noexcept override {
    const json::value* v = find(key);
    if (!v || v->is_null()) return missing(key, "an array of strings");
    if (!v->is_array()) return wrong(key, "an array of strings", *v);
    out->clear();
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
      const json::value& e = v->as_array()[i];
      if (!e.is_string())
        return Status::error(source_ + ": " + path_of(key) + "[" + std::to_string(i) + "]: expected a string, found " +
                             kind_of(e));
      out->emplace_back(e.as_string());
    }
    return Status::ok();
  }

  Status get_string_at(std::string_view dotted_path, std::string* out) const noexcept override {
    std::string where;
    const json::value* v = find_at(dotted_path, &where);
    const std::string path = "$." + std::string(dotted_path);
    if (!v) return Status::error(source_ + ": " + path + ": required field is missing (" + where + ")");
    if (v->is_null()) return Status::error(source_ + ": " + path + ": required field is null (expected a string)");
    if (!v->is_string()) return Status::error(source_ + ": " + path + ": expected a string, found " + kind_of(*v));
    *out = std::string(v->as_string());
    return Status::ok();
  }

  bool has_at(std::string_view dotted_path) const noexcept override {
    std::string where;
    const json::value* v = find_at(dotted_path, &where);
    return v && !v->is_null();
  }

private:
  // Walks "a.b.c": the first component like find(), the rest inside objects. On failure returns
  // null and says which component was missing or not an object.
  const json::value* find_at(std::string_view dotted_path, std::string* where) const noexcept {
    try {
      std::size_t dot = dotted_path.find('.');
      const json::value* v = find(dotted_path.substr(0, dot));
      std::string walked(dotted_path.substr(0, dot));
      if (!v) {
        *where = "no key '" + walked + "'";
        return nullptr;
      }
      while (dot != std::string_view::npos) {
        const std::size_t next = dotted_path.find('.', dot + 1);
        const std::string_view part = dotted_path.substr(dot + 1, next == std::string_view::npos ? next : next - dot - 1);
        if (!v->is_object()) {
          *where = "'" + walked + "' is " + kind_of(*v) + ", expected an object";
          return nullptr;
        }
        auto it = v->as_object().find(part);
        if (it == v->as_object().end()) {
          *where = "no key '" + std::string(part) + "' in '" + walked + "'";
          return nullptr;
        }
        v = &it->value();
        walked += "." + std::string(part);
        dot = next;
      }
      return v;
    } catch (...) {
      *where = "out of memory";
      return nullptr;
    }
  }

  const json::value* find(std::string_view key) const noexcept {
    if (text_) {
      if (auto it = text_->find(key); it != text_->end()) return &it->value();
    }
    if (const auto* obj = doc_.if_object()) {
      if (auto it = obj->find(key); it != obj->end()) return &it->value();
    }
    return nullptr;
  }
  Status missing(std::string_view key, const char* expected) const {
    return Status::error(source_ + ": " + path_of(key) + ": required field is missing (expected " + expected + ")");
  }
  Status wrong(std::string_view key, const char* expected, const json::value& v) const {
    return Status::error(source_ + ": " + path_of(key) + ": expected " + expected + ", found " + kind_of(v));
  }

  json::value doc_;
  const json::object* text_ = nullptr;
  std::string source_;
};

}  // namespace

Status parse_config_text(const std::string& text, const std::string& source, std::unique_ptr<ConfigView>* out) {
  json::parse_options opt;
  opt.max_depth = kMaxDepth;
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec, {}, opt);
  if (ec) {
    std::string what = ec.message();
    if (ec == json::error::too_deep) what = "nesting deeper than " + std::to_string(kMaxDepth) + " levels";
    return Status::error(source + ": not valid JSON: " + what);
  }
  if (!doc.is_object()) return Status::error(source + ": $: expected a JSON object at the top level");
  *out = std::make_unique<JsonConfigView>(std::move(doc), source);
  return Status::ok();
}

Status read_config_file(const std::string& path, std::unique_ptr<ConfigView>* out) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::error(path + ": cannot read: " + ec.message());
  if (size > kMaxFileBytes)
    return Status::error(path + ": file is " + std::to_string(size) + " bytes; a config.json is expected to be under " +
                         std::to_string(kMaxFileBytes) + " bytes");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config_text(ss.str(), path, out);
}

}  // namespace aiconf
