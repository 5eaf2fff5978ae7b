#include "indexer/pipeline/decode_stage.h"

#include <utility>

#include "indexer/pipeline/pipeline_counters.h"
#include "indexer/pipeline/similar_frames.h"

namespace vidx {

DecodeStage::DecodeStage(const FrameSource* source, const std::vector<PendingFile>* files,
                         FrameQueue* queue, int workers, const std::atomic<bool>* cancel,
                         double skip_similar)
    : source_(source),
      files_(files),
      queue_(queue),
      workers_(workers),
      cancel_(cancel),
      skip_similar_(skip_similar) {}

DecodeStage::~DecodeStage() {
  if (!threads_.empty()) {
    queue_->Cancel();
    Join();
  }
}

void DecodeStage::Start() {
  running_ = workers_;
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
}

double DecodeStage::Join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  return busy_seconds_;
}

void DecodeStage::Work() {
  double busy = 0;
  for (size_t i = next_++; i < files_->size(); i = next_++) {
    if (Cancelled()) break;
    const PendingFile& file = (*files_)[i];
    if (!file.read_error.ok()) continue;  // committed as failed without decoding
    double waited = 0;
    const PipelineClock::time_point t0 = PipelineClock::now();
    QueueItem end;
    end.file = i;
    end.end = true;
    SimilarFrameFilter similar(skip_similar_);
    end.status = source_->Sample(file.file.path, &end.info, [&](Frame&& frame) {
      if (Cancelled()) return Status::Unavailable("indexing cancelled");
      QueueItem item;
      item.file = i;
      if (similar.Skip(frame)) {
        item.similar = true;
        item.frame.t = frame.t;
        item.frame.target = frame.target;
      } else {
        item.frame = std::move(frame);
      }
      if (!queue_->Push(std::move(item), &waited)) return Status::Unavailable("run stopped");
      return Status::Ok();
    });
    busy += SecondsSince(t0) - waited;
    if (!queue_->Push(std::move(end), &waited)) break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    busy_seconds_ += busy;
  }
  if (--running_ == 0) queue_->Close();
}

}  // namespace vidx
