// IndexPipeline: one batch indexing run (DESIGN §2): files -> N decode workers (FrameSampler)
// -> bounded frame queue -> inference batched across files (ClipEncoder) -> per-file
// assembly into segments -> IndexSink::Commit, one call per finished file.
//
// Before decoding, each file is checked against what the generation already knows
// (KnownFiles): an unchanged file (same size, mtime and inode) is skipped, whether it was
// indexed or failed; a file whose ContentHash() matches a known record whose path no longer
// exists is a rename and is moved in the catalog (KnownFiles::Rename) without re-embedding.
//
// Segments: `clip_frames` consecutive sampled frames make one segment; its vector is the
// mean of the frames' normalised vectors, re-normalised; it starts at the first frame's time
// and ends at the last frame's time + 1/fps, capped at the video's duration (and never before
// its start).
//
// Failures: a file that cannot be decoded is committed with outcome kFailed and its error;
// the run carries on. An encoder or sink failure stops the run and Run() returns it (files
// committed before it stay committed).
//
// Thread-safety: Run() is not reentrant; it calls the sink and KnownFiles from the thread
// that called Run(), the progress callback too.
#ifndef VIDX_INDEXER_PIPELINE_PIPELINE_H_
#define VIDX_INDEXER_PIPELINE_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/clip_encoder.h"
#include "indexer/pipeline/index_sink.h"
#include "indexer/video/sampler.h"

namespace vidx {

// What the generation being built knows of one path.
struct KnownFile {
  FileIdentity file;
  bool failed = false;
  bool unreadable = false;  // failed with FailureKind::kUnreadable
};

// The catalog as the pipeline sees it, for one generation (implemented in search/).
class KnownFiles {
 public:
  virtual ~KnownFiles() = default;
  // nullopt when the generation has no record of `path`; an error when the catalog could
  // not be read (the run stops rather than silently re-embedding the file).
  virtual StatusOr<std::optional<KnownFile>> Find(const std::string& path) = 0;
  // Paths of records whose content hash is `content_hash`; errors as for Find.
  virtual StatusOr<std::vector<std::string>> FindByContentHash(
      const std::string& content_hash) = 0;
  // Moves `old_path`'s record and vectors to `renamed.path`.
  virtual Status Rename(const std::string& old_path, const FileIdentity& renamed) = 0;
};

struct PipelineOptions {
  SamplerOptions sampler;     // fps, max_frames, output_size/resize_shortest from the model
  int clip_frames = 1;        // >= 1
  int batch_size = 64;        // frames per inference call, >= 1
  int decode_workers = 2;     // decode threads, >= 1
  size_t queue_frames = 256;  // bounded frame queue between decoders and inference
  // Not owned; may be null. Once it reads true, no file starts decoding, the files being
  // decoded are abandoned (nothing of them is committed) and Run() returns kUnavailable
  // "indexing cancelled"; files committed before stay committed.
  const std::atomic<bool>* cancel = nullptr;
};

struct PipelineCounters {
  int64_t files_total = 0;      // files handed to Run()
  int64_t files_embedded = 0;   // committed with vectors
  int64_t files_unchanged = 0;  // skipped: same size, mtime, inode
  int64_t files_renamed = 0;    // moved in the catalog, not re-embedded
  int64_t files_failed = 0;     // committed as failed
  int64_t frames = 0;           // frames embedded
  int64_t segments = 0;
  double video_seconds = 0;     // duration of the embedded files
  double decode_seconds = 0;    // summed over decode workers (excluding queue waits)
  double infer_seconds = 0;
  double write_seconds = 0;     // sink commits and renames
  double wall_seconds = 0;
};

// Called after every finished file and every inference batch.
using PipelineProgress = std::function<void(const PipelineCounters&)>;

class IndexPipeline {
 public:
  // None owned; all must outlive the pipeline. `encoder` must be the model that produced
  // `fingerprint`.
  IndexPipeline(const ClipEncoder* encoder, std::string fingerprint, IndexSink* sink,
                KnownFiles* known, PipelineOptions options);

  // Indexes `files` (absolute paths, e.g. from ExpandPaths). `counters` gets the totals
  // (also on error); `progress` may be null.
  Status Run(const std::vector<std::string>& files, PipelineCounters* counters,
             const PipelineProgress& progress = nullptr);

 private:
  const ClipEncoder* encoder_;
  const std::string fingerprint_;
  IndexSink* sink_;
  KnownFiles* known_;
  const PipelineOptions options_;
};

// Sampler options that yield exactly what `encoder`'s preprocessing wants (shortest side to
// its shortest_edge, centre crop to its input size), so frames go to EncodePreparedImages.
// kUnsupported for preprocessing the sampler cannot reproduce (exact resize without a square
// centre crop, a non-square input).
StatusOr<SamplerOptions> SamplerOptionsForModel(const ClipEncoder& encoder, double fps,
                                                int max_frames, double keyframe_tolerance);

// Segments of a file from its frames' vectors (n x dim, each normalised) and times.
std::vector<Segment> PoolSegments(const std::vector<float>& vectors, int dim,
                                  const std::vector<double>& times, int clip_frames, double fps,
                                  double duration);

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_PIPELINE_H_
