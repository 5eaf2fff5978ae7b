// IndexSink: where the indexing pipeline hands each finished file: one Commit per file, with
// its segments (kIndexed) or its error and FailureKind (kFailed: unreadable or undecodable).
// Files the pipeline does not finish (vanished after being listed, cut short by a
// cancellation, or pending when the run stops on an error) are not handed over. The catalog
// (search/) implements it with one RocksDB WriteBatch per file; tests fake it. indexer/ knows
// nothing of RocksDB or FAISS.
//
// Thread-safety: one pipeline calls Commit from the thread that runs IndexPipeline::Run;
// implementations shared by several pipelines must accept concurrent calls.
#ifndef VIDX_INDEXER_PIPELINE_INDEX_SINK_H_
#define VIDX_INDEXER_PIPELINE_INDEX_SINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/checkpoint_hash.h"

namespace vidx {

// One vector and the stretch of the video it stands for.
struct Segment {
  double start = 0;           // seconds from the start of the presentation
  double end = 0;             // >= start
  std::vector<float> vector;  // L2-normalised, the model's dimension
};

enum class FileOutcome { kIndexed, kFailed };

// Why a file failed, in a form later runs can act on without reading the message (which is
// for people and may be localised): an unreadable file is retried once it can be read.
enum class FailureKind : uint8_t {
  kNone = 0,         // not failed
  kUnreadable = 1,   // could not be opened or read (permission denied, I/O error)
  kUndecodable = 2,  // read, but no frame could be decoded from it
  kUnknown = 3,      // failed before the kind was recorded (catalog format 1): retried like
                     // kUnreadable, and the retry records a real kind
};

struct FileResult {
  FileIdentity file;         // path, size, mtime, inode, device when the file was read
  std::string content_hash;  // ContentHash() of the file: recognises renames and moves
  FileOutcome outcome = FileOutcome::kIndexed;
  std::string error;                         // one human-readable sentence when kFailed
  FailureKind failure = FailureKind::kNone;  // set when kFailed
  double duration = 0;                       // seconds
  std::string codec;
  std::vector<Segment> segments;  // empty when kFailed
};

class IndexSink {
 public:
  virtual ~IndexSink() = default;
  // Records the file and all its segments atomically for the generation of `fingerprint`
  // (replacing what that generation held for the same path). Either everything is stored or
  // nothing is.
  virtual Status Commit(const std::string& fingerprint, const FileResult& result) = 0;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_INDEX_SINK_H_
