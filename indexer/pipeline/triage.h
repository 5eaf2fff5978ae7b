// Triage: the first step of an indexing run. Each listed file is checked against what the
// generation already knows (KnownFiles):
//  * unchanged (same size, mtime and inode as its record, indexed or failed) -> skipped, except
//    a file that failed only for want of permission and is readable now;
//  * its ContentHash() matches a record whose path no longer exists -> a rename, moved in the
//    catalog (KnownFiles::Rename) without re-embedding;
//  * vanished since it was listed -> counted as failed, nothing recorded;
//  * otherwise -> to embed (a file whose content cannot be read is still handed on, with the
//    read error, kIoError, so that it is committed as failed and unreadable).
//
// Thread-safety: runs on the caller's thread; `known` is used from it only.
#ifndef VIDX_INDEXER_PIPELINE_TRIAGE_H_
#define VIDX_INDEXER_PIPELINE_TRIAGE_H_

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/pipeline/known_files.h"
#include "indexer/pipeline/pipeline_counters.h"

namespace vidx {

// A file the run must embed, or commit as failed without decoding it.
struct PendingFile {
  FileIdentity file;
  std::string content_hash;  // empty when it could not be read
  Status read_error;         // not OK: the content could not be read (commit as failed)
};

// Triages `files` in order, appending the ones to embed to `pending`. Updates
// files_unchanged, files_renamed, files_failed (vanished) and write_seconds (renames) in
// `counters`; `on_step` (may be null) is called after each skipped or renamed file.
// Errors: a KnownFiles read or rename error stops triage and is returned with the path as
// context (renames done before it stay done).
Status TriageFiles(const std::vector<std::string>& files, KnownFiles* known,
                   std::vector<PendingFile>* pending, PipelineCounters* counters,
                   const std::function<void()>& on_step);

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_TRIAGE_H_
