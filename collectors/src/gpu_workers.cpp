#include "gpu_workers.h"

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <sys/wait.h>
#include <unistd.h>

namespace aiconf::collect {

Status parse_gpu_list(const std::string& text, std::vector<std::string>* out) {
  out->clear();
  std::size_t b = 0;
  while (b <= text.size()) {
    std::size_t e = text.find(',', b);
    std::string id = text.substr(b, e == std::string::npos ? std::string::npos : e - b);
    bool digits = !id.empty();
    for (char c : id) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    // GPU UUIDs (GPU-xxxx) are accepted as CUDA_VISIBLE_DEVICES accepts them.
    if (!digits && id.rfind("GPU-", 0) != 0 && id.rfind("MIG-", 0) != 0)
      return Status::error("--gpus '" + text + "': entry '" + id + "' is not a GPU index or UUID (expected e.g. 0,1,2,3)");
    for (const auto& seen : *out)
      if (seen == id) return Status::error("--gpus '" + text + "': GPU " + id + " is listed twice");
    out->push_back(id);
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return Status::ok();
}

std::vector<std::string> worker_argv(const std::vector<std::string>& argv, const ShardSpec& shard, const std::string& label) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--gpus" || a == "--shard" || a == "--worker-label") {
      ++i;  // drop the value too
      continue;
    }
    if (a.rfind("--gpus=", 0) == 0 || a.rfind("--shard=", 0) == 0 || a.rfind("--worker-label=", 0) == 0) continue;
    out.push_back(a);
  }
  out.push_back("--shard");
  out.push_back(shard.str());
  out.push_back("--worker-label");
  out.push_back(label);
  return out;
}

bool run_gpu_workers(const std::vector<std::string>& argv, const std::vector<std::string>& gpus, const ShardSpec& outer,
                     const std::string& report_dir, std::vector<std::string>* failures) {
  const int g = static_cast<int>(gpus.size());
  std::vector<pid_t> pids(gpus.size(), -1);
  for (int r = 0; r < g; ++r) {
    ShardSpec s{outer.index * g + r, outer.count * g, "--gpus"};
    auto args = worker_argv(argv, s, "gpu " + gpus[static_cast<std::size_t>(r)]);
    const std::string report = report_dir + "/worker-" + std::to_string(r) + ".txt";
    pid_t pid = ::fork();
    if (pid < 0) {
      failures->push_back("fork for GPU " + gpus[static_cast<std::size_t>(r)] + " failed: " + std::strerror(errno));
      continue;
    }
    if (pid == 0) {
      ::setenv("CUDA_VISIBLE_DEVICES", gpus[static_cast<std::size_t>(r)].c_str(), 1);
      ::setenv(kWorkerReportEnv, report.c_str(), 1);
      // The worker is a single-GPU run: it must not read the launcher's rank again.
      for (const char* v : {"SLURM_PROCID", "SLURM_NTASKS", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE"})
        ::unsetenv(v);
      std::vector<char*> cargv;
      for (auto& a : args) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execv("/proc/self/exe", cargv.data());
      std::cerr << "aiconf-collect: error: cannot start the worker for GPU " << gpus[static_cast<std::size_t>(r)] << ": "
                << std::strerror(errno) << "\n";
      ::_exit(127);
    }
    pids[static_cast<std::size_t>(r)] = pid;
  }
  bool ok = failures->empty();
  for (int r = 0; r < g; ++r) {
    pid_t pid = pids[static_cast<std::size_t>(r)];
    if (pid < 0) continue;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string who = "worker for GPU " + gpus[static_cast<std::size_t>(r)];
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      failures->push_back(who + " exited with status " + std::to_string(WEXITSTATUS(status)));
      ok = false;
    } else if (WIFSIGNALED(status)) {
      failures->push_back(who + " was killed by signal " + std::to_string(WTERMSIG(status)) +
                          " (its rows so far are kept; rerun with --resume)");
      ok = false;
    }
  }
  return ok;
}

}  // namespace aiconf::collect
