#pragma once
/// \file hf_config.h
/// Reading a Hugging Face `config.json` into a ModelConfig: core fields, then the family (from an
/// architecture mapping, else a plugin's detection rule), then every config parser registered for
/// that family. Errors name the file, the JSON path and what was expected.

#include <aiconf/config.h>
#include <aiconf/registry.h>
#include <aiconf/status.h>

#include <memory>
#include <string>

namespace aiconf {

/// Parses JSON text into a view (exposed for tests and detection). `source` names it in messages.
Status parse_config_text(const std::string& text, const std::string& source, std::unique_ptr<ConfigView>* out);
/// Reads and parses a file into a view.
Status read_config_file(const std::string& path, std::unique_ptr<ConfigView>* out);
/// Core fields only (no family resolution).
Status parse_core_fields(const ConfigView& view, CoreFields* out);
/// The whole pipeline: file -> core fields -> family -> plugin extensions.
Status load_model_config(const std::string& path, const Registry& registry, ModelConfig* out);

}  // namespace aiconf
