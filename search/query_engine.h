// QueryEngine: turns a query (text with +/- terms, a picture, a video moment) into one
// embedding with the model, searches the active generation's VectorIndex, and groups the
// nearest segments by file (file score = its best segment). Moments: a file's hit segments
// scoring at least (file score - kMomentMargin), merged where adjacent or overlapping, each
// scored by its best segment, best first, at most kMaxMoments.
//
// Match probability: when the model has a MatchCalibration (SigLIP) and the query is one text
// and nothing else, every hit also carries the calibrated probability of its score, the
// probability the model gives that the text describes the file's best segment. Other queries
// (pictures, moments, several terms, a negated term) compare vectors the calibration was not
// trained on, so their hits carry none; nor do CLIP's.
//
// A model whose fingerprint differs from the generation's is refused (kFailedPrecondition):
// vectors of two feature spaces are never compared.
//
// Thread-safety: Search may be called concurrently; everything passed in is not owned and
// must outlive the engine.
#ifndef VIDX_SEARCH_QUERY_ENGINE_H_
#define VIDX_SEARCH_QUERY_ENGINE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "indexer/model/embedder.h"
#include "indexer/pipeline/inference_gate.h"
#include "indexer/video/sampler.h"
#include "search/catalog.h"
#include "search/query_cache.h"
#include "search/vector_index.h"

namespace vidx {

// Cosine below a file's best segment within which other segments still make moments.
constexpr float kMomentMargin = 0.02f;
constexpr size_t kMaxMoments = 10;

// Which files a search may return. Empty / unset fields do not restrict.
struct SearchFilter {
  std::string folder;  // absolute; only files under it (at a path-component boundary)
  std::optional<int64_t> modified_after;   // unix seconds; the file's mtime >= this
  std::optional<int64_t> modified_before;  // unix seconds; the file's mtime < this
  bool empty() const { return folder.empty() && !modified_after && !modified_before; }
  bool Matches(const FileRecord& file) const;
};

// A moment of a catalogued file: the segment of file `file` (a file id, see FileHit) that
// covers `t` seconds (or the nearest one).
struct MomentRef {
  uint64_t file = 0;
  double t = 0;
};

struct Query {
  std::string text;         // "beach + dog - night": each term embedded; + adds, - subtracts
  std::string image;        // a picture file, added as a term (local callers only)
  std::string image_bytes;  // an encoded picture (png, jpeg, ...), added as a term
  std::string like;         // VIDEO[@SECONDS]: the sampled frame nearest SECONDS (default: middle)
  std::optional<MomentRef> like_moment;  // that moment's stored vector, added as a term
  int k = 10;                            // files to return
  int offset = 0;                        // files skipped before the first returned (paging)
  SearchFilter filter;
};

struct Moment {
  double start = 0;
  double end = 0;
  float score = 0;
};

struct FileHit {
  // The file id: the id of the file's first vector in the searched generation. Vector ids
  // are never reused, so an id names one file of one generation; it changes with a reindex.
  uint64_t file_id = 0;
  std::string path;
  float score = 0;
  std::optional<float> probability;  // MatchCalibration::Probability(score); see above
  std::vector<Moment> moments;       // best first
  double duration = 0;               // seconds of video, as catalogued
  std::string codec;
  uint64_t size = 0;     // bytes, as catalogued
  int64_t mtime_ns = 0;  // as catalogued
};

struct SearchResponse {
  std::string fingerprint;
  int offset = 0;                // the query's offset
  std::vector<FileHit> results;  // best first, at most k, starting at rank offset
  bool more = false;             // further files match beyond offset + k
};

// Signed terms of a text query: words "+" and "-" (standing alone) switch the sign of the
// term that follows; the first term is positive. Empty terms are dropped.
std::vector<std::pair<int, std::string>> ParseTextTerms(const std::string& text);

// The calibration that turns a score of `query` into a match probability: the embedder's, when
// the query is exactly one positive text term (see the header comment); nullopt otherwise.
std::optional<MatchCalibration> CalibrationForQuery(const Embedder& embedder, const Query& query);

// Sorts hits by start and merges those that overlap or touch (within 1 ms); the merged
// score is the best. Result ordered best first.
std::vector<Moment> MergeMoments(std::vector<Moment> hits);

// The hits of one query (row 0 of `hits`) grouped by file: path -> moments, each the hit's
// segment and score. Looks the ids up with one Catalog::GetVectors; an id the generation no
// longer has (removed since the index was searched) is skipped, negative ids (FAISS's
// padding) too. Any other catalog failure is returned.
StatusOr<std::map<std::string, std::vector<Moment>>> GroupHitsByFile(const Catalog& catalog,
                                                                     uint64_t generation,
                                                                     const SearchResults& hits);

// The indexed file of `generation` whose id (first vector id) is `file_id`. kNotFound for any
// other id (a later segment's id, a failed file's, an unknown one).
StatusOr<FileRecord> FindFileById(const Catalog& catalog, uint64_t generation, uint64_t file_id);

// The stored vector of `moment`: the file's segment covering moment.t, else the nearest.
// kNotFound when the generation has no file with that id.
StatusOr<std::vector<float>> MomentVector(const Catalog& catalog, uint64_t generation,
                                          const MomentRef& moment);

class QueryEngine {
 public:
  // `sampler` must be the options the generation was built with (for --like). `gate` (may be
  // null, not owned) is entered while the model runs for a query, not for answers from the
  // cache (indexer/pipeline/inference_gate.h: indexing in the same process waits meanwhile).
  QueryEngine(const Embedder* embedder, std::string model_fingerprint, const Catalog* catalog,
              Generation generation, const VectorIndex* index, SamplerOptions sampler,
              InferenceGate* gate = nullptr);

  // The normalised query embedding. kInvalidArgument for an empty query or terms that
  // cancel out; file errors name the file.
  StatusOr<std::vector<float>> Embed(const Query& query) const;
  // Embed + search. kFailedPrecondition when the fingerprints differ; kInvalidArgument for
  // k < 1 or offset < 0; kNotFound when like_moment names no file of the generation.
  StatusOr<SearchResponse> Search(const Query& query) const;

  // FindFileById in the searched generation.
  StatusOr<FileRecord> FindFile(uint64_t file_id) const;

  // The distinct folders (parent directories) of the generation's indexed files, sorted.
  StatusOr<std::vector<std::string>> Folders() const;

  const Generation& generation() const { return generation_; }
  // The embeddings of recent text terms, uploaded pictures (by their bytes' sha256) and
  // moments (query_cache.h); a picture file named by path and a video moment by path are
  // embedded every time.
  const QueryCache& cache() const { return cache_; }

 private:
  const Embedder* embedder_;
  const std::string model_fingerprint_;
  const Catalog* catalog_;
  const Generation generation_;
  const VectorIndex* index_;
  const SamplerOptions sampler_;
  InferenceGate* const gate_;
  mutable QueryCache cache_{kQueryCacheEntries};
};

}  // namespace vidx

#endif  // VIDX_SEARCH_QUERY_ENGINE_H_
