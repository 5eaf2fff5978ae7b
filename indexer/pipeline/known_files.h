// KnownFiles: the catalog as the indexing pipeline sees it, for the generation being built
// (implemented in search/, faked in tests): what it holds for a path, which paths hold given
// content, and how to move a record when a file was renamed.
//
// Thread-safety: the pipeline calls it from one thread; implementations need not be
// thread-safe for it.
#ifndef VIDX_INDEXER_PIPELINE_KNOWN_FILES_H_
#define VIDX_INDEXER_PIPELINE_KNOWN_FILES_H_

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/checkpoint_hash.h"

namespace vidx {

// What the generation being built knows of one path.
struct KnownFile {
  FileIdentity file;
  bool failed = false;
  bool unreadable = false;  // failed with FailureKind::kUnreadable
};

class KnownFiles {
 public:
  virtual ~KnownFiles() = default;
  // nullopt when the generation has no record of `path`; an error when the catalog could
  // not be read (the run stops rather than silently re-embedding the file).
  virtual StatusOr<std::optional<KnownFile>> Find(const std::string& path) = 0;
  // Paths of records whose content hash is `content_hash`; errors as for Find.
  virtual StatusOr<std::vector<std::string>> FindByContentHash(const std::string& content_hash) = 0;
  // Moves `old_path`'s record and vectors to `renamed.path`.
  virtual Status Rename(const std::string& old_path, const FileIdentity& renamed) = 0;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_KNOWN_FILES_H_
