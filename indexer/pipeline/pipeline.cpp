#include "indexer/pipeline/pipeline.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include "indexer/model/clip_config.h"
#include "indexer/pipeline/file_scan.h"

namespace vidx {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One entry of the frame queue: a frame of job `job`, or the end-of-file marker of it.
struct QueueItem {
  size_t job = 0;
  bool end = false;
  Frame frame;     // when !end
  Status status;   // when end: how sampling ended
  VideoInfo info;  // when end
};

// A bounded multi-producer, single-consumer queue. Close() says no more items will come;
// Cancel() also makes every Push fail at once.
class FrameQueue {
 public:
  explicit FrameQueue(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  // Blocks while full. False when cancelled. `waited` gets the seconds spent blocked.
  bool Push(QueueItem&& item, double* waited) {
    std::unique_lock<std::mutex> lock(mu_);
    if (items_.size() >= capacity_ && !item.end) {
      const Clock::time_point t0 = Clock::now();
      not_full_.wait(lock, [&] { return items_.size() < capacity_ || cancelled_; });
      *waited += Since(t0);
    }
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  // Blocks while empty and open. False when closed (or cancelled) and drained.
  bool Pop(QueueItem* item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_ || cancelled_; });
    if (items_.empty() || cancelled_) return false;
    *item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }
  bool Empty() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.empty();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<QueueItem> items_;
  bool closed_ = false;
  bool cancelled_ = false;
};

// A file to decode and what is known of it.
struct Job {
  FileIdentity file;
  std::string content_hash;
  // Filled by the inference thread.
  std::vector<float> vectors;
  std::vector<double> times;
  size_t frames_received = 0;
  bool ended = false;
  bool finished = false;
  Status status;
  VideoInfo info;
};

}  // namespace

StatusOr<SamplerOptions> SamplerOptionsForModel(const ClipEncoder& encoder, double fps,
                                                int max_frames, double keyframe_tolerance) {
  const PreprocessConfig& p = encoder.preprocess();
  const int side = encoder.image_height();
  if (encoder.image_width() != side || p.output_height() != side || p.output_width() != side) {
    return Status::Unsupported("the model's input is not a square centre crop; frames cannot "
                               "be prepared for it by the sampler");
  }
  SamplerOptions o;
  o.fps = fps;
  o.max_frames = max_frames;
  o.keyframe_tolerance = keyframe_tolerance;
  o.output_size = side;
  if (p.do_resize && p.resize_height == 0 && p.shortest_edge > 0) {
    if (!p.do_center_crop && p.shortest_edge != side) {
      return Status::Unsupported("the model resizes without a centre crop");
    }
    if (p.shortest_edge < side) {
      return Status::Unsupported("the model's resize is smaller than its crop");
    }
    o.resize_shortest = p.shortest_edge;
  } else if (p.do_resize && p.resize_height > 0 &&
             (p.resize_height != side || p.resize_width != side)) {
    return Status::Unsupported("the model resizes to an exact size the sampler cannot match");
  }
  return o;
}

std::vector<Segment> PoolSegments(const std::vector<float>& vectors, int dim,
                                  const std::vector<double>& times, int clip_frames, double fps,
                                  double duration) {
  std::vector<Segment> segments;
  const size_t n = times.size();
  const size_t group = static_cast<size_t>(std::max(clip_frames, 1));
  for (size_t first = 0; first < n; first += group) {
    const size_t last = std::min(first + group, n) - 1;
    Segment s;
    s.vector.assign(static_cast<size_t>(dim), 0.0f);
    for (size_t f = first; f <= last; ++f) {
      const float* v = vectors.data() + f * static_cast<size_t>(dim);
      for (int d = 0; d < dim; ++d) s.vector[static_cast<size_t>(d)] += v[d];
    }
    double norm = 0;
    for (float x : s.vector) norm += static_cast<double>(x) * x;
    norm = std::sqrt(norm);
    if (norm > 0) {
      for (float& x : s.vector) x = static_cast<float>(x / norm);
    }
    s.start = times[first];
    double end = times[last] + (fps > 0 ? 1.0 / fps : 0.0);
    if (duration > 0) end = std::min(end, duration);
    s.end = std::max(end, s.start);
    segments.push_back(std::move(s));
  }
  return segments;
}

IndexPipeline::IndexPipeline(const ClipEncoder* encoder, std::string fingerprint,
                             IndexSink* sink, KnownFiles* known, PipelineOptions options)
    : encoder_(encoder),
      fingerprint_(std::move(fingerprint)),
      sink_(sink),
      known_(known),
      options_(std::move(options)) {}

Status IndexPipeline::Run(const std::vector<std::string>& files, PipelineCounters* counters,
                          const PipelineProgress& progress) {
  PipelineCounters& c = *counters;
  c = PipelineCounters();
  c.files_total = static_cast<int64_t>(files.size());
  const Clock::time_point start = Clock::now();
  auto report = [&] {
    c.wall_seconds = Since(start);
    if (progress) progress(c);
  };
  const int side = options_.sampler.output_size;
  if (side <= 0 || encoder_->image_height() != side || encoder_->image_width() != side) {
    return Status::InvalidArgument("sampler output size " + std::to_string(side) +
                                   " does not match the model's input size");
  }
  if (options_.batch_size < 1 || options_.decode_workers < 1 || options_.clip_frames < 1) {
    return Status::InvalidArgument("batch_size, decode_workers and clip_frames must be >= 1");
  }

  // 1. Unchanged files and renames; the rest becomes jobs.
  std::vector<Job> jobs;
  for (const std::string& path : files) {
    StatusOr<FileIdentity> id = IdentifyFile(path);
    if (!id.ok()) {  // vanished since it was listed: nothing to record
      ++c.files_failed;
      continue;
    }
    StatusOr<std::optional<KnownFile>> found = known_->Find(path);
    if (!found.ok()) return found.status().WithContext("looking up " + path);
    const std::optional<KnownFile>& known = *found;
    // Unchanged files are skipped; one that failed only for want of permission is retried
    // once it can be read (a chmod changes neither size, mtime nor inode).
    if (known && SameFileState(known->file, *id) &&
        !(known->unreadable && ::access(path.c_str(), R_OK) == 0)) {
      ++c.files_unchanged;
      report();
      continue;
    }
    Job job;
    job.file = *id;
    StatusOr<std::string> hash = ContentHash(path);
    if (hash.ok()) job.content_hash = *hash;
    bool renamed = false;
    if (hash.ok()) {
      StatusOr<std::vector<std::string>> same = known_->FindByContentHash(*hash);
      if (!same.ok()) return same.status().WithContext("looking up the content of " + path);
      for (const std::string& old_path : *same) {
        std::error_code ec;
        if (old_path == path || std::filesystem::exists(old_path, ec)) continue;
        const Clock::time_point t0 = Clock::now();
        Status s = known_->Rename(old_path, *id);
        c.write_seconds += Since(t0);
        if (!s.ok()) return s.WithContext("renaming " + old_path + " to " + path);
        ++c.files_renamed;
        renamed = true;
        break;
      }
    }
    if (renamed) {
      report();
      continue;
    }
    if (!hash.ok()) {  // unreadable: a failed file
      job.ended = true;
      job.status = hash.status();
    }
    jobs.push_back(std::move(job));
  }

  const int dim = encoder_->dim();
  auto commit = [&](Job& job) -> Status {
    job.finished = true;
    FileResult r;
    r.file = job.file;
    r.content_hash = job.content_hash;
    r.duration = job.info.duration;
    r.codec = job.info.codec;
    if (job.status.ok() && job.times.empty()) {
      job.status = Status::Corruption(job.file.path + ": no frame could be decoded");
    }
    if (!job.status.ok()) {
      r.outcome = FileOutcome::kFailed;
      r.error = job.status.message();
      r.failure = job.status.code() == StatusCode::kIoError ? FailureKind::kUnreadable
                                                            : FailureKind::kUndecodable;
      ++c.files_failed;
    } else {
      r.segments = PoolSegments(job.vectors, dim, job.times, options_.clip_frames,
                                options_.sampler.fps, job.info.duration);
      ++c.files_embedded;
      c.segments += static_cast<int64_t>(r.segments.size());
      c.video_seconds += job.info.duration;
    }
    job.vectors.clear();
    job.vectors.shrink_to_fit();
    const Clock::time_point t0 = Clock::now();
    Status s = sink_->Commit(fingerprint_, r);
    c.write_seconds += Since(t0);
    report();
    return s.WithContext("storing " + job.file.path);
  };

  // 2. Decode workers feed the queue; this thread embeds and commits.
  FrameQueue queue(options_.queue_frames);
  std::atomic<size_t> next{0};
  std::atomic<int> running{options_.decode_workers};
  std::mutex decode_mu;
  double decode_seconds = 0;
  FrameSampler sampler(options_.sampler);
  auto cancelled = [&] { return options_.cancel != nullptr && options_.cancel->load(); };
  auto worker = [&] {
    double busy = 0;
    for (size_t j = next++; j < jobs.size(); j = next++) {
      if (cancelled()) break;
      if (jobs[j].ended) continue;  // failed before decoding
      double waited = 0;
      const Clock::time_point t0 = Clock::now();
      QueueItem end;
      end.job = j;
      end.end = true;
      end.status = sampler.Sample(jobs[j].file.path, &end.info, [&](Frame&& frame) {
        QueueItem item;
        item.job = j;
        item.frame = std::move(frame);
        if (cancelled()) return Status::Unavailable("indexing cancelled");
        if (!queue.Push(std::move(item), &waited)) return Status::Internal("run cancelled");
        return Status::Ok();
      });
      busy += Since(t0) - waited;
      if (!queue.Push(std::move(end), &waited)) break;
    }
    {
      std::lock_guard<std::mutex> lock(decode_mu);
      decode_seconds += busy;
    }
    if (--running == 0) queue.Close();
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < options_.decode_workers; ++i) threads.emplace_back(worker);

  std::vector<uint8_t> pixels;
  std::vector<size_t> batch_jobs;
  std::vector<double> batch_times;
  std::vector<size_t> waiting;  // ended jobs whose frames are not all embedded yet
  const size_t frame_bytes = static_cast<size_t>(side) * side * 3;
  auto flush = [&]() -> Status {
    if (batch_jobs.empty()) return Status::Ok();
    std::vector<float> out;
    const Clock::time_point t0 = Clock::now();
    Status s = encoder_->EncodePreparedImages(pixels.data(), static_cast<int>(batch_jobs.size()),
                                              side, side, &out);
    c.infer_seconds += Since(t0);
    if (!s.ok()) return s.WithContext("embedding frames");
    for (size_t i = 0; i < batch_jobs.size(); ++i) {
      Job& job = jobs[batch_jobs[i]];
      if (job.finished) continue;
      job.vectors.insert(job.vectors.end(), out.begin() + static_cast<ptrdiff_t>(i * dim),
                         out.begin() + static_cast<ptrdiff_t>((i + 1) * dim));
      job.times.push_back(batch_times[i]);
    }
    c.frames += static_cast<int64_t>(batch_jobs.size());
    pixels.clear();
    batch_jobs.clear();
    batch_times.clear();
    std::vector<size_t> still;
    for (size_t j : waiting) {
      if (jobs[j].times.size() == jobs[j].frames_received) {
        VIDX_RETURN_IF_ERROR(commit(jobs[j]));
      } else {
        still.push_back(j);
      }
    }
    waiting.swap(still);
    report();
    return Status::Ok();
  };

  Status result;
  for (Job& job : jobs) {
    if (job.ended && !job.finished) {
      result = commit(job);
      if (!result.ok()) break;
    }
  }
  QueueItem item;
  while (result.ok() && queue.Pop(&item)) {
    // Checked before every item: a file whose decoding was cut short by the cancellation is
    // never committed as failed.
    if (cancelled()) {
      result = Status::Unavailable("indexing cancelled");
      break;
    }
    Job& job = jobs[item.job];
    if (!item.end) {
      if (item.frame.width != side || item.frame.height != side ||
          item.frame.rgb.size() != frame_bytes) {
        result = Status::Internal("the sampler returned a frame of the wrong size");
        break;
      }
      ++job.frames_received;
      pixels.insert(pixels.end(), item.frame.rgb.begin(), item.frame.rgb.end());
      batch_jobs.push_back(item.job);
      batch_times.push_back(item.frame.t);
      if (batch_jobs.size() >= static_cast<size_t>(options_.batch_size)) result = flush();
    } else {
      job.ended = true;
      job.status = item.status;
      job.info = item.info;
      if (!job.status.ok() || job.times.size() == job.frames_received) {
        result = commit(job);
      } else {
        waiting.push_back(item.job);
      }
    }
    // Nothing else is ready and a finished file waits for its frames: embed now.
    if (result.ok() && !waiting.empty() && queue.Empty()) result = flush();
  }
  if (result.ok() && cancelled()) result = Status::Unavailable("indexing cancelled");
  if (result.ok()) result = flush();
  if (!result.ok()) queue.Cancel();
  for (std::thread& t : threads) t.join();
  c.decode_seconds = decode_seconds;
  c.wall_seconds = Since(start);
  return result;
}

}  // namespace vidx
