// vidx_model_bench: image-tower throughput of the C++ CLIP model vs the Python reference
// (transformers CLIPModel.get_image_features, bench/model_reference_bench.py) on the same
// checkpoint, thread count and machine, measured in the same run. Prints images/s of both and
// the ratio C++/Python.
//
// Usage: vidx_model_bench --model DIR [--batch 8] [--iters 5] [--threads 2]
//                         [--python .venv/bin/python] [--no-python]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "indexer/model/clip_encoder.h"

namespace {

struct Args {
  std::string model;
  int batch = 8;
  int iters = 5;
  int threads = 2;
  std::string python = std::string(VIDX_SOURCE_DIR_DEFAULT) + "/.venv/bin/python";
  bool run_python = true;
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (k == "--no-python") {
      a->run_python = false;
      continue;
    }
    if ((v = next()) == nullptr) return false;
    if (k == "--model")
      a->model = v;
    else if (k == "--batch")
      a->batch = std::atoi(v);
    else if (k == "--iters")
      a->iters = std::atoi(v);
    else if (k == "--threads")
      a->threads = std::atoi(v);
    else if (k == "--python")
      a->python = v;
    else
      return false;
  }
  return !a->model.empty() && a->batch > 0 && a->iters > 0 && a->threads > 0;
}

struct Rate {
  double wall = -1;  // images per wall-clock second
  double cpu = -1;   // images per process CPU second (all threads)
};

double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// Runs the reference script and returns its rates (< 0 on failure).
Rate RunPython(const Args& a) {
  const std::string cmd = "'" + a.python + "' '" + std::string(VIDX_SOURCE_DIR_DEFAULT) +
                          "/bench/model_reference_bench.py' --model '" + a.model + "' --batch " +
                          std::to_string(a.batch) + " --iters " + std::to_string(a.iters) +
                          " --threads " + std::to_string(a.threads);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return {};
  char line[512];
  Rate r;
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    std::sscanf(line, "python_images_per_s=%lf", &r.wall);
    std::sscanf(line, "python_images_per_cpu_s=%lf", &r.cpu);
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!Parse(argc, argv, &a)) {
    std::fprintf(stderr,
                 "usage: vidx_model_bench --model DIR [--batch 8] [--iters 5] [--threads 2] "
                 "[--python PATH] [--no-python]\n");
    return 2;
  }
  vidx::ClipEncoderOptions o;
  o.model_dir = a.model;
  o.threads = a.threads;
  vidx::LoadReport report;
  auto enc = vidx::ClipEncoder::Load(o, &report);
  if (!enc.ok()) {
    std::fprintf(stderr, "%s\n%s", enc.status().ToString().c_str(), report.ToString().c_str());
    return 1;
  }
  const int s = (*enc)->image_height();
  std::vector<float> pixels(static_cast<size_t>(a.batch) * 3 * s * s);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float& p : pixels) p = normal(rng);
  std::vector<float> out;
  for (int i = 0; i < 2; ++i) {  // warm-up
    out.clear();
    vidx::Status st = (*enc)->EncodePixels(pixels.data(), a.batch, &out);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
  }
  auto measure = [&]() -> Rate {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = CpuSeconds();
    for (int i = 0; i < a.iters; ++i) {
      out.clear();
      if (!(*enc)->EncodePixels(pixels.data(), a.batch, &out).ok()) return {};
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {a.batch * a.iters / dt, a.batch * a.iters / (CpuSeconds() - c0)};
  };
  const Rate before = measure();
  if (before.wall <= 0) return 1;
  std::printf("model: %s (image %dx%d), batch %d, iters %d, threads %d\n", a.model.c_str(), s, s,
              a.batch, a.iters, a.threads);
  std::printf("cpp_images_per_s=%.3f\ncpp_images_per_cpu_s=%.3f\n", before.wall, before.cpu);
  if (!a.run_python) return 0;
  const Rate py = RunPython(a);
  if (py.wall <= 0 || py.cpu <= 0) {
    std::fprintf(stderr, "the Python reference did not report a throughput (%s)\n",
                 a.python.c_str());
    return 1;
  }
  // The C++ side is measured again after Python and averaged, so that a load change on a shared
  // machine during the run does not favour either side.
  const Rate after = measure();
  if (after.wall <= 0) return 1;
  std::printf("cpp_images_per_s_after=%.3f\n", after.wall);
  std::printf("python_images_per_s=%.3f\npython_images_per_cpu_s=%.3f\n", py.wall, py.cpu);
  std::printf("ratio_cpp_over_python=%.3f (wall clock; C++ = mean of the runs before and after)\n",
              (before.wall + after.wall) / 2 / py.wall);
  std::printf("ratio_cpp_over_python_cpu=%.3f (per CPU-second, robust to other load)\n",
              (before.cpu + after.cpu) / 2 / py.cpu);
  return 0;
}
