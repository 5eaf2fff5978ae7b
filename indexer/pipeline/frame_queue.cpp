#include "indexer/pipeline/frame_queue.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace vidx {

FrameQueue::FrameQueue(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

bool FrameQueue::Push(QueueItem&& item, double* waited) {
  std::unique_lock<std::mutex> lock(mu_);
  if (items_.size() >= capacity_ && !item.end) {
    const auto t0 = std::chrono::steady_clock::now();
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || cancelled_; });
    *waited += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  if (cancelled_) return false;
  items_.push_back(std::move(item));
  not_empty_.notify_one();
  return true;
}

bool FrameQueue::Pop(QueueItem* item) {
  std::unique_lock<std::mutex> lock(mu_);
  not_empty_.wait(lock, [&] { return !items_.empty() || closed_ || cancelled_; });
  if (items_.empty() || cancelled_) return false;
  *item = std::move(items_.front());
  items_.pop_front();
  not_full_.notify_one();
  return true;
}

bool FrameQueue::Empty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.empty();
}

void FrameQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  not_empty_.notify_all();
}

void FrameQueue::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  not_empty_.notify_all();
  not_full_.notify_all();
}

}  // namespace vidx
