#pragma once
/// \file config.h
/// ModelConfig: a Hugging Face `config.json` parsed into typed core fields plus typed per-plugin
/// extensions; ConfigView: the read-only, typed view of the JSON that config parsers and detection
/// rules receive (plugins never see a JSON library type). Every error names the file, the JSON path
/// and what was expected.

#include <aiconf/status.h>
#include <aiconf/value.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aiconf {

/// Read-only typed access to a config.json. Keys are looked up in `text_config` first (multimodal
/// wrappers nest the language model there), then at the top level. Thread-safe for reads.
class ConfigView {
public:
  virtual ~ConfigView() = default;
  /// The file the view was read from (for messages).
  virtual const std::string& source() const noexcept = 0;
  /// True when the key is present and not null.
  virtual bool has(std::string_view key) const noexcept = 0;
  /// An integer field; error when absent, not an integer, or outside [min, max].
  virtual Status get_int(std::string_view key, std::int64_t* out, std::int64_t min = 1,
                         std::int64_t max = std::int64_t(1) << 40) const noexcept = 0;
  /// A real field (integers accepted); error when absent or not a number.
  virtual Status get_double(std::string_view key, double* out) const noexcept = 0;
  virtual Status get_string(std::string_view key, std::string* out) const noexcept = 0;
  virtual Status get_bool(std::string_view key, bool* out) const noexcept = 0;
  /// An array of strings (e.g. `architectures`).
  virtual Status get_string_list(std::string_view key, std::vector<std::string>* out) const noexcept = 0;
  /// "$.text_config.key" or "$.key": where a key was (or would be) found, for messages.
  virtual std::string path_of(std::string_view key) const = 0;
  /// A string inside nested objects at a dotted path, e.g. "quantization_config.quant_method" (the
  /// first component is found like a key: text_config first, then the top level). Error naming the
  /// path when a component is missing, an intermediate is not an object, or the leaf not a string.
  /// Appended after the ABI v1 methods: plugins built earlier never call it.
  virtual Status get_string_at(std::string_view dotted_path, std::string* out) const noexcept = 0;
  /// True when every component of a dotted path exists and the leaf is not null.
  virtual bool has_at(std::string_view dotted_path) const noexcept = 0;
};

/// The fields every transformer LLM has, in Hugging Face names (normalized where names differ).
struct CoreFields {
  std::string architecture;          ///< `architectures[0]`
  std::string model_type;            ///< `model_type` ("" when absent)
  std::int64_t hidden_size = 0;
  std::int64_t num_hidden_layers = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_key_value_heads = 0;  ///< defaults to num_attention_heads
  std::int64_t head_dim = 0;             ///< defaults to hidden_size / num_attention_heads
  std::int64_t intermediate_size = 0;    ///< dense MLP width
  std::int64_t vocab_size = 0;
  std::int64_t max_position_embeddings = 0;  ///< 0 when absent
  bool tie_word_embeddings = false;
  std::string torch_dtype;               ///< e.g. "bfloat16" ("" when absent)
};

/// A parsed model configuration. Plugins add their fields as named extensions (e.g. "dsa",
/// "mla", "moe"); the model builders of other plugins read them by name, without linking the
/// plugin that parsed them.
class ModelConfig {
public:
  std::string source;        ///< the config.json path
  CoreFields core;
  std::string family;        ///< model family, e.g. "deepseek_v32"
  std::string detected_by;   ///< how the family was chosen ("architecture mapping by plugin X" ...)

  /// Sets a field of an extension (creating the extension), e.g. set("dsa", "index_topk", 2048).
  void set(const std::string& extension, const std::string& key, Value v);
  bool has_extension(std::string_view extension) const;
  bool has(std::string_view extension, std::string_view key) const;
  /// An integer field of an extension; throws aiconf::Error naming extension, key and source.
  std::int64_t integer(std::string_view extension, std::string_view key) const;
  double number(std::string_view extension, std::string_view key) const;
  std::string text(std::string_view extension, std::string_view key) const;
  /// Like integer() with a default when the extension or key is absent.
  std::int64_t integer_or(std::string_view extension, std::string_view key, std::int64_t fallback) const;

  /// extension name -> (ordered) fields.
  const std::map<std::string, Params, std::less<>>& extensions() const noexcept { return extensions_; }
  /// The plugin that wrote each extension (for `aiconf model`).
  std::map<std::string, std::string, std::less<>> extension_owner;

private:
  std::map<std::string, Params, std::less<>> extensions_;
};

}  // namespace aiconf
