#include "search/index_service.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>

#include "indexer/pipeline/file_scan.h"
#include "search/index_loader.h"

namespace vidx {

namespace {

// Finishes what a crash interrupted (found by tests/crash_harness_test.cpp): a flip killed
// between SetActive and the deletion of the old generation leaves that generation retired
// with all its records; a kill between DeleteGeneration and RemoveSnapshot leaves a snapshot
// directory of no generation. Both are deleted here.
Status CleanUpInterruptedDeletions(Catalog* catalog, const std::string& state_dir) {
  std::vector<uint64_t> live;
  for (const Generation& g : catalog->ListGenerations()) {
    if (g.state != GenerationState::kRetired) {
      live.push_back(g.id);
      continue;
    }
    if (auto log = spdlog::get("vidx")) log->info("deleting retired generation {}", g.id);
    VIDX_RETURN_IF_ERROR(DeleteGenerationData(catalog, state_dir, g.id));
  }
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(state_dir) / "index", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.size() > 19 ||
        name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const uint64_t id = std::stoull(name);
    if (std::find(live.begin(), live.end(), id) != live.end()) continue;
    if (auto log = spdlog::get("vidx"))
      log->info("removing snapshot {} of a deleted generation", e.path().string());
    VIDX_RETURN_IF_ERROR(RemoveSnapshot(state_dir, id));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<IndexService>> IndexService::Open(Catalog* catalog,
                                                           const std::string& state_dir,
                                                           const std::string& factory,
                                                           const std::string& fingerprint,
                                                           uint32_t dimension) {
  VIDX_RETURN_IF_ERROR(CleanUpInterruptedDeletions(catalog, state_dir));
  StatusOr<Generation> gen = catalog->FindGeneration(fingerprint);
  if (!gen.ok() && gen.status().code() == StatusCode::kNotFound) {
    gen = catalog->CreateGeneration(fingerprint, dimension);
  }
  if (!gen.ok()) return gen.status();
  if (gen->dimension != dimension) {
    return Status::FailedPrecondition("generation " + std::to_string(gen->id) +
                                      " holds vectors of " + std::to_string(gen->dimension) +
                                      " floats, the model makes " + std::to_string(dimension));
  }
  StatusOr<OpenedIndex> opened = OpenIndexForGeneration(*catalog, gen->id, factory, state_dir);
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<IndexService>(new IndexService(
      catalog, state_dir, *gen, std::move(opened->index), opened->path == IndexOpenPath::kRebuilt));
}

IndexService::IndexService(Catalog* catalog, std::string state_dir, Generation generation,
                           std::unique_ptr<VectorIndex> index, bool rebuilt_at_open)
    : catalog_(catalog),
      state_dir_(std::move(state_dir)),
      generation_(std::move(generation)),
      index_(std::move(index)),
      rebuilt_at_open_(rebuilt_at_open) {}

void IndexService::Apply(const CommitReceipt& receipt, const FileResult* result) {
  if (receipt.generation != generation_.id) return;
  Status s;
  if (!receipt.removed_ids.empty()) {
    s = index_->Remove(receipt.removed_ids.size(), receipt.removed_ids.data());
  }
  if (s.ok() && receipt.deletion_seq != 0) index_->MarkDeletionsApplied(receipt.deletion_seq);
  if (s.ok() && result != nullptr && !receipt.added_ids.empty()) {
    if (receipt.added_ids.size() != result->segments.size()) {
      s = Status::Internal("commit receipt does not match the file's segments");
    } else {
      const size_t dim = generation_.dimension;
      std::vector<float> x(receipt.added_ids.size() * dim);
      for (size_t i = 0; i < result->segments.size(); ++i) {
        std::copy(result->segments[i].vector.begin(), result->segments[i].vector.end(),
                  x.begin() + static_cast<ptrdiff_t>(i * dim));
      }
      s = index_->Add(receipt.added_ids.size(), receipt.added_ids.data(), x.data());
    }
  }
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(error_mu_);
    if (index_error_.ok()) index_error_ = s;
  }
}

Status IndexService::Commit(const std::string& fingerprint, const FileResult& result) {
  StatusOr<CommitReceipt> receipt =
      catalog_->CommitFile(fingerprint, result, [&](const CommitReceipt& r) { Apply(r, &result); });
  return receipt.status();
}

StatusOr<std::optional<KnownFile>> IndexService::Find(const std::string& path) {
  StatusOr<FileRecord> rec = catalog_->GetFile(generation_.id, path);
  if (!rec.ok()) {
    if (rec.status().code() == StatusCode::kNotFound) return std::optional<KnownFile>();
    return rec.status();
  }
  KnownFile k;
  k.file = rec->file;
  k.failed = rec->status == FileStatus::kFailed;
  // kUnknown: failed before the kind was recorded; retried like an unreadable file.
  k.unreadable = k.failed && (rec->failure == FailureKind::kUnreadable ||
                              rec->failure == FailureKind::kUnknown);
  return std::optional<KnownFile>(std::move(k));
}

StatusOr<std::vector<std::string>> IndexService::FindByContentHash(
    const std::string& content_hash) {
  StatusOr<std::vector<FileRecord>> recs =
      catalog_->FilesByContentHash(generation_.id, content_hash);
  if (!recs.ok()) return recs.status();
  std::vector<std::string> paths;
  for (const FileRecord& r : *recs) paths.push_back(r.file.path);
  return paths;
}

Status IndexService::Rename(const std::string& old_path, const FileIdentity& renamed) {
  StatusOr<std::vector<CommitReceipt>> receipts = catalog_->RenameFile(old_path, renamed);
  if (!receipts.ok()) return receipts.status();
  for (const CommitReceipt& r : *receipts) Apply(r, nullptr);
  return Status::Ok();
}

StatusOr<std::vector<std::string>> IndexService::VanishedFiles(
    const std::vector<std::string>& roots) const {
  std::vector<std::string> gone;
  Status s = catalog_->ForEachFile(generation_.id, [&](const FileRecord& r) {
    for (const std::string& root : roots) {
      std::error_code ec;
      if (PathIsUnder(r.file.path, root) && !std::filesystem::exists(r.file.path, ec) && !ec) {
        gone.push_back(r.file.path);
        break;
      }
    }
    return Status::Ok();
  });
  VIDX_RETURN_IF_ERROR(s);
  return gone;
}

Status IndexService::RemoveVanished(const std::vector<std::string>& roots, int64_t* removed) {
  *removed = 0;
  StatusOr<std::vector<std::string>> gone = VanishedFiles(roots);
  if (!gone.ok()) return gone.status();
  for (const std::string& path : *gone) {
    StatusOr<std::vector<CommitReceipt>> receipts = catalog_->RemoveFile(path);
    if (!receipts.ok()) return receipts.status().WithContext("removing " + path);
    for (const CommitReceipt& r : *receipts) Apply(r, nullptr);
    ++*removed;
  }
  return Status::Ok();
}

Status IndexService::Snapshot() {
  {
    std::lock_guard<std::mutex> lock(error_mu_);
    if (index_error_.ok()) {
      VIDX_RETURN_IF_ERROR(index_->Save(SnapshotDir(state_dir_, generation_.id), generation_.id));
    } else if (auto log = spdlog::get("vidx")) {
      // The catalog holds everything; the next start rebuilds the index from it.
      log->warn("vector index not snapshotted ({}); it will be rebuilt from the catalog",
                index_error_.message());
    }
  }
  StatusOr<Generation> current = catalog_->GetGeneration(generation_.id);
  VIDX_RETURN_IF_ERROR(current.status());
  generation_ = *current;
  return Status::Ok();
}

StatusOr<std::optional<uint64_t>> IndexService::Activate() {
  StatusOr<Generation> current = catalog_->GetGeneration(generation_.id);
  VIDX_RETURN_IF_ERROR(current.status());
  generation_ = *current;
  if (generation_.state != GenerationState::kBuilding) return std::optional<uint64_t>();
  std::optional<Generation> old = catalog_->ActiveGeneration();
  VIDX_RETURN_IF_ERROR(catalog_->SetActive(generation_.id));
  current = catalog_->GetGeneration(generation_.id);
  if (current.ok()) generation_ = *current;
  return old ? std::optional<uint64_t>(old->id) : std::optional<uint64_t>();
}

Status IndexService::Finish(bool activate, bool* flipped) {
  if (flipped != nullptr) *flipped = false;
  VIDX_RETURN_IF_ERROR(Snapshot());
  if (!activate || generation_.state != GenerationState::kBuilding) return Status::Ok();
  StatusOr<std::optional<uint64_t>> retired = Activate();
  if (!retired.ok()) return retired.status();
  if (flipped != nullptr) *flipped = true;
  if (*retired) VIDX_RETURN_IF_ERROR(DeleteGenerationData(catalog_, state_dir_, **retired));
  return Status::Ok();
}

Status DeleteGenerationData(Catalog* catalog, const std::string& state_dir, uint64_t id) {
  Status s = catalog->DeleteGeneration(id);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  // A kill between the two leaves a snapshot directory of no generation, which the next
  // IndexService::Open removes.
  VIDX_RETURN_IF_ERROR(RemoveSnapshot(state_dir, id));
  Status compacted = catalog->CompactGeneration(id);
  if (!compacted.ok()) {
    if (auto log = spdlog::get("vidx")) {
      log->warn("generation {} deleted, its space not reclaimed yet: {}", id, compacted.message());
    }
  }
  return Status::Ok();
}

}  // namespace vidx
