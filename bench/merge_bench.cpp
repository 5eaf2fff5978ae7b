// vidx_merge_bench (bench/merge.cmake): the catalog step of `vidx merge` — three synthetic
// shards merged into a fresh catalog by one ingested SST file (BulkWriteMode::kIngest) and,
// as the peer, by synced WriteBatches (kBatches) — and the Flat index built once from the
// merged catalog. Each mode merges into its own fresh target; the shards are written once.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "search/catalog.h"
#include "search/index_loader.h"
#include "tests/random_file_result.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
constexpr char kFingerprint[] = "merge-bench";

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

bool Check(const Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  return false;
}

// One shard of `files` files with `per_file` vectors each, in one WriteBatch per file.
bool WriteShard(const std::string& dir, int index, int files, int per_file, uint32_t dim) {
  StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(dir);
  if (!Check(c.status(), "open shard")) return false;
  StatusOr<Generation> g = (*c)->CreateGeneration(kFingerprint, dim);
  if (!Check(g.status(), "create generation")) return false;
  std::mt19937 rng(static_cast<uint32_t>(index));
  for (int f = 0; f < files; ++f) {
    FileResult r = testing::RandomFileResult(per_file, static_cast<int>(dim), &rng);
    r.file.path = "/bench/shard" + std::to_string(index) + "/clip" + std::to_string(f) + ".mp4";
    r.file.size = 1u << 20;
    r.content_hash = std::to_string(index) + "-" + std::to_string(f);
    if (!Check((*c)->CommitFile(kFingerprint, r).status(), "commit")) return false;
  }
  return Check((*c)->SetActive(g->id), "activate");
}

int Main(int argc, char** argv) {
  int64_t vectors = 100000;
  uint32_t dim = 512;
  int per_file = 50;
  int rounds = 3;
  std::string dir = (fs::temp_directory_path() / "vidx_merge_bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--vectors") == 0) vectors = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--dim") == 0) dim = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--per-file") == 0) per_file = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  const int shards = 3;
  const int files = static_cast<int>(vectors / per_file / shards);
  const int64_t total = static_cast<int64_t>(files) * per_file * shards;
  fs::remove_all(dir);
  std::printf("merge bench: %d shards x %d files x %d vectors of dimension %u = %lld vectors\n",
              shards, files, per_file, dim, static_cast<long long>(total));
  auto t = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Catalog>> opened;
  std::vector<MergeSource> sources;
  for (int s = 0; s < shards; ++s) {
    const std::string shard = dir + "/shard-" + std::to_string(s);
    if (!WriteShard(shard, s, files, per_file, dim)) return 1;
    CatalogOptions ro;
    ro.read_only = true;
    StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(shard, ro);
    if (!Check(c.status(), "reopen shard")) return 1;
    sources.push_back(MergeSource{shard, c->get(), (*c)->ActiveGeneration()->id});
    opened.push_back(std::move(c).value());
  }
  std::printf("shards written in %.1f s (one synced batch per file)\n", Seconds(t));

  const double per100k = 100000.0 / static_cast<double>(total);
  std::vector<double> seconds[2];  // [0] ingest, [1] batches
  for (int round = 0; round < rounds; ++round) {
    // Alternate which mode goes first, so neither always finds the shards in the page cache.
    const BulkWriteMode order[2] = {
        round % 2 == 0 ? BulkWriteMode::kIngest : BulkWriteMode::kBatches,
        round % 2 == 0 ? BulkWriteMode::kBatches : BulkWriteMode::kIngest};
    for (BulkWriteMode mode : order) {
      const bool ingest = mode == BulkWriteMode::kIngest;
      const std::string target =
          dir + "/target-" + std::to_string(round) + (ingest ? "-ingest" : "-batches");
      StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(target);
      if (!Check(c.status(), "open target")) return 1;
      MergeOptions o;
      o.fingerprint = kFingerprint;
      o.dimension = dim;
      o.staging_dir = target + "/merge-staging";
      o.mode = mode;
      t = std::chrono::steady_clock::now();
      StatusOr<MergeResult> r = (*c)->MergeFrom(sources, o);
      if (!Check(r.status(), "merge")) return 1;
      const double took = Seconds(t);
      seconds[ingest ? 0 : 1].push_back(took);
      std::printf(
          "round %d %-28s %7.2f s  %6.2f s per 100k vectors  (%.0f MiB; prepare %.2f s, ingest "
          "%.2f s)\n",
          round, ingest ? "SST file + IngestExternalFile" : "synced 8 MiB WriteBatches", took,
          took * per100k, static_cast<double>(r->bytes) / (1 << 20), r->seconds_prepare,
          r->seconds_ingest);
      if (ingest && round == 0) {
        t = std::chrono::steady_clock::now();
        StatusOr<std::unique_ptr<VectorIndex>> index =
            RebuildFromCatalog(**c, r->generation, "Flat");
        if (!Check(index.status(), "build index")) return 1;
        std::printf("round %d %-28s %7.2f s  %6.2f s per 100k vectors\n", round,
                    "Flat index from the catalog", Seconds(t), Seconds(t) * per100k);
      }
      c->reset();
      fs::remove_all(target);
    }
  }
  for (auto& v : seconds) std::sort(v.begin(), v.end());
  const double ingest = seconds[0][seconds[0].size() / 2];
  const double batches = seconds[1][seconds[1].size() / 2];
  std::printf(
      "median of %d: ingest %.2f s, batches %.2f s per 100k vectors; batches / ingest %.2fx\n",
      rounds, ingest * per100k, batches * per100k, batches / ingest);
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace vidx

int main(int argc, char** argv) { return vidx::Main(argc, argv); }
