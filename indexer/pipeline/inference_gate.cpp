#include "indexer/pipeline/inference_gate.h"

#include <algorithm>

namespace vidx {

InferenceGate::InferenceGate(InferenceGateOptions options) : options_(options) {}

InferenceGate::SearchTicket::SearchTicket(InferenceGate* gate) : gate_(gate) {
  if (gate_ != nullptr) gate_->Enter();
}

InferenceGate::SearchTicket::~SearchTicket() {
  if (gate_ != nullptr) gate_->Leave();
}

void InferenceGate::Enter() {
  std::lock_guard<std::mutex> lock(mu_);
  ++searches_;
}

void InferenceGate::Leave() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --searches_;
    any_ended_ = true;
    last_end_ = Clock::now();
  }
  cv_.notify_all();
}

bool InferenceGate::WaitTurn(double* waited_seconds) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(options_.max_wait_seconds));
  const auto grace = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.grace_seconds));
  std::unique_lock<std::mutex> lock(mu_);
  bool waited = false, clear = false;
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (searches_ == 0 && !(any_ended_ && now < last_end_ + grace)) {
      clear = true;
      break;
    }
    if (now >= deadline || now < run_until_) break;
    if (searches_ > 0) {
      cv_.wait_until(lock, deadline);
    } else {
      cv_.wait_until(lock, std::min(deadline, last_end_ + grace));
    }
    waited = true;
  }
  if (waited) ++yields_;
  if (!clear && Clock::now() >= run_until_) {
    run_until_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options_.run_seconds));
  }
  if (waited_seconds != nullptr) {
    *waited_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return clear;
}

int InferenceGate::searches_in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return searches_;
}

int64_t InferenceGate::yields() const {
  std::lock_guard<std::mutex> lock(mu_);
  return yields_;
}

}  // namespace vidx
