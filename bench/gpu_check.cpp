// vidx_gpu_check: the checks of the CUDA path that need a GPU, in one program (bench/
// gpu_check.sh builds and runs it; docs/benchmarks.md, "GPU check"):
//   1. agreement: the committed demo model (models/demo, a tiny CLIP made by the project) on
//      CUDA in fp32, fp16 and bf16 against CPU fp32, on synthetic pictures and a few texts:
//      the lowest cosine must be >= 0.99999 (fp32) or >= 0.999 (fp16, bf16);
//   2. the determinism probe on CUDA (VerifyModel, as the daemon runs it) in each precision;
//   3. throughput of a ViT-B/32-shaped image tower (random weights: speed does not depend on
//      them) in fp16 at batch 64 and 256, images per second.
// First, on any machine, the model on the CPU: strict load, determinism probe and fingerprint
// (VerifyModel), so a model-only build is shown to work before a GPU is asked for, and the
// same at int8 with its agreement to fp32 (or "info" that the build has no int8). Without a
// CUDA device it then prints "no CUDA device, skipping the CUDA checks" and exits 0. Exit 1
// when a check fails, 2 for bad arguments.
//
//   vidx_gpu_check [--model DIR] [--device cuda:N] [--batches 64,256] [--iters 20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "indexer/model/clip_model.h"
#include "indexer/model/embedder_registry.h"
#include "indexer/model/fingerprint.h"
#include "indexer/model/model_verifier.h"

namespace {

#ifndef VIDX_SOURCE_DIR_DEFAULT
#define VIDX_SOURCE_DIR_DEFAULT "."
#endif

struct Args {
  std::string model = std::string(VIDX_SOURCE_DIR_DEFAULT) + "/models/demo";
  std::string device = "cuda";
  std::vector<int> batches = {64, 256};
  int iters = 20;
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") {
      a->model = v;
    } else if (k == "--device") {
      a->device = v;
    } else if (k == "--iters") {
      a->iters = std::atoi(v.c_str());
    } else if (k == "--batches") {
      a->batches.clear();
      for (size_t p = 0; p < v.size();) {
        const size_t comma = std::min(v.find(',', p), v.size());
        a->batches.push_back(std::atoi(v.substr(p, comma - p).c_str()));
        p = comma + 1;
      }
    } else {
      return false;
    }
  }
  if (argc % 2 == 0) return false;
  for (int b : a->batches) {
    if (b <= 0) return false;
  }
  return a->iters > 0 && !a->batches.empty();
}

// Lowest cosine between rows of `a` and `b` (n x dim each).
double LowestCosine(const std::vector<float>& a, const std::vector<float>& b, int dim) {
  double lowest = 1;
  for (size_t r = 0; r + static_cast<size_t>(dim) <= a.size(); r += static_cast<size_t>(dim)) {
    const std::vector<float> x(a.begin() + static_cast<long>(r),
                               a.begin() + static_cast<long>(r) + dim);
    const std::vector<float> y(b.begin() + static_cast<long>(r),
                               b.begin() + static_cast<long>(r) + dim);
    lowest = std::min(lowest, vidx::Cosine(x, y));
  }
  return lowest;
}

struct Embeddings {
  std::vector<float> images, texts;
};

// kImages synthetic pictures (smooth gradients with noise, 96x80, so the model's resize and
// crop run too) and kTexts texts, embedded by `options`' model.
constexpr int kImages = 8, kHeight = 80, kWidth = 96;
const std::vector<std::string> kTexts = {"a red video", "a cat on a sofa", "", "zebra crossing",
                                         "slides of a lecture about matrices"};

vidx::StatusOr<Embeddings> Embed(const vidx::EmbedderOptions& options) {
  vidx::LoadReport report;
  vidx::StatusOr<std::unique_ptr<vidx::Embedder>> e = vidx::LoadEmbedder(options, &report);
  if (!e.ok()) return e.status();
  std::vector<uint8_t> rgb(static_cast<size_t>(kImages) * kHeight * kWidth * 3);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> noise(-20, 20);
  for (int n = 0; n < kImages; ++n) {
    for (int y = 0; y < kHeight; ++y) {
      for (int x = 0; x < kWidth; ++x) {
        for (int c = 0; c < 3; ++c) {
          const int base = (x * (c + 1) * 3 + y * (n + 2) * 2 + 40 * n) % 256;
          rgb[((static_cast<size_t>(n) * kHeight + y) * kWidth + x) * 3 + c] =
              static_cast<uint8_t>(std::clamp(base + noise(rng), 0, 255));
        }
      }
    }
  }
  const int dim = (*e)->dim();
  Embeddings out;
  out.images.resize(static_cast<size_t>(kImages) * dim);
  out.texts.resize(kTexts.size() * dim);
  VIDX_RETURN_IF_ERROR((*e)->EmbedImages(kImages, kHeight, kWidth, rgb.data(), out.images.data()));
  VIDX_RETURN_IF_ERROR(
      (*e)->EmbedTexts(static_cast<int64_t>(kTexts.size()), kTexts.data(), out.texts.data()));
  return out;
}

// The CPU check every run starts with. Returns the number of failures (0 or 1).
int CheckCpu(const Args& a) {
  vidx::EmbedderOptions cpu;
  cpu.model_dir = a.model;
  const vidx::ModelVerification v =
      vidx::VerifyModel(cpu, vidx::SamplingSettings(), nullptr, false);
  const bool ok = v.ok && v.deterministic;
  const std::string what = ok ? "strict load and determinism probe of " + a.model +
                                    ", fingerprint " + v.fingerprint.substr(0, 12)
                              : a.model + ": " + v.error;
  std::printf("%s  cpu fp32: %s\n", ok ? "ok  " : "FAIL", what.c_str());
  return ok ? 0 : 1;
}

// The CPU's int8 path (model.precision int8), also on any machine: strict load and
// determinism probe, and agreement with CPU fp32 on the pictures and texts of check 1 (lowest
// cosine >= 0.99). A build without oneDNN refuses int8 as kUnsupported; that is reported as
// "info", not failed, since a model-only build may lack oneDNN. Returns the number of failures.
int CheckCpuInt8(const Args& a) {
  vidx::EmbedderOptions fp32;
  fp32.model_dir = a.model;
  vidx::EmbedderOptions int8 = fp32;
  int8.precision = "int8";
  vidx::StatusOr<Embeddings> got = Embed(int8);
  if (!got.ok() && got.status().code() == vidx::StatusCode::kUnsupported) {
    std::printf("info  cpu int8: not in this build: %s\n", got.status().message().c_str());
    return 0;
  }
  vidx::StatusOr<Embeddings> ref = got.ok() ? Embed(fp32) : got.status();
  if (!ref.ok()) {
    std::printf("FAIL  cpu int8: %s\n", ref.status().ToString().c_str());
    return 1;
  }
  const int dim = static_cast<int>(ref->images.size() / kImages);
  const double img = LowestCosine(ref->images, got->images, dim);
  const double txt = LowestCosine(ref->texts, got->texts, dim);
  const vidx::ModelVerification v =
      vidx::VerifyModel(int8, vidx::SamplingSettings(), nullptr, false);
  const bool probe_ok = v.ok && v.deterministic;
  const bool ok = img >= 0.99 && txt >= 0.99 && probe_ok;
  const std::string probe =
      probe_ok ? "deterministic, fingerprint " + v.fingerprint.substr(0, 12) : v.error;
  std::printf(
      "%s  cpu int8 vs cpu fp32: lowest cosine images %.5f, texts %.5f (need >= 0.99); "
      "probe %s\n",
      ok ? "ok  " : "FAIL", img, txt, probe.c_str());
  return ok ? 0 : 1;
}

// Checks 1 and 2. Returns the number of failures.
int CheckAgreementAndProbe(const Args& a) {
  vidx::EmbedderOptions cpu;
  cpu.model_dir = a.model;
  vidx::StatusOr<Embeddings> ref = Embed(cpu);
  if (!ref.ok()) {
    std::printf("FAIL  %s on the CPU: %s\n", a.model.c_str(), ref.status().ToString().c_str());
    return 1;
  }
  const int dim = static_cast<int>(ref->images.size() / kImages);
  int failures = 0;
  for (const char* precision : {"fp32", "fp16", "bf16"}) {
    const double need = std::string(precision) == "fp32" ? 0.99999 : 0.999;
    vidx::EmbedderOptions gpu = cpu;
    gpu.device = a.device;
    gpu.precision = precision;
    vidx::StatusOr<Embeddings> got = Embed(gpu);
    if (!got.ok()) {
      std::printf("FAIL  %s %s: %s\n", a.device.c_str(), precision,
                  got.status().ToString().c_str());
      ++failures;
      continue;
    }
    const double img = LowestCosine(ref->images, got->images, dim);
    const double txt = LowestCosine(ref->texts, got->texts, dim);
    const bool ok = img >= need && txt >= need;
    failures += ok ? 0 : 1;
    std::printf("%s  %s %s vs cpu fp32: lowest cosine images %.7f, texts %.7f (need >= %g)\n",
                ok ? "ok  " : "FAIL", a.device.c_str(), precision, img, txt, need);

    vidx::ModelVerification v = vidx::VerifyModel(gpu, vidx::SamplingSettings(), nullptr, false);
    const bool probe_ok = v.ok && v.deterministic;
    failures += probe_ok ? 0 : 1;
    const std::string what = probe_ok ? "two runs agree within " +
                                            std::to_string(vidx::kCudaProbeTolerance) +
                                            ", fingerprint " + v.fingerprint.substr(0, 12)
                                      : v.error;
    std::printf("%s  %s %s determinism probe: %s\n", probe_ok ? "ok  " : "FAIL", a.device.c_str(),
                precision, what.c_str());
  }
  return failures;
}

// Check 3: a ViT-B/32-shaped CLIP image tower (CLIPConfig()'s vision defaults) with random
// weights, fp16, on the device.
int Throughput(const Args& a) {
  vidx::ClipConfig c;
  c.vision.hidden_size = 768;
  c.vision.intermediate_size = 3072;
  c.vision.num_hidden_layers = 12;
  c.vision.num_attention_heads = 12;
  c.vision.image_size = 224;
  c.vision.patch_size = 32;
  c.vision.num_channels = 3;
  c.text.hidden_size = 64;  // not measured
  c.text.intermediate_size = 128;
  c.text.num_hidden_layers = 1;
  c.text.num_attention_heads = 4;
  c.text.vocab_size = 1000;
  c.text.max_position_embeddings = 77;
  c.text.eos_token_id = 2;
  c.projection_dim = 512;
  try {
    const torch::Device device(a.device);
    vidx::ClipModel model(c);
    model->eval();
    {
      torch::NoGradGuard no_grad;  // as the strict loader fills and moves parameters
      for (torch::Tensor& p : model->parameters()) p.normal_(0, 0.02);
      model->to(device, torch::kHalf);
    }
    c10::InferenceMode guard;
    for (int batch : a.batches) {
      torch::Tensor x = torch::randn({batch, 3, 224, 224},
                                     torch::TensorOptions().device(device).dtype(torch::kHalf));
      for (int i = 0; i < 3; ++i) model->EncodeImage(x);
      torch::cuda::synchronize();
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < a.iters; ++i) model->EncodeImage(x);
      torch::cuda::synchronize();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("info  ViT-B/32 image tower, fp16, batch %d: %.0f images/s (%d batches)\n", batch,
                  batch * a.iters / s, a.iters);
    }
  } catch (const std::exception& e) {
    std::printf("FAIL  ViT-B/32 throughput: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!Parse(argc, argv, &a)) {
    std::fprintf(stderr,
                 "usage: vidx_gpu_check [--model DIR] [--device cuda:N] [--batches 64,256] "
                 "[--iters 20]\n");
    return 2;
  }
  if (CheckCpu(a) + CheckCpuInt8(a) != 0) return 1;
  if (!torch::cuda::is_available()) {
    std::printf("no CUDA device, skipping the CUDA checks\n");
    return 0;
  }
  std::printf("LibTorch sees %zu CUDA device(s); checking %s with %s\n",
              static_cast<size_t>(torch::cuda::device_count()), a.device.c_str(), a.model.c_str());
  int failures = CheckAgreementAndProbe(a);
  failures += Throughput(a);
  std::printf(failures == 0 ? "all GPU checks passed\n" : "%d GPU check(s) FAILED\n", failures);
  return failures == 0 ? 0 : 1;
}
