// HF config parsing: every shipped config, the DSA detection rule, and malformed input.
#include "aiconf_test.h"
#include "plugin_test_util.h"

#include <aiconf/hf_config.h>
#include <aiconf/loader.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace aiconf;

namespace {

const Registry& plugins() { return test::in_tree_plugins(); }

std::string write_temp(const std::string& name, const std::string& text) {
  auto dir = fs::temp_directory_path() / "aiconf_config_test";
  fs::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

Status parse_text(const std::string& text) {
  std::unique_ptr<ConfigView> view;
  if (auto s = parse_config_text(text, "t.json", &view); !s) return s;
  CoreFields f;
  return parse_core_fields(*view, &f);
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const char* kMinimal = R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256, "intermediate_size": 14336})";

}  // namespace

TEST_CASE("every example config parses with the in-tree plugins") {
  for (const auto& e : fs::directory_iterator(test::source_dir() + "/examples/configs")) {
    INFO(e.path().string());
    ModelConfig cfg;
    Status s = load_model_config(e.path().string(), plugins(), &cfg);
    CHECK(s.message() == "");
    CHECK_FALSE(cfg.family.empty());
  }
}

TEST_CASE("every config in ../shared/model_configs parses (skipped without ../shared)") {
  const auto dir = test::shared_dir() + "/model_configs";
  if (!fs::is_directory(dir)) AICONF_SKIP("../shared/model_configs is absent");
  for (const auto& e : fs::directory_iterator(dir)) {
    INFO(e.path().string());
    ModelConfig cfg;
    CHECK(load_model_config(e.path().string(), plugins(), &cfg).message() == "");
  }
}

TEST_CASE("DeepSeek-V3.2 gets the DSA family and fields from the dsa_indexer plugin") {
  ModelConfig cfg;
  REQUIRE(load_model_config(test::source_dir() + "/examples/configs/DeepSeek-V3.2.json", plugins(), &cfg).is_ok());
  CHECK(cfg.core.architecture == "DeepseekV32ForCausalLM");
  CHECK(cfg.family == "deepseek_v32");
  CHECK(cfg.integer("dsa", "index_n_heads") == 64);
  CHECK(cfg.integer("dsa", "index_head_dim") == 128);
  CHECK(cfg.integer("dsa", "index_topk") == 2048);
  CHECK(cfg.integer("dsa", "index_cache_bytes_per_token") == 132);
  CHECK(cfg.extension_owner.at("dsa") == "dsa_indexer");
}

TEST_CASE("an unknown architecture with DSA fields is claimed by the detection rule, with its own dims") {
  auto path = write_temp("glm_like.json", R"({"architectures": ["SomeNewDsaForCausalLM"], "hidden_size": 6144,
    "num_hidden_layers": 78, "num_attention_heads": 64, "vocab_size": 154880, "q_lora_rank": 2048, "kv_lora_rank": 512,
    "qk_rope_head_dim": 64, "qk_nope_head_dim": 192, "v_head_dim": 256, "index_n_heads": 32, "index_head_dim": 128,
    "index_topk": 1024, "n_routed_experts": 160, "num_experts_per_tok": 8, "moe_intermediate_size": 1536,
    "n_shared_experts": 1, "first_k_dense_replace": 3, "intermediate_size": 12288})");
  ModelConfig cfg;
  REQUIRE(load_model_config(path, plugins(), &cfg).message() == "");
  CHECK(cfg.family == "deepseek_v32");
  CHECK(has(cfg.detected_by, "detection rule"));
  CHECK(has(cfg.detected_by, "SomeNewDsaForCausalLM"));
  CHECK(cfg.integer("dsa", "index_n_heads") == 32);
  CHECK(cfg.integer("dsa", "index_topk") == 1024);
}

TEST_CASE("an unknown architecture without a claiming rule lists the known ones") {
  auto path = write_temp("unknown.json", R"({"architectures": ["MysteryForCausalLM"], "hidden_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100})");
  ModelConfig cfg;
  Status s = load_model_config(path, plugins(), &cfg);
  REQUIRE_FALSE(s.is_ok());
  CHECK(has(s.message(), path));
  CHECK(has(s.message(), "unknown architecture 'MysteryForCausalLM'"));
  CHECK(has(s.message(), "DeepseekV32ForCausalLM"));
}

TEST_CASE("text_config nesting is read") {
  Status s = parse_text(R"({"architectures": ["LlavaForConditionalGeneration"], "text_config": {"hidden_size": 4096,
    "num_hidden_layers": 32, "num_attention_heads": 32, "vocab_size": 32000}})");
  CHECK(s.message() == "");
}

TEST_CASE("malformed configs give one clear line naming the file, the path and the expectation") {
  struct Case {
    std::string text, expected;
  };
  const std::string ok = kMinimal;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = ok;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  for (const Case& c : {
           Case{ok.substr(0, ok.size() / 2), "t.json: not valid JSON"},
           Case{"[1, 2]", "t.json: $: expected a JSON object"},
           Case{replace("\"hidden_size\": 4096", "\"hidden_size\": \"4096\""), "$.hidden_size: expected an integer, found a string"},
           Case{replace("\"hidden_size\": 4096", "\"hidden_size\": 40.5"), "$.hidden_size: expected an integer, found a number"},
           Case{replace("\"num_hidden_layers\": 32,", ""), "$.num_hidden_layers: required field is missing"},
           Case{replace("\"hidden_size\": 4096", "\"hidden_size\": 0"), "$.hidden_size: expected an integer in [1, "},
           Case{replace("\"hidden_size\": 4096", "\"hidden_size\": -4096"), "found -4096"},
           Case{replace("\"hidden_size\": 4096", "\"hidden_size\": 1000000000000"), "$.hidden_size: expected an integer in"},
           Case{replace("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 7"), "expected a divisor of num_attention_heads"},
           Case{replace("[\"LlamaForCausalLM\"]", "[]"), "$.architectures: expected at least one architecture"},
           Case{replace("[\"LlamaForCausalLM\"]", "[42]"), "$.architectures[0]: expected a string"},
       }) {
    INFO(c.text);
    Status s = parse_text(c.text);
    REQUIRE_FALSE(s.is_ok());
    CHECK(has(s.message(), c.expected));
    CHECK(s.message().find('\n') == std::string::npos);
  }
}

TEST_CASE("100 MB of nesting is refused without a crash") {
  std::string deep(100u << 20, '[');
  Status s = parse_text(deep);
  REQUIRE_FALSE(s.is_ok());
  CHECK(has(s.message(), "nesting deeper than"));
  // The same as a file: refused by size before parsing.
  auto path = write_temp("deep.json", deep);
  std::unique_ptr<ConfigView> view;
  Status f = read_config_file(path, &view);
  REQUIRE_FALSE(f.is_ok());
  CHECK(has(f.message(), path));
  CHECK(has(f.message(), "a config.json is expected to be under"));
  fs::remove(path);
}

TEST_CASE("a DSA config with inconsistent indexer dims is refused by the dsa_indexer parser") {
  auto path = write_temp("bad_dsa.json", R"({"architectures": ["DeepseekV32ForCausalLM"], "hidden_size": 7168,
    "num_hidden_layers": 61, "num_attention_heads": 128, "vocab_size": 129280, "q_lora_rank": 1536, "kv_lora_rank": 512,
    "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128, "index_n_heads": 64, "index_head_dim": 32,
    "index_topk": 2048})");
  ModelConfig cfg;
  Status s = load_model_config(path, plugins(), &cfg);
  REQUIRE_FALSE(s.is_ok());
  CHECK(has(s.message(), "$.index_head_dim: expected more than qk_rope_head_dim (64)"));
  auto missing = write_temp("missing_dsa.json", R"({"architectures": ["DeepseekV32ForCausalLM"], "hidden_size": 7168,
    "num_hidden_layers": 61, "num_attention_heads": 128, "vocab_size": 129280, "q_lora_rank": 1536, "kv_lora_rank": 512,
    "qk_rope_head_dim": 64, "index_n_heads": 64, "index_head_dim": 128})");
  Status m = load_model_config(missing, plugins(), &cfg);
  REQUIRE_FALSE(m.is_ok());
  CHECK(has(m.message(), "$.index_topk: required field is missing"));
}
