// vidx_latency_bench: search latency with a ViT-B/32-shaped CLIP (transformers' CLIPConfig()
// defaults, random weights, the real vocabulary), see latency.cmake. Four parts, one run:
//
//  1. The text tower in this process: each query stopping at its end-of-text token (what vidx
//     does) and padded to all 77 positions (what it did before), interleaved; p50/p99 of both,
//     and the largest difference between the two embeddings.
//  2. The Python reference on the same checkpoint, token ids and thread count:
//     CLIPModel.get_text_features at each query's exact length and padded to 77.
//  3. A daemon on a generated library, idle: a trivial request (GET /v1/status), a repeated
//     search (answered from the query cache) and distinct searches, through the socket.
//  4. The same daemon while a reindex re-embeds the library (a new sampling fingerprint):
//     distinct searches back to back, the indexing threads at daemon.index_nice (19, the
//     default), once per value of daemon.index_chunk_frames in --chunks (default "8,0": the
//     default, then whole batches without waiting for searches, i.e. before the inference
//     gate), and once more with --sporadic searches 0.5 s apart (what an interactive user
//     does: a search that finds a chunk already running); for each value also the same
//     reindex without searches, for the slowdown.
//
// Usage: vidx_latency_bench [--model DIR] [--queries 500] [--threads 2] [--videos 8]
//                           [--timed 100] [--nice 19] [--chunks 8,0] [--sporadic 40]
//                           [--precision auto|int8] [--python PATH]
//                           [--no-python] [--daemon-only | --model-only]
// --chunks '' leaves part 4 out (idle figures only).
// --precision is the daemon's model.precision (parts 3 and 4; parts 1 and 2 are fp32, and
// with int8 part 1 also times an int8 encoder of the same checkpoint at the exact length).
// The model is written into DIR (default <build>/bench_models/vitb32) by
// bench/text_reference_bench.py --make when it is missing.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/model/clip_encoder.h"
#include "indexer/model/tokenizer.h"
#include "tests/daemon_process.h"
#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using vidx::testing::CommandResult;
using vidx::testing::DaemonProcess;
using vidx::testing::RunCommand;
using vidx::testing::ShellQuote;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string model = std::string(VIDX_BENCH_BUILD_DIR) + "/bench_models/vitb32";
  int queries = 500;
  int timed = 100;  // queries timed one by one in part 1 (all are compared)
  int threads = 2;
  int videos = 8;
  int nice = 19;                   // daemon.index_nice
  std::vector<int> chunks{8, 0};   // daemon.index_chunk_frames of the part 4 runs
  int sporadic = 40;               // part 4: searches 0.5 s apart (0: none)
  std::string precision = "auto";  // the daemon's model.precision
  std::string python = std::string(VIDX_SOURCE_DIR_DEFAULT) + "/.venv/bin/python";
  bool run_python = true;
  bool daemon_only = false;  // parts 3 and 4 only
  bool model_only = false;   // parts 1 and 2 only
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--no-python") {
      a->run_python = false;
      continue;
    }
    if (k == "--daemon-only" || k == "--model-only") {
      (k == "--daemon-only" ? a->daemon_only : a->model_only) = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (k == "--model") {
      a->model = v;
    } else if (k == "--queries") {
      a->queries = std::atoi(v.c_str());
    } else if (k == "--timed") {
      a->timed = std::atoi(v.c_str());
    } else if (k == "--threads") {
      a->threads = std::atoi(v.c_str());
    } else if (k == "--videos") {
      a->videos = std::atoi(v.c_str());
    } else if (k == "--nice") {
      a->nice = std::atoi(v.c_str());
    } else if (k == "--sporadic") {
      a->sporadic = std::atoi(v.c_str());
    } else if (k == "--chunks") {
      a->chunks.clear();
      std::istringstream in(v);
      std::string c;
      while (std::getline(in, c, ',')) a->chunks.push_back(std::atoi(c.c_str()));
    } else if (k == "--precision") {
      a->precision = v;
    } else if (k == "--python") {
      a->python = v;
    } else {
      return false;
    }
  }
  return a->queries > 0 && a->threads > 0 && a->videos > 0;
}

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "vidx_latency_bench: %s\n", what.c_str());
  return 1;
}

// `count` distinct queries of 2 to 8 words, the same for every run.
std::vector<std::string> MakeQueries(size_t count) {
  static const char* const kWords[] = {
      "a",       "the",     "dog",   "cat",    "beach",   "sunset", "red",      "car",
      "people",  "walking", "on",    "street", "night",   "city",   "lights",   "child",
      "playing", "with",    "ball",  "in",     "park",    "snow",   "mountain", "river",
      "boat",    "sailing", "old",   "man",    "reading", "book",   "kitchen",  "cooking",
      "green",   "forest",  "bird",  "flying", "over",    "lake",   "crowd",    "concert",
      "train",   "station", "rain",  "window", "coffee",  "cup",    "table",    "birthday",
      "cake",    "candles", "horse", "field",  "bicycle", "race",   "blue",     "sky",
      "clouds",  "wedding", "dance", "guitar", "music",   "stage",  "airplane", "landing"};
  const size_t n = sizeof(kWords) / sizeof(kWords[0]);
  std::mt19937 rng(7);
  std::set<std::string> seen;
  std::vector<std::string> out;
  while (out.size() < count) {
    const int words = 2 + static_cast<int>(rng() % 7);
    std::string q;
    for (int w = 0; w < words; ++w) q += (w ? " " : "") + std::string(kWords[rng() % n]);
    if (seen.insert(q).second) out.push_back(q);
  }
  return out;
}

struct Latency {
  std::vector<double> ms;
  std::string Line(const std::string& what) const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s,%zu,%.1f,%.1f,%.1f", what.c_str(), ms.size(),
                  Percentile(ms, 0.5), Percentile(ms, 0.99),
                  ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end()));
    return buf;
  }
};

// Part 1. Writes each query's token ids (unpadded) to `ids_path` for the Python side.
int TextTower(const Args& a, const std::vector<std::string>& queries, const std::string& ids_path) {
  vidx::ClipEncoderOptions o;
  o.model_dir = a.model;
  o.threads = a.threads;
  vidx::LoadReport report;
  auto enc = vidx::ClipEncoder::Load(o, &report);
  if (!enc.ok()) return Fail(enc.status().ToString() + "\n" + report.ToString());
  auto tok = vidx::Tokenizer::FromOpenAiVocab(VIDX_BENCH_VOCAB);
  if (!tok.ok()) return Fail(tok.status().ToString());
  const int len = (*enc)->context_length();
  const int dim = (*enc)->dim();
  const int64_t eos = (*enc)->config().text.eos_token_id;
  std::ofstream ids_out(ids_path);
  std::vector<int64_t> all;  // every query's row, padded to `len`
  int64_t tokens = 0;
  for (const std::string& q : queries) {
    const std::vector<int32_t> row = (*tok)->Encode(q, len);
    const size_t end = std::find(row.begin(), row.end(), eos) - row.begin();
    tokens += static_cast<int64_t>(std::min(end + 1, row.size()));
    for (size_t i = 0; i <= end && i < row.size(); ++i) ids_out << (i ? " " : "") << row[i];
    ids_out << "\n";
    all.insert(all.end(), row.begin(), row.end());
  }
  double max_abs = 0, min_cos = 1;
  auto compare = [&](const std::vector<float>& x, const std::vector<float>& y) {
    for (size_t r = 0; r < x.size() / dim; ++r) {
      double dot = 0, nx = 0, ny = 0;
      for (int i = 0; i < dim; ++i) {
        const double u = x[r * dim + i], w = y[r * dim + i];
        max_abs = std::max(max_abs, std::fabs(u - w));
        dot += u * w;
        nx += u * u;
        ny += w * w;
      }
      min_cos = std::min(min_cos, dot / std::sqrt(nx * ny));
    }
  };
  // Every query, in batches of 50 padded to their longest member, both ways.
  for (size_t b = 0; b < queries.size(); b += 50) {
    const int rows = static_cast<int>(std::min<size_t>(50, queries.size() - b));
    std::vector<float> e_cut, e_full;
    const int64_t* ids = all.data() + b * len;
    if (!(*enc)->EncodeTokens(ids, rows, len, &e_cut).ok() ||
        !(*enc)->EncodeTokens(ids, rows, len, &e_full, vidx::ClipEncoder::TextLength::kFull).ok()) {
      return Fail("text tower failed");
    }
    compare(e_cut, e_full);
  }
  // With --precision int8 also an int8 encoder of the same checkpoint, exact length.
  std::unique_ptr<vidx::ClipEncoder> int8;
  if (a.precision == "int8") {
    vidx::ClipEncoderOptions o8 = o;
    o8.precision = "int8";
    auto e8 = vidx::ClipEncoder::Load(o8, &report);
    if (!e8.ok()) return Fail(e8.status().ToString());
    int8 = std::move(*e8);
  }
  // The first `timed` queries one by one, both ways (and int8), interleaved.
  Latency cut, full, cut8;
  const size_t timed = std::min(queries.size(), static_cast<size_t>(a.timed));
  for (size_t q = 0; q < timed + 3; ++q) {
    const bool warm = q < 3;
    const int64_t* ids = all.data() + (warm ? q : q - 3) * len;
    std::vector<float> e_cut, e_full;
    const auto t0 = Clock::now();
    if (!(*enc)->EncodeTokens(ids, 1, len, &e_cut).ok()) return Fail("text tower failed");
    const auto t1 = Clock::now();
    if (!(*enc)->EncodeTokens(ids, 1, len, &e_full, vidx::ClipEncoder::TextLength::kFull).ok()) {
      return Fail("text tower failed");
    }
    const auto t2 = Clock::now();
    std::vector<float> e8;
    if (int8 && !int8->EncodeTokens(ids, 1, len, &e8).ok()) return Fail("int8 text tower failed");
    const auto t3 = Clock::now();
    if (warm) continue;
    cut.ms.push_back(Ms(t0, t1));
    full.ms.push_back(Ms(t1, t2));
    if (int8) cut8.ms.push_back(Ms(t2, t3));
    compare(e_cut, e_full);
  }
  std::printf("part,n,p50_ms,p99_ms,max_ms\n");
  std::printf("%s\n", cut.Line("cpp text tower to end of text").c_str());
  std::printf("%s\n", full.Line("cpp text tower all 77 positions").c_str());
  if (int8) std::printf("%s\n", cut8.Line("cpp int8 text tower to end of text").c_str());
  std::printf(
      "mean tokens per query %.1f; to end of text vs all positions over %zu queries: "
      "max abs difference %.3g, min cosine %.9f\n",
      static_cast<double>(tokens) / queries.size(), queries.size(), max_abs, min_cos);
  std::printf("cpp text tower speed-up (p50) %.2fx\n",
              Percentile(full.ms, 0.5) / Percentile(cut.ms, 0.5));
  return 0;
}

// Part 2; returns the exact-length p50 (< 0 on failure).
double Python(const Args& a, const std::string& ids_path) {
  const std::string cmd =
      "OMP_WAIT_POLICY=PASSIVE " + ShellQuote(a.python) + " " +
      ShellQuote(std::string(VIDX_SOURCE_DIR_DEFAULT) + "/bench/text_reference_bench.py") +
      " --model " + ShellQuote(a.model) + " --ids " + ShellQuote(ids_path) + " --threads " +
      std::to_string(a.threads);
  CommandResult r = RunCommand(cmd);
  if (r.exit_code != 0) {
    Fail("the Python reference failed: " + r.err);
    return -1;
  }
  double e50 = -1, e99 = -1, p50 = -1, p99 = -1;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::sscanf(line.c_str(), "exact_p50_ms=%lf", &e50);
    std::sscanf(line.c_str(), "exact_p99_ms=%lf", &e99);
    std::sscanf(line.c_str(), "padded_p50_ms=%lf", &p50);
    std::sscanf(line.c_str(), "padded_p99_ms=%lf", &p99);
  }
  std::printf("python get_text_features exact length,%d,%.1f,%.1f,-\n", a.timed, e50, e99);
  std::printf("python get_text_features padded to 77,%d,%.1f,%.1f,-\n", std::min(a.timed, 100), p50,
              p99);
  return e50;
}

class Bench {
 public:
  Bench(const Args& a, fs::path dir) : a_(a), dir_(std::move(dir)) {}

  int Setup() {
    fs::create_directories(dir_ / "lib");
    fs::create_directories(dir_ / "model");
    for (const auto& e : fs::directory_iterator(a_.model)) {
      fs::create_symlink(fs::absolute(e.path()), dir_ / "model" / e.path().filename());
    }
    fs::create_symlink(fs::absolute(VIDX_BENCH_VOCAB),
                       dir_ / "model" / "bpe_simple_vocab_16e6.txt.gz");
    for (int i = 0; i < a_.videos; ++i) {
      CommandResult r =
          RunCommand("ffmpeg -v error -y -f lavfi -i " +
                     ShellQuote("testsrc2=s=160x120:r=10:d=20,hue=h=" + std::to_string(i * 23)) +
                     " -c:v libx264 -preset ultrafast -g 10 -pix_fmt yuv420p " +
                     ShellQuote((dir_ / "lib" / ("v" + std::to_string(i) + ".mp4")).string()));
      if (r.exit_code != 0) return Fail("ffmpeg: " + r.err);
    }
    return 0;
  }

  // The configuration: sampling.fps `fps` (each value a fingerprint), index_nice `nice`,
  // index_chunk_frames `chunk`.
  void WriteConfig(double fps, int nice, int chunk) const {
    const std::string tmp = Config() + ".tmp";
    {
      std::ofstream out(tmp);
      out << "state_dir: " << (dir_ / "state").string() << "\nlibrary:\n  roots: ["
          << (dir_ / "lib").string() << "]\nmodel:\n  path: " << (dir_ / "model").string()
          << "\n  threads: " << a_.threads << "\n  precision: " << a_.precision
          << "\nsampling:\n  fps: " << fps << "\ndaemon:\n  socket: " << Socket()
          << "\n  index_nice: " << nice << "\n  index_chunk_frames: " << chunk
          << "\nweb:\n  listen: \"\"\n";
    }
    fs::rename(tmp, Config());
  }
  std::string Config() const { return (dir_ / "vidx.yaml").string(); }
  std::string Socket() const { return (dir_ / "vidx.sock").string(); }
  std::string LogPath() const { return (dir_ / "daemon.log").string(); }
  const fs::path& dir() const { return dir_; }

 private:
  const Args& a_;
  const fs::path dir_;
};

bool Search(const DaemonProcess& d, const std::string& text, double* ms) {
  const std::string body = nlohmann::json{{"text", text}, {"k", 10}}.dump();
  const auto t0 = Clock::now();
  vidx::HttpResponse r = d.Call("POST", "/v1/search", body);
  *ms = Ms(t0, Clock::now());
  if (r.status != 200) std::fprintf(stderr, "search failed: %d %s\n", r.status, r.body.c_str());
  return r.status == 200;
}

bool Building(const nlohmann::json& st) {
  return st.is_object() && !st["generation"]["building"].is_null();
}

// Part 4: rewrites the configuration to `fps` and `chunk`, asks for a reindex and times it
// until the new generation is active. With `queries`, searches them one after another while it
// builds (only those that started while it built count), `gap_ms` apart. Returns the reindex's
// seconds (< 0 on failure).
double Reindex(const Bench& b, const DaemonProcess& d, double fps, int nice, int chunk,
               const std::vector<std::string>* queries, Latency* lat, int gap_ms = 0) {
  b.WriteConfig(fps, nice, chunk);
  const auto t0 = Clock::now();
  if (d.Call("POST", "/v1/reindex").status != 202) return -1;
  if (!Building(d.WaitForStatus(Building, 600))) return -1;
  size_t next = 0;
  for (;;) {
    if (queries != nullptr && next < queries->size()) {
      for (int i = 0; i < 5 && next < queries->size(); ++i) {
        double ms = 0;
        if (!Search(d, (*queries)[next++], &ms)) return -1;
        lat->ms.push_back(ms);
        if (gap_ms > 0) ::usleep(gap_ms * 1000);
      }
    } else {
      ::usleep(100 * 1000);
    }
    const nlohmann::json st = d.Status();
    if (!st.is_object()) return -1;
    if (!Building(st)) break;
  }
  return Ms(t0, Clock::now()) / 1000;
}

int Daemon(const Args& a, const std::vector<std::string>& all) {
  const size_t n = static_cast<size_t>(a.queries);
  auto slice = [&](size_t i) {
    return std::vector<std::string>(all.begin() + i * n, all.begin() + (i + 1) * n);
  };
  const std::vector<std::string> idle_q = slice(0);
  Bench b(a, fs::temp_directory_path() / ("vidx_latency_bench_" + std::to_string(::getpid())));
  fs::remove_all(b.dir());
  if (int rc = b.Setup()) return rc;
  // Few frames at first: the reindexes below are what re-embeds the library at 1 fps.
  b.WriteConfig(0.1, a.nice, a.chunks.empty() ? 8 : a.chunks[0]);
  Latency status, repeated, idle;
  struct Run {
    int chunk = 0;
    double alone_s = -1, with_s = -1, sporadic_s = -1;
    Latency during, sporadic;
  };
  std::vector<Run> runs(a.chunks.size());
  {
    DaemonProcess d(VIDX_BINARY, b.Config(), b.Socket(), b.LogPath());
    if (!d.Start() || !d.WaitIdle(a.videos, 0, 600)) return Fail("daemon: " + d.Log());
    double ms = 0;
    for (int i = 0; i < 5; ++i) Search(d, "warm up", &ms);
    for (int i = 0; i < 50; ++i) {
      const auto t0 = Clock::now();
      d.Call("GET", "/v1/status");
      status.ms.push_back(Ms(t0, Clock::now()));
      if (!Search(d, "warm up", &ms)) return Fail("search: " + d.Log());
      repeated.ms.push_back(ms);
    }
    for (const std::string& q : idle_q) {
      if (!Search(d, q, &ms)) return Fail("search: " + d.Log());
      idle.ms.push_back(ms);
    }
    double fps = 1.0;  // every reindex a new fingerprint
    for (size_t r = 0; r < runs.size(); ++r) {
      Run& run = runs[r];
      run.chunk = a.chunks[r];
      const std::vector<std::string> q = slice(1 + r);
      run.alone_s = Reindex(b, d, fps, a.nice, run.chunk, nullptr, nullptr);
      fps += 0.001;
      if (run.alone_s < 0) return Fail("reindex: " + d.Log());
      run.with_s = Reindex(b, d, fps, a.nice, run.chunk, &q, &run.during);
      fps += 0.001;
      if (run.with_s < 0) return Fail("reindex: " + d.Log());
      if (a.sporadic > 0) {
        const std::vector<std::string> sq(q.begin(),
                                          q.begin() + std::min(q.size(), size_t(a.sporadic)));
        std::vector<std::string> fresh;  // not asked before: the query cache would answer
        for (const std::string& t : sq) fresh.push_back(t + " again");
        run.sporadic_s = Reindex(b, d, fps, a.nice, run.chunk, &fresh, &run.sporadic, 500);
        fps += 0.001;
        if (run.sporadic_s < 0) return Fail("reindex: " + d.Log());
      }
    }
    d.Stop();
  }
  fs::remove_all(b.dir());
  std::printf("%s\n", status.Line("socket GET /v1/status (trivial request)").c_str());
  std::printf("%s\n", repeated.Line("socket search, repeated (query cache)").c_str());
  std::printf("%s\n", idle.Line("socket search, distinct, idle").c_str());
  for (const Run& run : runs) {
    std::printf("%s\n", run.during
                            .Line("socket search, distinct, during reindex, nice " +
                                  std::to_string(a.nice) + " chunk " + std::to_string(run.chunk))
                            .c_str());
    if (a.sporadic > 0) {
      std::printf("%s\n", run.sporadic
                              .Line("socket search, distinct, 0.5 s apart, during reindex, chunk " +
                                    std::to_string(run.chunk))
                              .c_str());
    }
  }
  std::printf("model part of an idle search (p50 distinct - p50 repeated): %.1f ms\n",
              Percentile(idle.ms, 0.5) - Percentile(repeated.ms, 0.5));
  for (const Run& run : runs) {
    std::printf(
        "reindex of %d videos x 20 frames, chunk %d: alone %.1f s, with searches back to back "
        "%.1f s (%.2fx), with searches 0.5 s apart %.1f s (%.2fx)\n",
        a.videos, run.chunk, run.alone_s, run.with_s, run.with_s / run.alone_s, run.sporadic_s,
        run.sporadic_s / run.alone_s);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // OpenMP threads that sleep when they wait, as the daemon runs them (deploy/vidx.service.in)
  // and as the Python reference runs below; the daemons started here inherit it. libgomp reads
  // the variable when it loads, hence the exec.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv("/proc/self/exe", argv);
    return Fail("cannot re-execute itself with OMP_WAIT_POLICY=PASSIVE");
  }
  Args a;
  if (!Parse(argc, argv, &a)) {
    std::fprintf(
        stderr,
        "usage: vidx_latency_bench [--model DIR] [--queries 500] [--timed 100] [--threads 2] "
        "[--videos 8] [--nice 19] [--chunks 8,0] [--sporadic 40] [--precision auto|int8] "
        "[--python PATH] [--no-python] "
        "[--daemon-only | --model-only]\n");
    return 2;
  }
  if (!fs::exists(fs::path(a.model) / "model.safetensors")) {
    std::fprintf(stderr, "writing a random ViT-B/32 CLIP to %s\n", a.model.c_str());
    CommandResult r = RunCommand(
        ShellQuote(a.python) + " " +
        ShellQuote(std::string(VIDX_SOURCE_DIR_DEFAULT) + "/bench/text_reference_bench.py") +
        " --make " + ShellQuote(a.model));
    if (r.exit_code != 0) return Fail("making the model: " + r.err);
  }
  const std::vector<std::string> queries =
      MakeQueries((2 + a.chunks.size()) * static_cast<size_t>(a.queries));
  const std::vector<std::string> first(queries.begin(), queries.begin() + a.queries);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string ids_path =
      (fs::temp_directory_path() / ("vidx_latency_ids_" + std::to_string(::getpid()))).string();
  std::printf(
      "model %s, %d threads, %d distinct queries of 2-8 words, daemon precision %s, "
      "OMP_WAIT_POLICY=%s\n",
      a.model.c_str(), a.threads, a.queries, a.precision.c_str(), std::getenv("OMP_WAIT_POLICY"));
  if (!a.daemon_only) {
    if (int rc = TextTower(a, first, ids_path)) return rc;
    if (a.run_python && Python(a, ids_path) < 0) return 1;
    fs::remove(ids_path);
  }
  return a.model_only ? 0 : Daemon(a, queries);
}
