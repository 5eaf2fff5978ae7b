#include "tests/tiny_library.h"

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "tests/run_command.h"

namespace vidx::testing {

namespace fs = std::filesystem;

const char kClipVocab[] = "../shared/data/clip/bpe_simple_vocab_16e6.txt.gz";

std::string MakeTinyModels(const std::string& tiny_models_dir, const std::string& dir) {
  std::error_code ec;
  for (const char* name : {"tiny_c", "tiny_c2"}) {
    const fs::path src = fs::path(tiny_models_dir) / "tiny_c";
    const fs::path model = fs::path(dir) / name;
    fs::create_directories(model, ec);
    for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
      fs::copy_file(src / f, model / f, fs::copy_options::overwrite_existing, ec);
      if (ec) return "cannot copy " + (src / f).string() + ": " + ec.message();
    }
    fs::copy_file(kClipVocab, model / "bpe_simple_vocab_16e6.txt.gz",
                  fs::copy_options::overwrite_existing, ec);
    if (ec) return std::string("cannot copy ") + kClipVocab + ": " + ec.message();
  }
  // safetensors: u64 header length, header, then the data; flip the first data byte's bit 0.
  std::fstream f(fs::path(dir) / "tiny_c2" / "model.safetensors",
                 std::ios::in | std::ios::out | std::ios::binary);
  uint64_t header = 0;
  f.read(reinterpret_cast<char*>(&header), 8);
  char byte = 0;
  f.seekg(static_cast<std::streamoff>(8 + header));
  f.get(byte);
  f.seekp(static_cast<std::streamoff>(8 + header));
  f.put(static_cast<char>(byte ^ 1));
  return f.good() ? "" : "cannot modify tiny_c2/model.safetensors";
}

std::string MakeVideos(const std::string& dir, int n, double seconds,
                       std::vector<std::string>* paths) {
  fs::create_directories(dir);
  paths->clear();
  std::string cmd = "ffmpeg -v error -y";
  std::string maps;
  int inputs = 0;
  for (int i = 0; i < n; ++i) {
    const std::string out = (fs::path(dir) / ("v" + std::to_string(i) + ".mp4")).string();
    paths->push_back(out);
    if (fs::exists(out)) continue;
    // A test pattern in its own hue: every video differs from every other in every frame.
    const std::string src = "testsrc=s=64x48:r=5:d=" + std::to_string(seconds) +
                            ",hue=h=" + std::to_string((i * 360) / n) +
                            ":s=" + std::to_string(1 + (i % 3));
    cmd += " -f lavfi -i " + ShellQuote(src);
    maps += " -map " + std::to_string(inputs++) +
            ":v -c:v libx264 -preset ultrafast -threads:v 1 -g 5 -pix_fmt yuv420p " +
            ShellQuote(out);
  }
  if (inputs == 0) return "";
  CommandResult r = RunCommand(cmd + maps);
  return r.exit_code == 0 ? "" : "ffmpeg failed: " + r.err;
}

void WriteDaemonConfig(const std::string& path, const DaemonConfig& c) {
  std::ofstream(path) << "state_dir: " << c.state_dir << "\nlibrary:\n  roots: [" << c.library
                      << "]\n  settle_seconds: " << c.settle_seconds
                      << "\nmodel:\n  path: " << c.model << "\n  batch_size: " << c.batch_size
                      << (c.precision.empty() ? "" : "\n  precision: " + c.precision)
                      << "\nsampling:\n  fps: " << c.fps << "\ndaemon:\n  socket: " << c.socket
                      << "\n  snapshot_interval: " << c.snapshot_interval << "\nweb:\n  listen: \""
                      << c.web_listen << "\"\n";
}

}  // namespace vidx::testing
