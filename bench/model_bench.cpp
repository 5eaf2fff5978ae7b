// vidx_model_bench: image-tower throughput of the C++ model vs the Python reference
// (transformers CLIPModel / SiglipModel .get_image_features, bench/model_reference_bench.py) on
// the same checkpoint, thread count and machine, measured in the same run. Prints images/s of
// both and the ratio C++/Python. The family comes from config.json's model_type (clip, siglip).
//
// --int8: instead, model.precision int8 against fp32 of the same checkpoint in one run (no
// Python): the image tower (batch of random pixels), the text tower (batch of full-length
// random token rows) and one short query (batch 1, end-of-text at position 10), each timed
// fp32, int8, fp32, int8 so that load changes hit both; prints rates, int8/fp32 ratios and the
// worst cosine between the two precisions' embeddings of the same inputs.
//
// Usage: vidx_model_bench --model DIR [--batch 8] [--iters 5] [--threads 2]
//                         [--python .venv/bin/python] [--no-python] [--int8]
#include <algorithm>
#include <chrono>
#include <cmath>
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
#include "indexer/model/linear_kernel.h"
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
  bool int8 = false;
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
    if (k == "--int8") {
      a->int8 = true;
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

// The towers under test: normalised pixels (n, 3, size, size) or token rows (n, len) in,
// embeddings appended to `out` (may be null).
struct Tower {
  int size = 0;
  std::function<vidx::Status(const float*, int, std::vector<float>*)> encode;
  int64_t vocab = 0;
  int context = 0;   // token row length the text tower takes
  int64_t eos = -1;  // CLIP: the end-of-text id (rows stop there); SigLIP: -1
  std::function<vidx::Status(const int64_t*, int, int, std::vector<float>*)> text;
};

vidx::StatusOr<Tower> LoadClip(const Args& a, const std::string& precision) {
  vidx::ClipEncoderOptions o;
  o.model_dir = a.model;
  o.threads = a.threads;
  o.precision = precision;
  vidx::LoadReport report;
  auto enc = vidx::ClipEncoder::Load(o, &report);
  if (!enc.ok()) return enc.status().WithContext(report.ToString());
  std::shared_ptr<vidx::ClipEncoder> shared(std::move(enc).value());
  Tower t;
  t.size = shared->image_height();
  t.encode = [shared](const float* pixels, int n, std::vector<float>* out) {
    std::vector<float> local;
    return shared->EncodePixels(pixels, n, out != nullptr ? out : &local);
  };
  const vidx::ClipTowerConfig& text = shared->config().text;
  t.vocab = text.vocab_size;
  t.context = shared->context_length();
  t.eos =
      (text.eos_token_id == 2 || text.eos_token_id >= t.vocab) ? t.vocab - 1 : text.eos_token_id;
  t.text = [shared](const int64_t* ids, int n, int len, std::vector<float>* out) {
    std::vector<float> local;
    return shared->EncodeTokens(ids, n, len, out != nullptr ? out : &local);
  };
  return t;
}

// Copies a (n, dim) float tensor to `out` (when not null), as the Embedder does.
void CopyOut(const torch::Tensor& e, std::vector<float>* out) {
  const torch::Tensor c = e.contiguous();
  std::vector<float> local(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  if (out != nullptr) out->insert(out->end(), local.begin(), local.end());
}

// SiglipModel's vision tower, loaded strictly as the Embedder loads it, without a tokenizer
// (the benchmark's random checkpoint has none). Embeddings are copied out, as EncodePixels does.
vidx::StatusOr<Tower> LoadSiglip(const Args& a, const std::string& precision) {
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
  if (precision == "int8") VIDX_RETURN_IF_ERROR(vidx::QuantizeLinearLayers(**model, nullptr));
  Tower t;
  t.size = config->vision.image_size;
  const int size = t.size;
  t.encode = [model, size](const float* pixels, int n, std::vector<float>* out) {
    try {
      c10::InferenceMode guard;
      torch::Tensor x = torch::from_blob(const_cast<float*>(pixels), {n, 3, size, size});
      CopyOut((*model)->EncodeImage(x), out);
      return vidx::Status::Ok();
    } catch (const std::exception& e) {
      return vidx::Status::Internal(e.what());
    }
  };
  t.vocab = config->text.vocab_size;
  t.context = config->text.max_position_embeddings;
  t.text = [model](const int64_t* ids, int n, int len, std::vector<float>* out) {
    try {
      c10::InferenceMode guard;
      torch::Tensor x = torch::from_blob(const_cast<int64_t*>(ids), {n, len}, torch::kInt64);
      CopyOut((*model)->EncodeText(x), out);
      return vidx::Status::Ok();
    } catch (const std::exception& e) {
      return vidx::Status::Internal(e.what());
    }
  };
  return t;
}

// Worst cosine between the rows of two (n, dim) embedding sets.
double WorstCosine(const std::vector<float>& a, const std::vector<float>& b, int n) {
  if (n <= 0 || a.size() != b.size() || a.empty()) return 0;
  const size_t dim = a.size() / static_cast<size_t>(n);
  double worst = 1;
  for (size_t r = 0; r < static_cast<size_t>(n); ++r) {
    double dot = 0, na = 0, nb = 0;
    for (size_t i = r * dim; i < (r + 1) * dim; ++i) {
      dot += static_cast<double>(a[i]) * b[i];
      na += static_cast<double>(a[i]) * a[i];
      nb += static_cast<double>(b[i]) * b[i];
    }
    worst = std::min(worst, dot / std::sqrt(na * nb));
  }
  return worst;
}

// `iters` calls of `f`, each handling `items` inputs; rates of the two rounds are summed per
// precision by the caller.
Rate Time(const std::function<vidx::Status()>& f, int items, int iters) {
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = CpuSeconds();
  for (int i = 0; i < iters; ++i) {
    if (!f().ok()) return {};
  }
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {items * iters / dt, items * iters / (CpuSeconds() - c0)};
}

// fp32, int8, fp32, int8: the mean rate of each precision over its two rounds.
bool TimePair(const char* what, const char* unit, const std::function<vidx::Status()>& fp32,
              const std::function<vidx::Status()>& int8, int items, int iters) {
  for (int i = 0; i < 2; ++i) {  // warm-up
    if (!fp32().ok() || !int8().ok()) return false;
  }
  Rate f{0, 0}, q{0, 0};
  for (int round = 0; round < 2; ++round) {
    const Rate rf = Time(fp32, items, iters);
    const Rate rq = Time(int8, items, iters);
    if (rf.wall <= 0 || rq.wall <= 0) return false;
    f = {f.wall + rf.wall / 2, f.cpu + rf.cpu / 2};
    q = {q.wall + rq.wall / 2, q.cpu + rq.cpu / 2};
  }
  std::printf("%s_fp32_%s_per_s=%.3f\n%s_int8_%s_per_s=%.3f\n", what, unit, f.wall, what, unit,
              q.wall);
  std::printf("%s_ratio_int8_over_fp32=%.3f (wall clock)\n", what, q.wall / f.wall);
  std::printf("%s_ratio_int8_over_fp32_cpu=%.3f (per CPU-second)\n", what, q.cpu / f.cpu);
  return true;
}

int CompareInt8(const Args& a, const std::string& family) {
  auto load = [&](const std::string& precision) {
    return family == "siglip" ? LoadSiglip(a, precision) : LoadClip(a, precision);
  };
  vidx::StatusOr<Tower> fp32 = load("fp32");
  vidx::StatusOr<Tower> int8 = load("int8");
  for (const auto* t : {&fp32, &int8}) {
    if (!t->ok()) {
      std::fprintf(stderr, "%s\n", t->status().ToString().c_str());
      return 1;
    }
  }
  const int s = fp32->size, n = a.batch, len = fp32->context;
  std::vector<float> pixels(static_cast<size_t>(n) * 3 * s * s);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float& p : pixels) p = normal(rng);
  // Full-length rows (CLIP: end-of-text last, so every position runs, as SigLIP always does),
  // and one short query as `vidx search` sends it.
  std::uniform_int_distribution<int64_t> token(1, std::max<int64_t>(fp32->vocab - 2, 1));
  std::vector<int64_t> rows(static_cast<size_t>(n) * len);
  for (int64_t& id : rows) id = token(rng);
  std::vector<int64_t> query(static_cast<size_t>(len), 0);
  for (int i = 0; i < std::min(len, 10); ++i) query[static_cast<size_t>(i)] = token(rng);
  if (fp32->eos >= 0) {
    for (int r = 0; r < n; ++r) rows[static_cast<size_t>(r) * len + len - 1] = fp32->eos;
    query[static_cast<size_t>(std::min(len - 1, 10))] = fp32->eos;
  }
  std::printf("model: %s (%s, image %dx%d, text %d positions), batch %d, iters %d, threads %d\n",
              a.model.c_str(), family.c_str(), s, s, len, n, a.iters, a.threads);

  std::vector<float> ef, eq, tf, tq;
  if (!fp32->encode(pixels.data(), n, &ef).ok() || !int8->encode(pixels.data(), n, &eq).ok() ||
      !fp32->text(rows.data(), n, len, &tf).ok() || !int8->text(rows.data(), n, len, &tq).ok()) {
    std::fprintf(stderr, "a tower failed on the benchmark inputs\n");
    return 1;
  }
  std::printf("image_worst_cosine_int8_vs_fp32=%.6f\ntext_worst_cosine_int8_vs_fp32=%.6f\n",
              WorstCosine(ef, eq, n), WorstCosine(tf, tq, n));
  const bool ok = TimePair(
                      "image", "images", [&] { return fp32->encode(pixels.data(), n, nullptr); },
                      [&] { return int8->encode(pixels.data(), n, nullptr); }, n, a.iters) &&
                  TimePair(
                      "text", "texts", [&] { return fp32->text(rows.data(), n, len, nullptr); },
                      [&] { return int8->text(rows.data(), n, len, nullptr); }, n, a.iters) &&
                  TimePair(
                      "query", "queries", [&] { return fp32->text(query.data(), 1, len, nullptr); },
                      [&] { return int8->text(query.data(), 1, len, nullptr); }, 1, a.iters * 4);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!Parse(argc, argv, &a)) {
    std::fprintf(stderr,
                 "usage: vidx_model_bench --model DIR [--batch 8] [--iters 5] [--threads 2] "
                 "[--python PATH] [--no-python] [--int8]\n");
    return 2;
  }
  vidx::StatusOr<std::string> family = vidx::ReadModelType(a.model);
  if (!family.ok()) {
    std::fprintf(stderr, "%s\n", family.status().ToString().c_str());
    return 1;
  }
  if (a.int8) return CompareInt8(a, *family);
  vidx::StatusOr<Tower> tower = *family == "siglip" ? LoadSiglip(a, "fp32") : LoadClip(a, "fp32");
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
    vidx::Status st = tower->encode(pixels.data(), a.batch, nullptr);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
  }
  auto measure = [&]() -> Rate {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = CpuSeconds();
    for (int i = 0; i < a.iters; ++i) {
      if (!tower->encode(pixels.data(), a.batch, nullptr).ok()) return {};
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
