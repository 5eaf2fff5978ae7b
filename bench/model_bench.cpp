// vidx_model_bench: image-tower throughput of the C++ model vs the Python reference
// (transformers CLIPModel / SiglipModel .get_image_features, bench/model_reference_bench.py) on
// the same checkpoint, thread count and machine, measured in the same run. Prints images/s of
// both and the ratio C++/Python. The family comes from config.json's model_type (clip, siglip).
//
// Usage: vidx_model_bench --model DIR [--batch 8] [--iters 5] [--threads 2]
//                         [--python .venv/bin/python] [--no-python]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "indexer/model/clip_encoder.h"
#include "indexer/model/embedder_registry.h"
#include "indexer/model/safetensors.h"
#include "indexer/model/siglip_config.h"
#include "indexer/model/siglip_model.h"
#include "indexer/model/strict_loader.h"

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

// The image tower under test: normalised pixels (n, 3, size, size) in, embeddings out.
struct Tower {
  int size = 0;
  std::function<vidx::Status(const float*, int)> encode;
};

vidx::StatusOr<Tower> LoadClip(const Args& a) {
  vidx::ClipEncoderOptions o;
  o.model_dir = a.model;
  o.threads = a.threads;
  vidx::LoadReport report;
  auto enc = vidx::ClipEncoder::Load(o, &report);
  if (!enc.ok()) return enc.status().WithContext(report.ToString());
  std::shared_ptr<vidx::ClipEncoder> shared(std::move(enc).value());
  Tower t;
  t.size = shared->image_height();
  t.encode = [shared](const float* pixels, int n) {
    std::vector<float> out;
    return shared->EncodePixels(pixels, n, &out);
  };
  return t;
}

// SiglipModel's vision tower, loaded strictly as the Embedder loads it, without a tokenizer
// (the benchmark's random checkpoint has none). Embeddings are copied out, as EncodePixels does.
vidx::StatusOr<Tower> LoadSiglip(const Args& a) {
  auto config = vidx::LoadSiglipConfig(a.model);
  if (!config.ok()) return config.status();
  auto file = vidx::SafetensorsFile::Open(a.model + "/model.safetensors");
  if (!file.ok()) return file.status();
  at::set_num_threads(a.threads);
  auto model = std::make_shared<vidx::SiglipModel>(*config);
  (*model)->eval();
  vidx::StrictLoadOptions lo;
  lo.key_map = vidx::BuiltinKeyMap("hf").value();
  vidx::LoadReport report;
  vidx::Status st = vidx::StrictLoad(**model, {file->get()}, lo, &report);
  if (!st.ok()) return st.WithContext(report.ToString());
  Tower t;
  t.size = config->vision.image_size;
  const int size = t.size;
  t.encode = [model, size](const float* pixels, int n) {
    try {
      c10::InferenceMode guard;
      torch::Tensor x = torch::from_blob(const_cast<float*>(pixels), {n, 3, size, size});
      torch::Tensor e = (*model)->EncodeImage(x).contiguous();
      std::vector<float> out(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
      return vidx::Status::Ok();
    } catch (const std::exception& e) {
      return vidx::Status::Internal(e.what());
    }
  };
  return t;
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
  vidx::StatusOr<std::string> family = vidx::ReadModelType(a.model);
  if (!family.ok()) {
    std::fprintf(stderr, "%s\n", family.status().ToString().c_str());
    return 1;
  }
  vidx::StatusOr<Tower> tower = *family == "siglip" ? LoadSiglip(a) : LoadClip(a);
  if (!tower.ok()) {
    std::fprintf(stderr, "%s\n", tower.status().ToString().c_str());
    return 1;
  }
  const int s = tower->size;
  std::vector<float> pixels(static_cast<size_t>(a.batch) * 3 * s * s);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float& p : pixels) p = normal(rng);
  for (int i = 0; i < 2; ++i) {  // warm-up
    vidx::Status st = tower->encode(pixels.data(), a.batch);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
  }
  auto measure = [&]() -> Rate {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = CpuSeconds();
    for (int i = 0; i < a.iters; ++i) {
      if (!tower->encode(pixels.data(), a.batch).ok()) return {};
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {a.batch * a.iters / dt, a.batch * a.iters / (CpuSeconds() - c0)};
  };
  const Rate before = measure();
  if (before.wall <= 0) return 1;
  std::printf("model: %s (%s, image %dx%d), batch %d, iters %d, threads %d\n", a.model.c_str(),
              family->c_str(), s, s, a.batch, a.iters, a.threads);
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
