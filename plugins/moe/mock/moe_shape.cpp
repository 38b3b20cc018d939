#include "moe_shape.h"

#include <aiconf/status.h>

#include <cstdlib>

namespace aiconf::moe {

namespace {

std::int64_t positive(const Params& key, const char* name, std::int64_t max) {
  const std::int64_t v = key.integer(name);
  if (v < 1 || v > max)
    throw Error(std::string("moe mock layer: key '") + name + "' = " + std::to_string(v) + ": expected 1.." + std::to_string(max));
  return v;
}

}  // namespace

MoeShape MoeShape::from(const Params& key) {
  MoeShape s;
  s.tokens = positive(key, "num_tokens", 1 << 20);
  s.hidden = positive(key, "hidden_size", 1 << 16);
  s.inter = positive(key, "inter_size", 1 << 18);
  s.topk = positive(key, "topk", 64);
  s.experts = positive(key, "num_experts", 1024);
  s.tp = key.integer_or("moe_tp_size", 1);
  s.ep = key.integer_or("moe_ep_size", 1);
  if (s.topk > s.experts) throw Error("moe mock layer: topk " + std::to_string(s.topk) + " > num_experts " + std::to_string(s.experts));
  if (s.tp < 1 || s.inter % s.tp != 0)
    throw Error("moe mock layer: moe_tp_size " + std::to_string(s.tp) + ": expected >= 1 and dividing inter_size " + std::to_string(s.inter));
  if (s.ep < 1 || s.experts % s.ep != 0)
    throw Error("moe mock layer: moe_ep_size " + std::to_string(s.ep) + ": expected >= 1 and dividing num_experts " +
                std::to_string(s.experts));
  // Vector loads of 8 bf16 / 16 fp8 per row and 16-byte aligned GEMM operands.
  if (s.hidden % 16 != 0 || s.inter_local() % 16 != 0)
    throw Error("moe mock layer: hidden_size " + std::to_string(s.hidden) + " and inter_size/moe_tp_size " +
                std::to_string(s.inter_local()) + ": expected multiples of 16");
  if (s.experts > 1024) throw Error("moe mock layer: num_experts > 1024 is not supported by the routing kernel");
  s.dtype_name = key.text("moe_dtype");
  if (s.dtype_name == "bfloat16") s.dtype = MoeDtype::kBf16;
  else if (s.dtype_name == "fp8") s.dtype = MoeDtype::kFp8;
  else if (s.dtype_name == "fp8_block") s.dtype = MoeDtype::kFp8Block;
  else throw Error("moe mock layer: key 'moe_dtype' = '" + s.dtype_name + "': expected bfloat16, fp8 or fp8_block "
                   "(w4a16_mxfp4 and nvfp4 have no mock layer yet)");
  s.distribution = key.text_or("distribution", "balanced");
  if (s.distribution.rfind("power_law_", 0) == 0) {
    const std::string a = s.distribution.substr(10);
    char* end = nullptr;
    s.alpha = std::strtod(a.c_str(), &end);
    if (a.empty() || *end != '\0' || !(s.alpha > 0))
      throw Error("moe mock layer: key 'distribution' = '" + s.distribution + "': expected power_law_<alpha>, alpha > 0");
  } else if (s.distribution != "balanced") {
    throw Error("moe mock layer: key 'distribution' = '" + s.distribution + "': expected balanced or power_law_<alpha>");
  }
  const std::string scoring = key.text_or("router_scoring", "softmax");
  if (scoring != "softmax" && scoring != "sigmoid")
    throw Error("moe mock layer: key 'router_scoring' = '" + scoring + "': expected softmax or sigmoid");
  s.sigmoid = scoring == "sigmoid";
  const std::int64_t streams = key.integer_or("moe_streams", kDefaultStreams);
  if (streams < 1 || streams > 16)
    throw Error("moe mock layer: key 'moe_streams' = " + std::to_string(streams) + ": expected 1..16");
  s.streams = static_cast<int>(streams);
  return s;
}

}  // namespace aiconf::moe
