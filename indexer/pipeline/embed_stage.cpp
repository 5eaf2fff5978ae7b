#include "indexer/pipeline/embed_stage.h"

#include <algorithm>
#include <utility>

#include "indexer/pipeline/segment_pooling.h"

namespace vidx {

FailureKind FailureKindOf(const Status& error) {
  return error.code() == StatusCode::kIoError ? FailureKind::kUnreadable
                                              : FailureKind::kUndecodable;
}

EmbedStage::EmbedStage(const Embedder* embedder, std::string fingerprint, IndexSink* sink,
                       const SamplingSettings& sampling, int batch_size,
                       const std::vector<PendingFile>* files, PipelineCounters* counters,
                       std::function<void()> on_progress, InferenceGate* gate, int chunk_frames)
    : embedder_(embedder),
      fingerprint_(std::move(fingerprint)),
      sink_(sink),
      sampling_(sampling),
      batch_size_(static_cast<size_t>(batch_size)),
      files_(files),
      c_(counters),
      on_progress_(std::move(on_progress)),
      gate_(gate),
      chunk_frames_(static_cast<size_t>(std::max(1, chunk_frames))),
      dim_(static_cast<size_t>(embedder->dim())),
      frame_bytes_(static_cast<size_t>(embedder->image_input().height) *
                   static_cast<size_t>(embedder->image_input().width) * 3),
      state_(files->size()) {}

Status EmbedStage::CommitUnreadable() {
  for (size_t i = 0; i < files_->size(); ++i) {
    if ((*files_)[i].read_error.ok()) continue;
    state_[i].ended = true;
    state_[i].status = (*files_)[i].read_error;
    VIDX_RETURN_IF_ERROR(Commit(i));
  }
  return Status::Ok();
}

Status EmbedStage::Add(QueueItem&& item) {
  FileState& f = state_[item.file];
  if (!item.end && item.similar) {
    if (f.last_times.empty()) {
      return Status::Internal("a frame was skipped as similar before any frame of its file");
    }
    f.last_times.back() = item.frame.t;
    ++f.counts.back();
    ++c_->frames_skipped;
    return Status::Ok();
  }
  if (!item.end) {
    const ImagePreprocessSpec& in = embedder_->image_input();
    if (item.frame.width != in.width || item.frame.height != in.height ||
        item.frame.rgb.size() != frame_bytes_) {
      return Status::Internal("the sampler returned a frame of the wrong size");
    }
    ++f.frames_received;
    f.last_times.push_back(item.frame.t);
    f.counts.push_back(1);
    pixels_.insert(pixels_.end(), item.frame.rgb.begin(), item.frame.rgb.end());
    batch_files_.push_back(item.file);
    batch_times_.push_back(item.frame.t);
    return batch_files_.size() >= batch_size_ ? Flush() : Status::Ok();
  }
  f.ended = true;
  f.status = std::move(item.status);
  f.info = std::move(item.info);
  if (!f.status.ok() || f.times.size() == f.frames_received) return Commit(item.file);
  waiting_.push_back(item.file);
  return Status::Ok();
}

Status EmbedStage::FlushIfWaiting() { return waiting_.empty() ? Status::Ok() : Flush(); }

Status EmbedStage::Flush() {
  if (batch_files_.empty()) return Status::Ok();
  const size_t n = batch_files_.size();
  std::vector<float> out(n * dim_);
  const size_t chunk = gate_ == nullptr ? n : chunk_frames_;
  for (size_t done = 0, m = 0; done < n; done += m) {
    m = std::min(chunk, n - done);
    if (gate_ != nullptr) {
      double waited = 0;
      // Searches still running after the gate's longest wait: one frame, then ask again.
      if (!gate_->WaitTurn(&waited)) m = 1;
      c_->search_wait_seconds += waited;
    }
    const PipelineClock::time_point t0 = PipelineClock::now();
    Status s = embedder_->EmbedPreparedImages(
        static_cast<int64_t>(m), pixels_.data() + done * frame_bytes_, out.data() + done * dim_);
    c_->infer_seconds += SecondsSince(t0);
    if (!s.ok()) return s.WithContext("embedding frames");
    if (m < n && on_progress_) on_progress_();
  }
  for (size_t i = 0; i < n; ++i) {
    FileState& f = state_[batch_files_[i]];
    if (f.committed) continue;  // failed while its frames waited in the batch
    f.vectors.insert(f.vectors.end(), out.begin() + static_cast<ptrdiff_t>(i * dim_),
                     out.begin() + static_cast<ptrdiff_t>((i + 1) * dim_));
    f.times.push_back(batch_times_[i]);
  }
  c_->frames += static_cast<int64_t>(n);
  pixels_.clear();
  batch_files_.clear();
  batch_times_.clear();
  std::vector<size_t> still;
  for (size_t file : waiting_) {
    if (state_[file].times.size() == state_[file].frames_received) {
      VIDX_RETURN_IF_ERROR(Commit(file));
    } else {
      still.push_back(file);
    }
  }
  waiting_.swap(still);
  if (on_progress_) on_progress_();
  return Status::Ok();
}

Status EmbedStage::Commit(size_t file) {
  FileState& f = state_[file];
  const PendingFile& p = (*files_)[file];
  f.committed = true;
  FileResult r;
  r.file = p.file;
  r.content_hash = p.content_hash;
  r.duration = f.info.duration;
  r.codec = f.info.codec;
  if (f.status.ok() && f.times.empty()) {
    f.status = Status::Corruption(p.file.path + ": no frame could be decoded");
  }
  if (!f.status.ok()) {
    r.outcome = FileOutcome::kFailed;
    r.error = f.status.message();
    r.failure = FailureKindOf(f.status);
    ++c_->files_failed;
  } else {
    r.segments = PoolSegments(f.vectors, static_cast<int>(dim_), f.times, f.last_times, f.counts,
                              sampling_.clip_frames, sampling_.fps, f.info.duration);
    ++c_->files_embedded;
    c_->segments += static_cast<int64_t>(r.segments.size());
    c_->video_seconds += f.info.duration;
  }
  f.vectors.clear();
  f.vectors.shrink_to_fit();
  const PipelineClock::time_point t0 = PipelineClock::now();
  Status s = sink_->Commit(fingerprint_, r);
  c_->write_seconds += SecondsSince(t0);
  if (on_progress_) on_progress_();
  return s.WithContext("storing " + p.file.path);
}

}  // namespace vidx
