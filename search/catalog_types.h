// The catalog's record types (docs/architecture.md §5): generations, files, vectors, commit
// receipts. Plain values; copying and reading from several threads is safe.
#ifndef VIDX_SEARCH_CATALOG_TYPES_H_
#define VIDX_SEARCH_CATALOG_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "indexer/model/checkpoint_hash.h"
#include "indexer/pipeline/index_sink.h"

namespace vidx {

enum class GenerationState : uint8_t { kBuilding = 0, kActive = 1, kRetired = 2 };
const char* GenerationStateName(GenerationState s);

// One generation: the vectors produced under one feature fingerprint.
struct Generation {
  uint64_t id = 0;  // allocated from 1 upwards, never reused
  std::string fingerprint;
  GenerationState state = GenerationState::kBuilding;
  uint32_t dimension = 0;    // every vector of the generation has this many floats
  int64_t created_unix = 0;  // seconds since the epoch
  // Maintained by every write that changes them (same WriteBatch).
  uint64_t files_indexed = 0;
  uint64_t files_failed = 0;
  uint64_t vectors = 0;
};

enum class FileStatus : uint8_t { kIndexed = 0, kFailed = 1 };

// What one generation knows of one path.
struct FileRecord {
  FileIdentity file;         // as read when it was processed (file.path is the key)
  std::string content_hash;  // recognises renames and moves
  FileStatus status = FileStatus::kIndexed;
  std::string error;                         // one sentence when kFailed
  FailureKind failure = FailureKind::kNone;  // when kFailed: why, for later runs
  uint32_t attempts = 0;  // commits of this path in this generation (1 after the first)
  double duration = 0;    // seconds of video
  std::string codec;
  uint64_t generation = 0;
  int64_t updated_unix = 0;
  std::vector<uint64_t> vector_ids;  // ascending; empty when kFailed
};

// One stored vector and the stretch of video it stands for.
struct VectorRecord {
  uint64_t id = 0;  // global, monotonically allocated, never reused
  std::string path;
  double start = 0;
  double end = 0;
  std::vector<float> vector;  // the generation's dimension
};

// What one catalog write changed in one generation: what a vector index of that generation
// must apply (add `added_ids`, remove `removed_ids`) to stay equal to the catalog.
struct CommitReceipt {
  uint64_t generation = 0;
  std::vector<uint64_t> added_ids;    // in segment order (CommitFile); empty for renames
  std::vector<uint64_t> removed_ids;  // vectors the write deleted (logged under deletion_seq)
  uint64_t deletion_seq = 0;          // 0 when nothing was removed
};

}  // namespace vidx

#endif  // VIDX_SEARCH_CATALOG_TYPES_H_
