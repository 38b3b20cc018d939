// Runs the dsa_indexer mock layers' kernels (indexer logits, context; top-k) on exactly the inputs
// the mock layers make (same hash-based fills and seeds as plugins/dsa_indexer/indexer_mock_layers.cu,
// batch 1, step 0) and writes the outputs as raw little-endian files for dsa_reference.py, which
// regenerates the same inputs on the host and compares. The MockLayer interface exposes no output
// buffers, so this program drives the same kernel entry points directly.
// usage: dsa_dump_mock_outputs <out_dir> <isl> [index_n_heads=64] [index_head_dim=128] [index_topk=2048]
#include <aiconf/dsa/indexer_logits.h>
#include <aiconf/dsa/topk.h>
#include <aiconf_plugins/random_fill.h>

#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "dsa_dump_mock_outputs: %s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

template <class T>
void write_raw(const std::string& path, const T* dev, std::size_t count) {
  std::vector<T> host(count);
  check(cudaMemcpy(host.data(), dev, count * sizeof(T), cudaMemcpyDeviceToHost), "copy to host");
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(host.data()), static_cast<std::streamsize>(count * sizeof(T)));
  if (!f) {
    std::fprintf(stderr, "dsa_dump_mock_outputs: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aiconf::dsa;
  using namespace aiconf::plugins;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <out_dir> <isl> [index_n_heads] [index_head_dim] [index_topk]\n", argv[0]);
    return 2;
  }
  const std::string out = argv[1];
  const int isl = std::atoi(argv[2]);
  const int heads = argc > 3 ? std::atoi(argv[3]) : 64, dim = argc > 4 ? std::atoi(argv[4]) : 128;
  const int topk = argc > 5 ? std::atoi(argv[5]) : 2048;
  if (isl < 1 || !indexer_logits_supported(heads, dim)) {
    std::fprintf(stderr, "dsa_dump_mock_outputs: unsupported isl=%d heads=%d dim=%d\n", isl, heads, dim);
    return 2;
  }
  void *q, *k, *w, *ks_scale, *ks, *ke, *logits, *lens, *idx;
  check(cudaMalloc(&q, std::size_t(isl) * heads * dim), "malloc q");
  check(cudaMalloc(&k, std::size_t(isl) * dim), "malloc k");
  check(cudaMalloc(&w, std::size_t(isl) * heads * 4), "malloc w");
  check(cudaMalloc(&ks_scale, std::size_t(isl) * 4), "malloc k_scale");
  check(cudaMalloc(&ks, std::size_t(isl) * 4), "malloc ks");
  check(cudaMalloc(&ke, std::size_t(isl) * 4), "malloc ke");
  check(cudaMalloc(&logits, std::size_t(isl) * isl * 4), "malloc logits");
  check(cudaMalloc(&lens, std::size_t(isl) * 4), "malloc lens");
  check(cudaMalloc(&idx, std::size_t(isl) * topk * 4), "malloc idx");
  // The mock layer's fills (LogitsContextLayer::configure): seeds 11..14.
  fill_uniform_fp8(q, std::size_t(isl) * heads * dim, 11, -4.f, 4.f, nullptr);
  fill_uniform_fp8(k, std::size_t(isl) * dim, 12, -4.f, 4.f, nullptr);
  fill_uniform_f32(static_cast<float*>(w), std::size_t(isl) * heads, 13, -1.f, 1.f, nullptr);
  fill_uniform_f32(static_cast<float*>(ks_scale), isl, 14, 0.5f, 1.5f, nullptr);
  std::vector<int> h_ks(isl, 0), h_ke(isl);
  for (int i = 0; i < isl; ++i) h_ke[i] = i + 1;
  check(cudaMemcpy(ks, h_ks.data(), isl * 4, cudaMemcpyHostToDevice), "copy ks");
  check(cudaMemcpy(ke, h_ke.data(), isl * 4, cudaMemcpyHostToDevice), "copy ke");
  check(cudaMemcpy(lens, h_ke.data(), isl * 4, cudaMemcpyHostToDevice), "copy lens");
  fill_bytes(logits, std::size_t(isl) * isl * 4, 0xFF, nullptr);
  IndexerLogitsContextArgs a;
  a.q = q;
  a.weights = static_cast<float*>(w);
  a.k_fp8 = k;
  a.k_scale = static_cast<float*>(ks_scale);
  a.ks = static_cast<int*>(ks);
  a.ke = static_cast<int*>(ke);
  a.logits = static_cast<float*>(logits);
  a.ld_logits = isl;
  a.n_tokens = a.n_keys = a.n_cols = isl;
  a.n_heads = heads;
  a.head_dim = dim;
  a.fill_masked = true;
  check(launch_indexer_logits_context(a, nullptr), "indexer logits");
  TopkProblem t;
  t.logits = static_cast<float*>(logits);
  t.row_lengths = static_cast<int*>(lens);
  t.indices = static_cast<int*>(idx);
  t.rows = isl;
  t.cols = t.ld = isl;
  t.k = topk;
  check(launch_topk(t, nullptr, 0, nullptr), "top-k");
  check(cudaDeviceSynchronize(), "synchronize");
  write_raw(out + "/logits.f32", static_cast<float*>(logits), std::size_t(isl) * isl);
  write_raw(out + "/topk.i32", static_cast<int*>(idx), std::size_t(isl) * topk);
  std::ofstream meta(out + "/meta.json");
  meta << "{\"isl\": " << isl << ", \"index_n_heads\": " << heads << ", \"index_head_dim\": " << dim << ", \"index_topk\": " << topk
       << ", \"seeds\": {\"q\": 11, \"k\": 12, \"weights\": 13, \"k_scale\": 14}}\n";
  std::printf("wrote %s/logits.f32 and topk.i32 (isl %d)\n", out.c_str(), isl);
  return 0;
}
