#include "search/known_overlay.h"

#include <algorithm>

namespace vidx {

StatusOr<std::optional<KnownFile>> KnownOverlay::Find(const std::string& path) {
  StatusOr<std::optional<KnownFile>> own = own_->Find(path);
  if (!own.ok() || own->has_value()) return own;
  StatusOr<FileRecord> r = base_->GetFile(base_generation_, path);
  if (r.status().code() == StatusCode::kNotFound) return std::optional<KnownFile>();
  if (!r.ok()) return r.status();
  KnownFile k;
  k.file = r->file;
  k.failed = r->status == FileStatus::kFailed;
  k.unreadable = r->failure == FailureKind::kUnreadable;
  return std::optional<KnownFile>(k);
}

StatusOr<std::vector<std::string>> KnownOverlay::FindByContentHash(
    const std::string& content_hash) {
  StatusOr<std::vector<std::string>> paths = own_->FindByContentHash(content_hash);
  if (!paths.ok()) return paths;
  StatusOr<std::vector<FileRecord>> base =
      base_->FilesByContentHash(base_generation_, content_hash);
  if (!base.ok()) return base.status();
  for (const FileRecord& r : *base) {
    if (std::find(paths->begin(), paths->end(), r.file.path) == paths->end()) {
      paths->push_back(r.file.path);
    }
  }
  return paths;
}

Status KnownOverlay::Rename(const std::string& old_path, const FileIdentity& renamed) {
  StatusOr<std::optional<KnownFile>> own = own_->Find(old_path);
  if (!own.ok()) return own.status();
  if (own->has_value()) return own_->Rename(old_path, renamed);
  StatusOr<FileRecord> r = base_->GetFile(base_generation_, old_path);
  if (!r.ok()) return r.status();
  StatusOr<std::vector<std::optional<VectorRecord>>> vectors =
      base_->GetVectors(base_generation_, r->vector_ids);
  if (!vectors.ok()) return vectors.status();
  FileResult copy;
  copy.file = renamed;
  copy.content_hash = r->content_hash;
  copy.outcome = r->status == FileStatus::kIndexed ? FileOutcome::kIndexed : FileOutcome::kFailed;
  copy.error = r->error;
  copy.failure = r->failure;
  copy.duration = r->duration;
  copy.codec = r->codec;
  for (size_t i = 0; i < vectors->size(); ++i) {
    if (!(*vectors)[i]) {
      return Status::Corruption("base catalog " + base_->path() + " lacks vector " +
                                std::to_string(r->vector_ids[i]) + " of " + old_path);
    }
    copy.segments.push_back(
        Segment{(*vectors)[i]->start, (*vectors)[i]->end, std::move((*vectors)[i]->vector)});
  }
  return own_->Commit(own_->generation().fingerprint, copy);
}

}  // namespace vidx
