#include "search/query_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "indexer/model/sha256.h"
#include "indexer/video/image_io.h"

namespace vidx {

std::vector<std::pair<int, std::string>> ParseTextTerms(const std::string& text) {
  std::vector<std::pair<int, std::string>> terms;
  std::istringstream in(text);
  std::string word, current;
  int sign = 1;
  auto close = [&] {
    if (!current.empty()) terms.emplace_back(sign, current);
    current.clear();
  };
  while (in >> word) {
    if (word == "+" || word == "-") {
      close();
      sign = word == "+" ? 1 : -1;
    } else {
      current += (current.empty() ? "" : " ") + word;
    }
  }
  close();
  return terms;
}

std::optional<MatchCalibration> CalibrationForQuery(const Embedder& embedder, const Query& query) {
  if (!query.image.empty() || !query.image_bytes.empty() || !query.like.empty() ||
      query.like_moment) {
    return std::nullopt;
  }
  const std::vector<std::pair<int, std::string>> terms = ParseTextTerms(query.text);
  if (terms.size() != 1 || terms[0].first < 0) return std::nullopt;
  return embedder.match_calibration();
}

std::vector<Moment> MergeMoments(std::vector<Moment> hits) {
  std::sort(hits.begin(), hits.end(),
            [](const Moment& a, const Moment& b) { return a.start < b.start; });
  std::vector<Moment> merged;
  for (const Moment& m : hits) {
    if (!merged.empty() && m.start <= merged.back().end + 1e-3) {
      merged.back().end = std::max(merged.back().end, m.end);
      merged.back().score = std::max(merged.back().score, m.score);
    } else {
      merged.push_back(m);
    }
  }
  std::stable_sort(merged.begin(), merged.end(),
                   [](const Moment& a, const Moment& b) { return a.score > b.score; });
  return merged;
}

QueryEngine::QueryEngine(const Embedder* embedder, std::string model_fingerprint,
                         const Catalog* catalog, Generation generation, const VectorIndex* index,
                         SamplerOptions sampler, InferenceGate* gate)
    : embedder_(embedder),
      model_fingerprint_(std::move(model_fingerprint)),
      catalog_(catalog),
      generation_(std::move(generation)),
      index_(index),
      sampler_(std::move(sampler)),
      gate_(gate) {}

StatusOr<std::vector<float>> QueryEngine::Embed(const Query& query) const {
  const size_t dim = static_cast<size_t>(embedder_->dim());
  std::vector<float> sum(dim, 0.0f);
  int terms = 0;
  auto add = [&](const std::vector<float>& v, int sign) {
    for (size_t i = 0; i < dim; ++i) sum[i] += static_cast<float>(sign) * v[i];
    ++terms;
  };
  // A term's vector from the cache, else from `embed` (then cached).
  auto cached = [&](QueryCache::Kind kind, const std::string& what,
                    const std::function<Status(float*)>& embed) -> StatusOr<std::vector<float>> {
    const std::string key = QueryCache::Key(model_fingerprint_, generation_.id, kind, what);
    if (std::optional<std::vector<float>> hit = cache_.Get(key)) return std::move(*hit);
    std::vector<float> v(dim);
    {
      InferenceGate::SearchTicket ticket(gate_);
      VIDX_RETURN_IF_ERROR(embed(v.data()));
    }
    cache_.Put(key, v);
    return v;
  };
  for (const auto& [sign, text] : ParseTextTerms(query.text)) {
    StatusOr<std::vector<float>> v = cached(QueryCache::Kind::kText, text, [&](float* out) {
      return embedder_->EmbedTexts(1, &text, out);
    });
    if (!v.ok()) return v.status();
    add(*v, sign);
  }
  auto add_image = [&](const StatusOr<Frame>& image, const std::string& what) -> Status {
    if (!image.ok()) return image.status();
    std::vector<float> v(dim);
    InferenceGate::SearchTicket ticket(gate_);
    Status s = embedder_->EmbedImages(1, image->height, image->width, image->rgb.data(), v.data());
    if (!s.ok()) return s.WithContext(what);
    add(v, 1);
    return Status::Ok();
  };
  if (!query.image.empty()) {
    VIDX_RETURN_IF_ERROR(add_image(LoadImageRgb(query.image), query.image));
  }
  if (!query.image_bytes.empty()) {
    StatusOr<std::vector<float>> v =
        cached(QueryCache::Kind::kImage, Sha256Hex(query.image_bytes), [&](float* out) {
          StatusOr<Frame> image = DecodeImageBytes(query.image_bytes);
          if (!image.ok()) return image.status();
          Status s = embedder_->EmbedImages(1, image->height, image->width, image->rgb.data(), out);
          return s.ok() ? s : s.WithContext("the picture");
        });
    if (!v.ok()) return v.status();
    add(*v, 1);
  }
  if (query.like_moment) {
    const MomentRef& m = *query.like_moment;
    const std::string what = std::to_string(m.file) + "@" + std::to_string(m.t);
    StatusOr<std::vector<float>> v = cached(QueryCache::Kind::kMoment, what, [&](float* out) {
      StatusOr<std::vector<float>> stored = MomentVector(*catalog_, generation_.id, m);
      if (!stored.ok()) return stored.status();
      if (stored->size() != dim) {
        return Status::Corruption("the stored vector of file " + std::to_string(m.file) + " has " +
                                  std::to_string(stored->size()) + " floats, the model gives " +
                                  std::to_string(dim));
      }
      std::copy(stored->begin(), stored->end(), out);
      return Status::Ok();
    });
    if (!v.ok()) return v.status();
    add(*v, 1);
  }
  if (!query.like.empty()) {
    std::string path = query.like;
    double seconds = -1;
    const size_t at = path.rfind('@');
    if (at != std::string::npos) {
      const std::string tail = path.substr(at + 1);
      char* end = nullptr;
      const double t = std::strtod(tail.c_str(), &end);
      if (!tail.empty() && end != nullptr && *end == '\0' && std::isfinite(t) && t >= 0) {
        seconds = t;
        path = path.substr(0, at);
      }
    }
    FrameSampler sampler(sampler_);
    VideoInfo info;
    std::vector<Frame> frames;
    VIDX_RETURN_IF_ERROR(sampler.SampleAll(path, &info, &frames));
    if (frames.empty()) return Status::InvalidArgument(path + ": no frame could be decoded");
    if (seconds < 0) seconds = info.duration / 2;
    const Frame* best = &frames[0];
    for (const Frame& f : frames) {
      if (std::fabs(f.t - seconds) < std::fabs(best->t - seconds)) best = &f;
    }
    const ImagePreprocessSpec& input = embedder_->image_input();
    if (best->height != input.height || best->width != input.width) {
      return Status::InvalidArgument(path + ": the sampler gave a " + std::to_string(best->width) +
                                     "x" + std::to_string(best->height) +
                                     " frame, the model takes " + std::to_string(input.width) +
                                     "x" + std::to_string(input.height));
    }
    std::vector<float> v(dim);
    InferenceGate::SearchTicket ticket(gate_);
    Status s = embedder_->EmbedPreparedImages(1, best->rgb.data(), v.data());
    if (!s.ok()) return s.WithContext(path);
    add(v, 1);
  }
  if (terms == 0)
    return Status::InvalidArgument("the query is empty: give text, a picture or a moment");
  double norm = 0;
  for (float x : sum) norm += static_cast<double>(x) * x;
  norm = std::sqrt(norm);
  if (!(norm > 1e-6)) return Status::InvalidArgument("the query's terms cancel each other out");
  for (float& x : sum) x = static_cast<float>(x / norm);
  return sum;
}

StatusOr<std::map<std::string, std::vector<Moment>>> GroupHitsByFile(const Catalog& catalog,
                                                                     uint64_t generation,
                                                                     const SearchResults& hits) {
  std::vector<uint64_t> ids;
  std::vector<float> scores;
  for (size_t j = 0; j < hits.k && j < hits.ids.size(); ++j) {
    if (hits.ids[j] < 0) continue;
    ids.push_back(static_cast<uint64_t>(hits.ids[j]));
    scores.push_back(hits.scores[j]);
  }
  StatusOr<std::vector<std::optional<VectorRecord>>> records = catalog.GetVectors(generation, ids);
  if (!records.ok()) return records.status();
  std::map<std::string, std::vector<Moment>> by_file;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::optional<VectorRecord>& rec = (*records)[i];
    if (!rec) continue;  // removed since the index was searched
    by_file[rec->path].push_back({rec->start, rec->end, scores[i]});
  }
  return by_file;
}

bool SearchFilter::Matches(const FileRecord& file) const {
  if (!folder.empty()) {
    const std::string& path = file.file.path;
    const bool slash = folder.back() == '/';
    if (path.size() <= folder.size() || path.compare(0, folder.size(), folder) != 0 ||
        (!slash && path[folder.size()] != '/')) {
      return false;
    }
  }
  const int64_t mtime = file.file.mtime_ns / 1000000000;
  if (modified_after && mtime < *modified_after) return false;
  if (modified_before && mtime >= *modified_before) return false;
  return true;
}

StatusOr<FileRecord> FindFileById(const Catalog& catalog, uint64_t generation, uint64_t file_id) {
  const Status unknown = Status::NotFound("no indexed file has id " + std::to_string(file_id));
  StatusOr<VectorRecord> first = catalog.GetVector(generation, file_id);
  if (!first.ok()) return first.status().code() == StatusCode::kNotFound ? unknown : first.status();
  StatusOr<FileRecord> file = catalog.GetFile(generation, first->path);
  if (!file.ok()) return file.status().code() == StatusCode::kNotFound ? unknown : file.status();
  if (file->status != FileStatus::kIndexed || file->vector_ids.empty() ||
      file->vector_ids.front() != file_id) {
    return unknown;
  }
  return file;
}

StatusOr<std::vector<float>> MomentVector(const Catalog& catalog, uint64_t generation,
                                          const MomentRef& moment) {
  StatusOr<FileRecord> file = FindFileById(catalog, generation, moment.file);
  if (!file.ok()) return file.status();
  StatusOr<std::vector<std::optional<VectorRecord>>> records =
      catalog.GetVectors(generation, file->vector_ids);
  if (!records.ok()) return records.status();
  const VectorRecord* best = nullptr;
  double best_distance = 0;
  for (const std::optional<VectorRecord>& r : *records) {
    if (!r) continue;
    const double distance = moment.t < r->start ? r->start - moment.t
                            : moment.t > r->end ? moment.t - r->end
                                                : 0;
    if (best == nullptr || distance < best_distance) {
      best = &*r;
      best_distance = distance;
    }
  }
  if (best == nullptr) {
    return Status::NotFound("file " + std::to_string(moment.file) + " has no stored vectors");
  }
  return best->vector;
}

StatusOr<FileRecord> QueryEngine::FindFile(uint64_t file_id) const {
  return FindFileById(*catalog_, generation_.id, file_id);
}

StatusOr<std::vector<std::string>> QueryEngine::Folders() const {
  std::set<std::string> folders;
  Status s = catalog_->ForEachFile(generation_.id, [&](const FileRecord& f) {
    if (f.status != FileStatus::kIndexed) return Status::Ok();
    const size_t slash = f.file.path.rfind('/');
    folders.insert(slash == 0 ? "/" : f.file.path.substr(0, slash));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return std::vector<std::string>(folders.begin(), folders.end());
}

StatusOr<SearchResponse> QueryEngine::Search(const Query& query) const {
  if (model_fingerprint_ != generation_.fingerprint) {
    return Status::FailedPrecondition(
        "the index was built with feature fingerprint " + generation_.fingerprint +
        " but the configured model and sampling give " + model_fingerprint_ +
        "; run `vidx index` with this configuration first");
  }
  if (query.k <= 0) return Status::InvalidArgument("-k must be positive");
  if (query.offset < 0) return Status::InvalidArgument("the offset must not be negative");
  StatusOr<std::vector<float>> q = Embed(query);
  if (!q.ok()) return q.status();
  SearchResponse response;
  response.fingerprint = generation_.fingerprint;
  response.offset = query.offset;
  const size_t live = index_->size();
  if (live == 0) return response;

  // Files wanted: the page, plus one to know whether there are more.
  const size_t wanted = static_cast<size_t>(query.offset) + static_cast<size_t>(query.k) + 1;
  // Over-fetch segments; widen until enough files pass the filter or every vector was seen.
  size_t fetch = std::min(live, wanted * 20);
  std::map<std::string, std::vector<Moment>> by_file;
  std::map<std::string, FileRecord> records;  // of the files that pass the filter
  for (;;) {
    StatusOr<SearchResults> hits = index_->Search(1, q->data(), fetch);
    if (!hits.ok()) return hits.status();
    StatusOr<std::map<std::string, std::vector<Moment>>> grouped =
        GroupHitsByFile(*catalog_, generation_.id, *hits);
    if (!grouped.ok()) return grouped.status();
    by_file = std::move(grouped).value();
    for (auto it = by_file.begin(); it != by_file.end();) {
      auto known = records.find(it->first);
      if (known == records.end()) {
        StatusOr<FileRecord> file = catalog_->GetFile(generation_.id, it->first);
        if (!file.ok() && file.status().code() != StatusCode::kNotFound) return file.status();
        // A file removed since its vectors were found, or one the filter excludes, is dropped.
        if (!file.ok() || !query.filter.Matches(*file)) {
          it = by_file.erase(it);
          continue;
        }
        records.emplace(it->first, std::move(file).value());
      }
      ++it;
    }
    if (by_file.size() >= wanted || fetch >= live) break;
    fetch = std::min(live, fetch * 4);
  }
  const std::optional<MatchCalibration> calibration = CalibrationForQuery(*embedder_, query);
  std::vector<FileHit> hits;
  for (auto& [path, moments] : by_file) {
    FileHit hit;
    const FileRecord& file = records.at(path);
    hit.path = path;
    hit.file_id = file.vector_ids.empty() ? 0 : file.vector_ids.front();
    hit.duration = file.duration;
    hit.codec = file.codec;
    hit.size = file.file.size;
    hit.mtime_ns = file.file.mtime_ns;
    float best = moments.front().score;
    for (const Moment& m : moments) best = std::max(best, m.score);
    moments.erase(std::remove_if(moments.begin(), moments.end(),
                                 [&](const Moment& m) { return m.score < best - kMomentMargin; }),
                  moments.end());
    hit.moments = MergeMoments(std::move(moments));
    if (hit.moments.size() > kMaxMoments) hit.moments.resize(kMaxMoments);
    hit.score = best;
    if (calibration) hit.probability = static_cast<float>(calibration->Probability(best));
    hits.push_back(std::move(hit));
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const FileHit& a, const FileHit& b) { return a.score > b.score; });
  const size_t first = std::min(hits.size(), static_cast<size_t>(query.offset));
  const size_t last = std::min(hits.size(), first + static_cast<size_t>(query.k));
  response.more = hits.size() > last;
  response.results.assign(std::make_move_iterator(hits.begin() + first),
                          std::make_move_iterator(hits.begin() + last));
  return response;
}

}  // namespace vidx
