// Warm query latency through the daemon's socket vs the one-shot command line (see
// query.cmake). Prints p50/p99 of each path and their ratios.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/daemon_process.h"
#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using vidx::testing::CommandResult;
using vidx::testing::DaemonProcess;
using vidx::testing::RunCommand;
using vidx::testing::ShellQuote;
using Clock = std::chrono::steady_clock;

const char* const kWords[] = {"red",        "a blue sky",  "green grass", "yellow",
                              "white wall", "black night", "magenta",     "cyan water"};

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "vidx_query_bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_src = std::string(VIDX_TINY_MODELS_DIR) + "/tiny_c";
  int queries = 200, oneshot = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) {
      model_src = argv[++i];
    } else if (a == "--queries" && i + 1 < argc) {
      queries = std::stoi(argv[++i]);
    } else if (a == "--oneshot" && i + 1 < argc) {
      oneshot = std::stoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--model DIR] [--queries N] [--oneshot N]\n", argv[0]);
      return 2;
    }
  }
  const fs::path dir =
      fs::temp_directory_path() / ("vidx_query_bench_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "lib");
  fs::create_directories(dir / "model");
  for (const auto& e : fs::directory_iterator(model_src)) {
    fs::create_symlink(fs::absolute(e.path()), dir / "model" / e.path().filename());
  }
  if (!fs::exists(dir / "model" / "vocab.json") &&
      !fs::exists(dir / "model" / "bpe_simple_vocab_16e6.txt.gz")) {
    fs::create_symlink(fs::absolute(VIDX_BENCH_VOCAB),
                       dir / "model" / "bpe_simple_vocab_16e6.txt.gz");
  }
  for (int i = 0; i < 8; ++i) {
    CommandResult r =
        RunCommand("ffmpeg -v error -y -f lavfi -i " +
                   ShellQuote("testsrc2=s=160x120:r=10:d=20,hue=h=" + std::to_string(i * 45)) +
                   " -c:v libx264 -preset ultrafast -g 10 -pix_fmt yuv420p " +
                   ShellQuote((dir / "lib" / ("v" + std::to_string(i) + ".mp4")).string()));
    if (r.exit_code != 0) return Fail("ffmpeg: " + r.err);
  }
  const std::string socket = (dir / "vidx.sock").string();
  const std::string config = (dir / "vidx.yaml").string();
  std::ofstream(config) << "state_dir: " << (dir / "state").string() << "\nlibrary:\n  roots: ["
                        << (dir / "lib").string()
                        << "]\nmodel:\n  path: " << (dir / "model").string()
                        << "\nsampling:\n  fps: 1\ndaemon:\n  socket: " << socket
                        << "\nweb:\n  listen: \"\"\n";
  const std::string vidx = std::string(VIDX_BINARY) + " --config " + ShellQuote(config) + " ";
  CommandResult indexed = RunCommand(vidx + "index " + ShellQuote((dir / "lib").string()));
  if (indexed.exit_code != 0) return Fail("vidx index: " + indexed.err);

  // 1. One-shot: no daemon answers, every query loads the model and the index.
  std::vector<double> cli_alone;
  for (int i = 0; i < oneshot; ++i) {
    const auto t0 = Clock::now();
    CommandResult r = RunCommand(vidx + "search --json " + ShellQuote(kWords[i % 8]));
    cli_alone.push_back(Ms(t0, Clock::now()));
    if (r.exit_code != 0) return Fail("vidx search: " + r.err);
  }

  // 2. The daemon, warm.
  DaemonProcess daemon(VIDX_BINARY, config, socket, (dir / "daemon.log").string());
  if (!daemon.Start() || !daemon.WaitIdle(8, 0, 120)) return Fail("daemon: " + daemon.Log());
  std::vector<double> api, cli_client;
  for (int i = 0; i < 5; ++i) daemon.Call("POST", "/v1/search", R"({"text":"warm up"})");
  for (int i = 0; i < queries; ++i) {
    const std::string body = nlohmann::json{{"text", kWords[i % 8]}, {"k", 10}}.dump();
    const auto t0 = Clock::now();
    vidx::HttpResponse r = daemon.Call("POST", "/v1/search", body);
    api.push_back(Ms(t0, Clock::now()));
    if (r.status != 200) return Fail("socket search: " + r.body);
  }
  for (int i = 0; i < oneshot; ++i) {
    const auto t0 = Clock::now();
    CommandResult r = RunCommand(vidx + "search --json " + ShellQuote(kWords[i % 8]));
    cli_client.push_back(Ms(t0, Clock::now()));
    if (r.exit_code != 0) return Fail("vidx search via daemon: " + r.err);
  }
  daemon.Stop();
  fs::remove_all(dir);

  const double a50 = Percentile(api, 0.5), a99 = Percentile(api, 0.99);
  const double c50 = Percentile(cli_alone, 0.5), c99 = Percentile(cli_alone, 0.99);
  const double k50 = Percentile(cli_client, 0.5), k99 = Percentile(cli_client, 0.99);
  std::printf("path,queries,p50_ms,p99_ms\n");
  std::printf("socket (warm daemon),%d,%.2f,%.2f\n", queries, a50, a99);
  std::printf("vidx search via daemon,%d,%.1f,%.1f\n", oneshot, k50, k99);
  std::printf("vidx search one-shot,%d,%.1f,%.1f\n", oneshot, c50, c99);
  std::printf("one-shot / socket: p50 %.0fx, p99 %.0fx\n", c50 / a50, c99 / a99);
  std::printf("one-shot / vidx search via daemon: p50 %.2fx\n", c50 / k50);
  return 0;
}
