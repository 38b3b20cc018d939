#include <aiconf/config.h>
#include <aiconf/model.h>

namespace aiconf {

void ModelConfig::set(const std::string& extension, const std::string& key, Value v) {
  extensions_[extension].set(key, std::move(v));
}

bool ModelConfig::has_extension(std::string_view extension) const { return extensions_.find(extension) != extensions_.end(); }

bool ModelConfig::has(std::string_view extension, std::string_view key) const {
  auto it = extensions_.find(extension);
  return it != extensions_.end() && it->second.has(key);
}

namespace {
const Params& ext_or_throw(const std::map<std::string, Params, std::less<>>& exts, std::string_view extension,
                           std::string_view key, const std::string& source) {
  auto it = exts.find(extension);
  if (it == exts.end() || !it->second.has(key))
    throw Error(source + ": field '" + std::string(key) + "' of extension '" + std::string(extension) +
                "' is not set (is the plugin that parses it loaded?)");
  return it->second;
}
}  // namespace

std::int64_t ModelConfig::integer(std::string_view extension, std::string_view key) const {
  return ext_or_throw(extensions_, extension, key, source).integer(key);
}
double ModelConfig::number(std::string_view extension, std::string_view key) const {
  return ext_or_throw(extensions_, extension, key, source).number(key);
}
std::string ModelConfig::text(std::string_view extension, std::string_view key) const {
  return ext_or_throw(extensions_, extension, key, source).text(key);
}
std::int64_t ModelConfig::integer_or(std::string_view extension, std::string_view key, std::int64_t fallback) const {
  return has(extension, key) ? integer(extension, key) : fallback;
}

const char* to_string(Phase p) noexcept { return p == Phase::context ? "context" : "generation"; }

}  // namespace aiconf
