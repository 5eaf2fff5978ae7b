#include "search/vector_index.h"

#include <algorithm>
#include <exception>
#include <mutex>

#include <faiss/IVFlib.h>
#include <faiss/IndexFlatCodes.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFastScan.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>

namespace vidx {

namespace {

using idx_t = faiss::Index::idx_t;

constexpr size_t kKmeansPointsPerCentroid = 39;  // below this FAISS warns about k-means
constexpr size_t kCodebookCentroids = 256;       // PQ/SQ-style codebooks

// The factory without a leading "IDMap," / "IDMap2," (vidx always adds its own IDMap2).
std::string InnerFactory(const std::string& factory) {
  for (const char* prefix : {"IDMap2,", "IDMap,"}) {
    std::string p(prefix);
    if (factory.compare(0, p.size(), p) == 0) return factory.substr(p.size());
  }
  return factory;
}

StatusOr<std::unique_ptr<faiss::Index>> MakeIndex(const std::string& factory, uint32_t dim) {
  if (dim == 0) return Status::InvalidArgument("a vector index needs a dimension above 0");
  std::string inner = InnerFactory(factory);
  if (inner.empty() || inner.find("IDMap") != std::string::npos) {
    return Status::InvalidArgument("index.factory '" + factory +
                                   "' is not usable (IDMap may only lead the string)");
  }
  try {
    std::unique_ptr<faiss::Index> index(
        faiss::index_factory(static_cast<int>(dim), inner.c_str(), faiss::METRIC_INNER_PRODUCT));
    if (!index) return Status::InvalidArgument("index.factory '" + factory + "' made no index");
    return index;
  } catch (const faiss::FaissException& e) {
    return Status::InvalidArgument("index.factory '" + factory +
                                   "' is not a FAISS factory string FAISS accepts: " + e.what());
  } catch (const std::exception& e) {
    return Status::InvalidArgument("index.factory '" + factory + "' cannot be built: " + e.what());
  }
}

size_t MinTrainingFor(faiss::Index* index) {
  if (index->is_trained) return 0;
  const faiss::IndexIVF* ivf = faiss::ivflib::try_extract_index_ivf(index);
  if (ivf == nullptr) return kKmeansPointsPerCentroid * kCodebookCentroids;
  size_t lists = kKmeansPointsPerCentroid * ivf->nlist;
  if (dynamic_cast<const faiss::IndexIVFFlat*>(ivf) == nullptr) {
    lists = std::max(lists, kKmeansPointsPerCentroid * kCodebookCentroids);
  }
  return lists;
}

// Accepts the inner positions whose catalog id is not tombstoned.
class LiveSelector : public faiss::IDSelector {
 public:
  LiveSelector(const std::vector<idx_t>& id_map, const std::unordered_set<int64_t>& dead)
      : id_map_(id_map), dead_(dead) {}
  bool is_member(idx_t i) const override {
    return i >= 0 && static_cast<size_t>(i) < id_map_.size() && dead_.count(id_map_[i]) == 0;
  }

 private:
  const std::vector<idx_t>& id_map_;
  const std::unordered_set<int64_t>& dead_;
};

}  // namespace

VectorIndex::VectorIndex(std::string factory, std::string effective_factory, uint32_t dim,
                         std::unique_ptr<faiss::Index> index, const VectorIndexOptions& options,
                         size_t min_train)
    : factory_(std::move(factory)),
      effective_factory_(std::move(effective_factory)),
      dim_(dim),
      options_(options),
      min_train_(min_train),
      index_(std::move(index)),
      idmap_(dynamic_cast<faiss::IndexIDMap2*>(index_.get())),
      remove_supported_(RemovesForReal(index_.get())) {
  ApplySearchDefaults();
}

bool VectorIndex::RemovesForReal(const faiss::Index* index) {
  if (const auto* map = dynamic_cast<const faiss::IndexIDMap*>(index)) {
    return RemovesForReal(map->index);
  }
  if (const auto* map2 = dynamic_cast<const faiss::IndexIDMap2*>(index)) {
    return RemovesForReal(map2->index);
  }
  if (const auto* pre = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
    return RemovesForReal(pre->index);
  }
  // Flat-code indexes (Flat, PQ, SQ, LSH) compact their codes; IVF removes from its lists
  // (not the fast-scan layout, whose block lists cannot). Graph indexes (HNSW, NSG, ...) and
  // anything not known here keep tombstones, which is always correct.
  if (dynamic_cast<const faiss::IndexIVFFastScan*>(index) != nullptr) return false;
  return dynamic_cast<const faiss::IndexFlatCodes*>(index) != nullptr ||
         dynamic_cast<const faiss::IndexIVF*>(index) != nullptr;
}

VectorIndex::~VectorIndex() = default;

void VectorIndex::ApplySearchDefaults() {
  faiss::Index* inner = idmap_ != nullptr ? idmap_->index : index_.get();
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(inner)) {
    hnsw->hnsw.efSearch = std::max(1, options_.hnsw_ef_search);
  }
  if (faiss::IndexIVF* ivf = faiss::ivflib::try_extract_index_ivf(inner)) {
    ivf->nprobe =
        std::min<size_t>(ivf->nlist, static_cast<size_t>(std::max(1, options_.ivf_nprobe)));
  }
}

StatusOr<size_t> VectorIndex::MinTrainingVectors(const std::string& factory, uint32_t dim) {
  StatusOr<std::unique_ptr<faiss::Index>> index = MakeIndex(factory, dim);
  if (!index.ok()) return index.status();
  return MinTrainingFor(index->get());
}

StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Build(const std::string& factory, uint32_t dim,
                                                          size_t n, const uint64_t* ids,
                                                          const float* x,
                                                          const VectorIndexOptions& options,
                                                          BuildInfo* info) {
  StatusOr<std::unique_ptr<faiss::Index>> made = MakeIndex(factory, dim);
  if (!made.ok()) return made.status();
  std::unique_ptr<faiss::Index> inner = std::move(made).value();
  std::string effective = InnerFactory(factory);
  std::string note;
  size_t min_train = MinTrainingFor(inner.get());
  if (min_train > 0) {
    if (n >= min_train) {
      try {
        inner->train(static_cast<idx_t>(n), x);
      } catch (const std::exception& e) {
        return Status::Internal("training index '" + factory + "' failed: " + e.what());
      }
    } else {
      note = "index.factory '" + factory + "' needs " + std::to_string(min_train) +
             " vectors to train and the generation has " + std::to_string(n) +
             "; using Flat until it has enough";
      made = MakeIndex("Flat", dim);
      if (!made.ok()) return made.status();
      inner = std::move(made).value();
      effective = "Flat";
    }
  }
  if (faiss::ivflib::try_extract_index_ivf(inner.get()) == nullptr) {
    try {
      auto map = std::make_unique<faiss::IndexIDMap2>(inner.get());
      map->own_fields = true;
      inner.release();  // now owned by map
      inner = std::move(map);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("wrapping the index in an id map failed: ") + e.what());
    }
  }
  std::unique_ptr<VectorIndex> index(
      new VectorIndex(factory, effective, dim, std::move(inner), options, min_train));
  if (n > 0) {
    std::unique_lock<std::shared_mutex> lock(index->mu_);
    VIDX_RETURN_IF_ERROR(index->AddLocked(n, ids, x));
  }
  if (info != nullptr) {
    info->effective_factory = effective;
    info->note = note;
  }
  return index;
}

Status VectorIndex::Add(size_t n, const uint64_t* ids, const float* x) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  return AddLocked(n, ids, x);
}

Status VectorIndex::AddLocked(size_t n, const uint64_t* ids, const float* x) {
  if (n == 0) return Status::Ok();
  std::vector<idx_t> labels(n);
  std::unordered_set<int64_t> batch;
  batch.reserve(n);
  uint64_t max_id = max_id_;
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] > static_cast<uint64_t>(INT64_MAX)) {
      return Status::InvalidArgument("vector id " + std::to_string(ids[i]) + " is out of range");
    }
    labels[i] = static_cast<idx_t>(ids[i]);
    if (present_.count(labels[i]) || !batch.insert(labels[i]).second) {
      return Status::FailedPrecondition("vector id " + std::to_string(ids[i]) +
                                        " is already in the index");
    }
    max_id = std::max(max_id, ids[i]);
  }
  try {
    index_->add_with_ids(static_cast<idx_t>(n), x, labels.data());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("adding vectors to the index failed: ") + e.what());
  }
  present_.insert(labels.begin(), labels.end());
  max_id_ = max_id;
  return Status::Ok();
}

Status VectorIndex::Remove(size_t n, const uint64_t* ids, size_t* removed) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  std::vector<idx_t> live;
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] > static_cast<uint64_t>(INT64_MAX)) continue;
    idx_t id = static_cast<idx_t>(ids[i]);
    if (present_.count(id) && !tombstones_.count(id)) live.push_back(id);
  }
  std::sort(live.begin(), live.end());
  live.erase(std::unique(live.begin(), live.end()), live.end());
  if (removed != nullptr) *removed = live.size();
  if (live.empty()) return Status::Ok();
  if (remove_supported_) {
    try {
      faiss::IDSelectorBatch sel(live.size(), live.data());
      index_->remove_ids(sel);
      for (idx_t id : live) present_.erase(id);
      return Status::Ok();
    } catch (const std::exception& e) {
      return Status::Internal(std::string("removing vectors from the index failed: ") + e.what());
    }
  }
  tombstones_.insert(live.begin(), live.end());
  return Status::Ok();
}

void VectorIndex::MarkDeletionsApplied(uint64_t seq) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  deletion_seq_ = std::max(deletion_seq_, seq);
}

StatusOr<SearchResults> VectorIndex::Search(size_t nq, const float* queries, size_t k) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  SearchResults out;
  out.k = k;
  out.ids.assign(nq * k, -1);
  out.scores.assign(nq * k, 0.0f);
  const size_t ntotal = static_cast<size_t>(index_->ntotal);
  if (nq == 0 || k == 0 || ntotal == 0) return out;
  faiss::Index* inner = idmap_ != nullptr ? idmap_->index : nullptr;
  auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(inner);
  // Tombstones are filtered inside HNSW through a selector; other indexes over-fetch. Inside
  // an id map the inner index returns positions, translated to catalog ids below.
  const bool filter_inside = !tombstones_.empty() && hnsw != nullptr;
  const size_t fetch =
      (tombstones_.empty() || filter_inside) ? k : std::min(ntotal, k + tombstones_.size());
  std::vector<idx_t> labels(nq * fetch);
  std::vector<float> distances(nq * fetch);
  try {
    if (filter_inside) {  // positions inside the id map; translated below
      LiveSelector sel(idmap_->id_map, tombstones_);
      faiss::SearchParametersHNSW params;
      params.efSearch = hnsw->hnsw.efSearch;
      params.sel = &sel;
      inner->search(static_cast<idx_t>(nq), queries, static_cast<idx_t>(fetch), distances.data(),
                    labels.data(), &params);
    } else if (inner != nullptr) {
      // The inner index directly, translating positions below: IndexIDMap2::search would
      // translate them in an OpenMP loop, a thread fork and join per query.
      inner->search(static_cast<idx_t>(nq), queries, static_cast<idx_t>(fetch), distances.data(),
                    labels.data());
    } else {  // labels are catalog ids already (IVF)
      index_->search(static_cast<idx_t>(nq), queries, static_cast<idx_t>(fetch), distances.data(),
                     labels.data());
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("index search failed: ") + e.what());
  }
  for (size_t q = 0; q < nq; ++q) {
    size_t j = 0;
    for (size_t r = 0; r < fetch && j < k; ++r) {
      idx_t id = labels[q * fetch + r];
      if (id < 0) continue;
      if (inner != nullptr) {
        if (static_cast<size_t>(id) >= idmap_->id_map.size()) continue;
        id = idmap_->id_map[id];
      }
      if (!filter_inside && tombstones_.count(id)) continue;
      out.ids[q * k + j] = id;
      out.scores[q * k + j] = distances[q * fetch + r];
      ++j;
    }
  }
  return out;
}

size_t VectorIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return present_.size() - tombstones_.size();
}

size_t VectorIndex::tombstones() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return tombstones_.size();
}

bool VectorIndex::NeedsRebuild() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  const double stored = static_cast<double>(present_.size());
  if (!tombstones_.empty() &&
      static_cast<double>(tombstones_.size()) > options_.rebuild_tombstone_fraction * stored) {
    return true;
  }
  const size_t live = present_.size() - tombstones_.size();
  return effective_factory_ != InnerFactory(factory_) && min_train_ > 0 && live >= min_train_;
}

uint64_t VectorIndex::max_vector_id() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return max_id_;
}

uint64_t VectorIndex::deletion_seq() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return deletion_seq_;
}

std::vector<uint64_t> VectorIndex::LiveIds() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<uint64_t> ids;
  ids.reserve(present_.size());
  for (idx_t id : present_) {
    if (!tombstones_.count(id)) ids.push_back(static_cast<uint64_t>(id));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace vidx
