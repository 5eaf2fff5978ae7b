#include "indexer/pipeline/triage.h"

#include <unistd.h>

#include <filesystem>
#include <optional>

#include "indexer/pipeline/file_scan.h"

namespace vidx {

namespace {

// Moves the first known record with `hash` whose file is gone to `id`. *renamed says whether
// one was found.
Status TryRename(KnownFiles* known, const FileIdentity& id, const std::string& hash,
                 PipelineCounters* c, bool* renamed) {
  *renamed = false;
  StatusOr<std::vector<std::string>> same = known->FindByContentHash(hash);
  if (!same.ok()) return same.status().WithContext("looking up the content of " + id.path);
  for (const std::string& old_path : *same) {
    std::error_code ec;
    if (old_path == id.path || std::filesystem::exists(old_path, ec)) continue;
    const PipelineClock::time_point t0 = PipelineClock::now();
    Status s = known->Rename(old_path, id);
    c->write_seconds += SecondsSince(t0);
    if (!s.ok()) return s.WithContext("renaming " + old_path + " to " + id.path);
    *renamed = true;
    return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

Status TriageFiles(const std::vector<std::string>& files, KnownFiles* known,
                   std::vector<PendingFile>* pending, PipelineCounters* counters,
                   const std::function<void()>& on_step) {
  PipelineCounters& c = *counters;
  auto step = [&] {
    if (on_step) on_step();
  };
  for (const std::string& path : files) {
    StatusOr<FileIdentity> id = IdentifyFile(path);
    if (!id.ok()) {  // vanished since it was listed: nothing to record
      ++c.files_failed;
      continue;
    }
    StatusOr<std::optional<KnownFile>> found = known->Find(path);
    if (!found.ok()) return found.status().WithContext("looking up " + path);
    const std::optional<KnownFile>& record = *found;
    // Unchanged files are skipped; one that failed only for want of permission is retried
    // once it can be read (a chmod changes neither size, mtime nor inode).
    if (record && SameFileState(record->file, *id) &&
        !(record->unreadable && ::access(path.c_str(), R_OK) == 0)) {
      ++c.files_unchanged;
      step();
      continue;
    }
    PendingFile p;
    p.file = *id;
    StatusOr<std::string> hash = ContentHash(path);
    if (hash.ok()) {
      bool renamed = false;
      VIDX_RETURN_IF_ERROR(TryRename(known, *id, *hash, &c, &renamed));
      if (renamed) {
        ++c.files_renamed;
        step();
        continue;
      }
      p.content_hash = *hash;
    } else if (hash.status().code() == StatusCode::kNotFound) {
      ++c.files_failed;  // vanished since it was examined: nothing to record
      continue;
    } else {
      p.read_error = hash.status();
    }
    pending->push_back(std::move(p));
  }
  return Status::Ok();
}

}  // namespace vidx
