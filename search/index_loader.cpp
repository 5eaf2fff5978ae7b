#include "search/index_loader.h"

#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

namespace vidx {
namespace {

constexpr size_t kReplayBatch = 4096;

void Log(bool warn, const std::string& message) {
  std::shared_ptr<spdlog::logger> log = spdlog::get("vidx");
  if (!log) return;
  if (warn) {
    log->warn("{}", message);
  } else {
    log->info("{}", message);
  }
}

// Adds the catalog's vectors of `generation` with id > after_id to `index` in batches.
Status AddFromCatalog(const Catalog& catalog, uint64_t generation, uint64_t after_id, uint32_t dim,
                      VectorIndex* index, size_t* added) {
  std::vector<uint64_t> ids;
  std::vector<float> x;
  auto flush = [&]() -> Status {
    VIDX_RETURN_IF_ERROR(index->Add(ids.size(), ids.data(), x.data()));
    *added += ids.size();
    ids.clear();
    x.clear();
    return Status::Ok();
  };
  VIDX_RETURN_IF_ERROR(
      catalog.ForEachVector(generation, after_id, [&](const VectorRecord& v) -> Status {
        if (v.vector.size() != dim) {
          return Status::Corruption("catalog vector " + std::to_string(v.id) +
                                    " has the wrong dimension");
        }
        ids.push_back(v.id);
        x.insert(x.end(), v.vector.begin(), v.vector.end());
        return ids.size() >= kReplayBatch ? flush() : Status::Ok();
      }));
  return flush();
}

}  // namespace

std::string SnapshotDir(const std::string& state_dir, uint64_t generation) {
  return (std::filesystem::path(state_dir) / "index" / std::to_string(generation)).string();
}

StatusOr<std::unique_ptr<VectorIndex>> RebuildFromCatalog(const Catalog& catalog,
                                                          uint64_t generation,
                                                          const std::string& factory,
                                                          const VectorIndexOptions& options,
                                                          BuildInfo* info) {
  StatusOr<Generation> gen = catalog.GetGeneration(generation);
  if (!gen.ok()) return gen.status();
  // Read the deletion sequence first: a deletion racing the scan is then replayed again
  // later, which is harmless (removing an absent id does nothing).
  const uint64_t deletion_seq = catalog.LastDeletionSeq();
  std::vector<uint64_t> ids;
  std::vector<float> x;
  ids.reserve(gen->vectors);
  x.reserve(gen->vectors * gen->dimension);
  VIDX_RETURN_IF_ERROR(catalog.ForEachVector(generation, 0, [&](const VectorRecord& v) -> Status {
    if (v.vector.size() != gen->dimension) {
      return Status::Corruption("catalog vector " + std::to_string(v.id) +
                                " has the wrong dimension");
    }
    ids.push_back(v.id);
    x.insert(x.end(), v.vector.begin(), v.vector.end());
    return Status::Ok();
  }));
  BuildInfo local;
  StatusOr<std::unique_ptr<VectorIndex>> index = VectorIndex::Build(
      factory, gen->dimension, ids.size(), ids.data(), x.data(), options, &local);
  if (!index.ok()) return index.status();
  (*index)->MarkDeletionsApplied(deletion_seq);
  if (!local.note.empty())
    Log(true, "generation " + std::to_string(generation) + ": " + local.note);
  if (info != nullptr) *info = local;
  return index;
}

StatusOr<OpenedIndex> OpenIndexForGeneration(const Catalog& catalog, uint64_t generation,
                                             const std::string& factory,
                                             const std::string& state_dir,
                                             const VectorIndexOptions& options) {
  StatusOr<Generation> gen = catalog.GetGeneration(generation);
  if (!gen.ok()) return gen.status();
  const std::string dir = SnapshotDir(state_dir, generation);
  OpenedIndex out;
  SnapshotMeta meta;
  StatusOr<std::unique_ptr<VectorIndex>> loaded = VectorIndex::Load(dir, options, &meta);
  if (!loaded.ok()) {
    out.reason = loaded.status().code() == StatusCode::kNotFound
                     ? "no snapshot"
                     : "snapshot unusable: " + loaded.status().message();
  } else if (meta.generation != generation) {
    out.reason = "snapshot in " + dir + " belongs to generation " + std::to_string(meta.generation);
  } else if (meta.dimension != gen->dimension) {
    out.reason = "snapshot dimension " + std::to_string(meta.dimension) + " differs from " +
                 std::to_string(gen->dimension);
  } else if (meta.factory != factory) {
    out.reason = "index.factory changed from '" + meta.factory + "' to '" + factory + "'";
  } else {
    std::unique_ptr<VectorIndex> index = std::move(loaded).value();
    VIDX_RETURN_IF_ERROR(AddFromCatalog(catalog, generation, meta.max_vector_id, gen->dimension,
                                        index.get(), &out.replayed_vectors));
    uint64_t last_seq = std::max(meta.deletion_seq, catalog.LastDeletionSeq());
    VIDX_RETURN_IF_ERROR(catalog.ForEachDeletion(
        generation, meta.deletion_seq, [&](uint64_t, const std::vector<uint64_t>& ids) -> Status {
          size_t removed = 0;
          VIDX_RETURN_IF_ERROR(index->Remove(ids.size(), ids.data(), &removed));
          out.replayed_deletions += removed;
          return Status::Ok();
        }));
    index->MarkDeletionsApplied(last_seq);
    if (!index->NeedsRebuild()) {
      out.index = std::move(index);
      out.path = IndexOpenPath::kLoadedSnapshot;
      out.reason = "snapshot loaded";
      out.build.effective_factory = meta.effective_factory;
      Log(false, "generation " + std::to_string(generation) + ": loaded snapshot " + dir +
                     " and replayed " + std::to_string(out.replayed_vectors) + " vectors, " +
                     std::to_string(out.replayed_deletions) + " deletions");
      return out;
    }
    out.reason = index->tombstones() > 0 ? "too many tombstones after replay"
                                         : "enough vectors now to train '" + factory + "'";
    out.replayed_vectors = 0;
    out.replayed_deletions = 0;
  }
  Log(out.reason != "no snapshot", "generation " + std::to_string(generation) +
                                       ": rebuilding the vector index from the "
                                       "catalog (" +
                                       out.reason + ")");
  StatusOr<std::unique_ptr<VectorIndex>> rebuilt =
      RebuildFromCatalog(catalog, generation, factory, options, &out.build);
  if (!rebuilt.ok()) return rebuilt.status();
  out.index = std::move(rebuilt).value();
  out.path = IndexOpenPath::kRebuilt;
  return out;
}

Status RemoveSnapshot(const std::string& state_dir, uint64_t generation) {
  std::error_code ec;
  std::filesystem::remove_all(SnapshotDir(state_dir, generation), ec);
  if (ec) {
    return Status::IoError("snapshot " + SnapshotDir(state_dir, generation) +
                           " cannot be removed: " + ec.message());
  }
  return Status::Ok();
}

}  // namespace vidx
