// Search latency of vidx's VectorIndex::Search vs FAISS alone, same run (see search.cmake).
//
// Each index is built once, through VectorIndex::Build. The peer is FAISS's own search called
// directly on the very same FAISS object (the index inside vidx's id map, reached through
// VectorIndex::faiss_index_for_benchmark()): same vectors, same graph, same efSearch, same
// memory. So the ratio is what vidx adds on top of FAISS (lock, result vectors, id map,
// tombstone check), and an HNSW graph over 1M vectors is built once instead of twice.
// --peer-build additionally builds a separate plain FAISS index per case, only to time it.
//
//   vidx_search_bench [--quick] [--sizes 10000,100000,1000000] [--factories Flat,HNSW32]
//                     [--queries N] [--k K] [--csv FILE] [--peer-build]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <faiss/Index.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/index_factory.h>

#include "search/vector_index.h"

namespace {

using Clock = std::chrono::steady_clock;
using idx_t = faiss::Index::idx_t;
constexpr uint32_t kDim = 512;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::vector<float> RandomUnit(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(n * kDim);
  for (size_t i = 0; i < n; ++i) {
    float* v = &x[i * kDim];
    float norm = 0;
    for (uint32_t j = 0; j < kDim; ++j) {
      v[j] = normal(rng);
      norm += v[j] * v[j];
    }
    norm = 1.0f / std::sqrt(norm);
    for (uint32_t j = 0; j < kDim; ++j) v[j] *= norm;
  }
  return x;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = std::floor(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[static_cast<size_t>(std::min<double>(static_cast<double>(v.size() - 1), pos))];
}

struct Args {
  std::vector<size_t> sizes = {10000, 100000, 1000000};
  std::vector<std::string> factories = {"Flat", "HNSW32"};
  size_t nq = 200;
  size_t k = 10;
  std::string csv;
  bool peer_build = false;
};

struct Result {
  std::string factory;
  size_t n = 0;
  double build_s = 0, peer_build_s = -1;
  double p50v = 0, p50f = 0, p99v = 0, p99f = 0;
  double recall = -1;   // against Flat on the same vectors; -1 when not measured
  size_t disagree = 0;  // queries where vidx and FAISS returned different ids
};

// Builds `factory` over x through vidx, times nq single-vector queries through vidx and
// through FAISS on the same object (interleaved, alternating which goes first).
bool Bench(const Args& args, const std::string& factory, size_t n, const std::vector<float>& x,
           const std::vector<float>& queries, std::vector<std::vector<int64_t>>* exact, Result* r) {
  const size_t nq = args.nq, k = args.k;
  r->factory = factory;
  r->n = n;
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = i + 1;
  auto t0 = Clock::now();
  auto built = vidx::VectorIndex::Build(factory, kDim, n, ids.data(), x.data());
  r->build_s = Seconds(t0, Clock::now());
  if (!built.ok()) {
    std::fprintf(stderr, "build failed: %s\n", built.status().message().c_str());
    return false;
  }
  std::unique_ptr<vidx::VectorIndex> index = std::move(built).value();
  // FAISS alone: the index inside vidx's id map, answering with positions (id - 1).
  const auto* map = dynamic_cast<const faiss::IndexIDMap2*>(&index->faiss_index_for_benchmark());
  if (map == nullptr) {
    std::fprintf(stderr, "%s is not inside an id map; this bench expects one\n", factory.c_str());
    return false;
  }
  const faiss::Index* peer = map->index;

  if (args.peer_build) {
    std::unique_ptr<faiss::Index> separate(
        faiss::index_factory(kDim, factory.c_str(), faiss::METRIC_INNER_PRODUCT));
    auto a = Clock::now();
    separate->add(static_cast<idx_t>(n), x.data());
    r->peer_build_s = Seconds(a, Clock::now());
  }

  std::vector<double> vidx_ms, faiss_ms;
  std::vector<std::vector<int64_t>> found(nq);
  std::vector<float> d(k);
  std::vector<idx_t> l(k);
  const size_t warmup = std::min<size_t>(5, nq);
  for (size_t q = 0; q < warmup + nq; ++q) {
    const float* qv = &queries[(q % nq) * kDim];
    double tv = 0, tf = 0;
    vidx::StatusOr<vidx::SearchResults> res = vidx::Status::Internal("not run");
    for (int turn = 0; turn < 2; ++turn) {
      if ((turn == 0) == (q % 2 == 0)) {
        auto a = Clock::now();
        res = index->Search(1, qv, k);
        tv = Seconds(a, Clock::now());
      } else {
        auto a = Clock::now();
        peer->search(1, qv, static_cast<idx_t>(k), d.data(), l.data());
        tf = Seconds(a, Clock::now());
      }
    }
    if (!res.ok()) {
      std::fprintf(stderr, "search failed: %s\n", res.status().message().c_str());
      return false;
    }
    if (q < warmup) continue;
    vidx_ms.push_back(tv * 1e3);
    faiss_ms.push_back(tf * 1e3);
    found[q - warmup] = res->ids;
    for (size_t j = 0; j < k; ++j) {
      if (res->ids[j] != (l[j] < 0 ? -1 : l[j] + 1)) {
        ++r->disagree;
        break;
      }
    }
  }
  r->p50v = Percentile(vidx_ms, 0.5);
  r->p99v = Percentile(vidx_ms, 0.99);
  r->p50f = Percentile(faiss_ms, 0.5);
  r->p99f = Percentile(faiss_ms, 0.99);
  if (factory == "Flat") {
    *exact = found;
    r->recall = 1.0;
  } else if (!exact->empty()) {
    size_t hits = 0;
    for (size_t q = 0; q < nq; ++q) {
      std::set<int64_t> truth((*exact)[q].begin(), (*exact)[q].end());
      for (int64_t id : found[q]) hits += truth.count(id);
    }
    r->recall = static_cast<double>(hits) / static_cast<double>(nq * k);
  }
  return true;
}

bool ParseList(const char* s, std::vector<std::string>* out) {
  out->clear();
  std::string cur;
  for (const char* p = s;; ++p) {
    if (*p == ',' || *p == '\0') {
      if (cur.empty()) return false;
      out->push_back(cur);
      cur.clear();
      if (*p == '\0') break;
    } else {
      cur += *p;
    }
  }
  return !out->empty();
}

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    const bool has_value = i + 1 < argc;
    if (s == "--quick") {
      a->sizes = {10000, 100000};
    } else if (s == "--sizes" && has_value) {
      std::vector<std::string> parts;
      if (!ParseList(argv[++i], &parts)) return false;
      a->sizes.clear();
      for (const std::string& p : parts) {
        const long long v = std::atoll(p.c_str());
        if (v <= 0) return false;
        a->sizes.push_back(static_cast<size_t>(v));
      }
    } else if (s == "--factories" && has_value) {
      if (!ParseList(argv[++i], &a->factories)) return false;
    } else if (s == "--queries" && has_value) {
      a->nq = std::strtoul(argv[++i], nullptr, 10);
    } else if (s == "--k" && has_value) {
      a->k = std::strtoul(argv[++i], nullptr, 10);
    } else if (s == "--csv" && has_value) {
      a->csv = argv[++i];
    } else if (s == "--peer-build") {
      a->peer_build = true;
    } else {
      return false;
    }
  }
  return a->nq > 0 && a->k > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: %s [--quick] [--sizes N,N,...] [--factories Flat,HNSW32] [--queries N] "
                 "[--k K] [--csv FILE] [--peer-build]\n",
                 argv[0]);
    return 2;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> csv(nullptr, &std::fclose);
  if (!args.csv.empty()) {
    csv.reset(std::fopen(args.csv.c_str(), "w"));
    if (!csv) {
      std::fprintf(stderr, "cannot write %s\n", args.csv.c_str());
      return 1;
    }
    std::fprintf(csv.get(),
                 "factory,vectors,dim,k,queries,build_s,peer_build_s,vidx_p50_ms,faiss_p50_ms,"
                 "p50_ratio,vidx_p99_ms,faiss_p99_ms,p99_ratio,recall,disagree\n");
  }
  const std::vector<float> queries = RandomUnit(args.nq, 12345);
  std::printf(
      "dimension %u, %zu single-vector queries (+5 warm-up), k=%zu; ratio = vidx/faiss; "
      "faiss = the same FAISS object searched directly\n",
      kDim, args.nq, args.k);
  std::printf("%-7s %8s %9s %9s %10s %10s %7s %10s %10s %7s %7s %5s\n", "index", "vectors",
              "build_s", "peer_bld", "vidx_p50", "faiss_p50", "ratio", "vidx_p99", "faiss_p99",
              "ratio", "recall", "diff");
  for (size_t n : args.sizes) {
    const std::vector<float> x = RandomUnit(n, 1);
    std::vector<std::vector<int64_t>> exact;
    for (const std::string& factory : args.factories) {
      Result r;
      if (!Bench(args, factory, n, x, queries, &exact, &r)) return 1;
      std::printf("%-7s %8zu %9.2f %9.2f %8.3fms %8.3fms %7.3f %8.3fms %8.3fms %7.3f %7.3f %5zu\n",
                  r.factory.c_str(), r.n, r.build_s, r.peer_build_s, r.p50v, r.p50f,
                  r.p50v / r.p50f, r.p99v, r.p99f, r.p99v / r.p99f, r.recall, r.disagree);
      std::fflush(stdout);
      if (csv) {
        std::fprintf(
            csv.get(), "%s,%zu,%u,%zu,%zu,%.3f,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%zu\n",
            r.factory.c_str(), r.n, kDim, args.k, args.nq, r.build_s, r.peer_build_s, r.p50v,
            r.p50f, r.p50v / r.p50f, r.p99v, r.p99f, r.p99v / r.p99f, r.recall, r.disagree);
        std::fflush(csv.get());
      }
    }
  }
  return 0;
}
