// Search latency of vidx's VectorIndex vs FAISS alone, same vectors, same run (see search.cmake).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <faiss/Index.h>
#include <faiss/IndexHNSW.h>
#include <faiss/index_factory.h>

#include "search/vector_index.h"

namespace {

using Clock = std::chrono::steady_clock;
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
  size_t i = static_cast<size_t>(std::min<double>(v.size() - 1, std::floor(p * (v.size() - 1) + 0.5)));
  return v[i];
}

struct Run {
  std::vector<double> vidx_ms, faiss_ms;
  std::vector<std::vector<int64_t>> vidx_ids;
};

int Bench(const std::string& factory, size_t n, const std::vector<float>& x,
          const std::vector<float>& queries, size_t nq, size_t k,
          std::vector<std::vector<int64_t>>* exact) {
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = i + 1;
  auto t0 = Clock::now();
  auto built = vidx::VectorIndex::Build(factory, kDim, n, ids.data(), x.data());
  auto t1 = Clock::now();
  if (!built.ok()) {
    std::fprintf(stderr, "build failed: %s\n", built.status().message().c_str());
    return 1;
  }
  std::unique_ptr<vidx::VectorIndex> index = std::move(built).value();
  std::unique_ptr<faiss::Index> peer(
      faiss::index_factory(kDim, factory.c_str(), faiss::METRIC_INNER_PRODUCT));
  if (auto* h = dynamic_cast<faiss::IndexHNSW*>(peer.get())) h->hnsw.efSearch = 64;  // as vidx
  auto t2 = Clock::now();
  peer->add(static_cast<faiss::Index::idx_t>(n), x.data());
  auto t3 = Clock::now();

  Run run;
  std::vector<float> d(k);
  std::vector<faiss::Index::idx_t> l(k);
  for (size_t q = 0; q < nq; ++q) {  // interleaved, so drift in machine load hits both
    const float* qv = &queries[q * kDim];
    auto a = Clock::now();
    auto res = index->Search(1, qv, k);
    auto b = Clock::now();
    peer->search(1, qv, static_cast<faiss::Index::idx_t>(k), d.data(), l.data());
    auto c = Clock::now();
    if (!res.ok()) return 1;
    run.vidx_ms.push_back(Seconds(a, b) * 1e3);
    run.faiss_ms.push_back(Seconds(b, c) * 1e3);
    run.vidx_ids.push_back(res->ids);
  }
  double p50v = Percentile(run.vidx_ms, 0.5), p99v = Percentile(run.vidx_ms, 0.99);
  double p50f = Percentile(run.faiss_ms, 0.5), p99f = Percentile(run.faiss_ms, 0.99);
  std::printf("%-7s n=%-8zu build vidx %7.2f s  faiss %7.2f s (x%.2f) | search p50 vidx %8.3f ms "
              "faiss %8.3f ms (x%.3f)  p99 vidx %8.3f ms faiss %8.3f ms (x%.3f)",
              factory.c_str(), n, Seconds(t0, t1), Seconds(t2, t3),
              Seconds(t0, t1) / Seconds(t2, t3), p50v, p50f, p50v / p50f, p99v, p99f,
              p99v / p99f);
  if (exact->empty()) {
    *exact = run.vidx_ids;  // Flat runs first: exact answers (ids 1..n)
  } else {
    size_t hits = 0;
    for (size_t q = 0; q < nq; ++q) {
      std::set<int64_t> truth((*exact)[q].begin(), (*exact)[q].end());
      for (int64_t id : run.vidx_ids[q]) hits += truth.count(id);
    }
    std::printf("  recall@%zu %.3f", k, static_cast<double>(hits) / static_cast<double>(nq * k));
  }
  std::printf("\n");
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  size_t nq = 200, k = 10;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--queries" && i + 1 < argc) {
      nq = std::stoul(argv[++i]);
    } else if (a == "--k" && i + 1 < argc) {
      k = std::stoul(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--queries N] [--k K]\n", argv[0]);
      return 2;
    }
  }
  std::vector<size_t> sizes = {100000};
  if (!quick) sizes.push_back(1000000);
  std::vector<float> queries = RandomUnit(nq, 12345);
  std::printf("dimension %u, %zu single-vector queries, k=%zu; ratios are vidx/faiss\n", kDim, nq,
              k);
  for (size_t n : sizes) {
    std::vector<float> x = RandomUnit(n, 1);
    std::vector<std::vector<int64_t>> exact;
    for (const char* factory : {"Flat", "HNSW32"}) {
      if (Bench(factory, n, x, queries, nq, k, &exact) != 0) return 1;
    }
  }
  return 0;
}
