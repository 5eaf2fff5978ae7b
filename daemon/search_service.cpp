#include "daemon/search_service.h"

#include <mutex>
#include <utility>

namespace vidx {

SearchService::SearchService() : unavailable_("the daemon is starting") {}

void SearchService::Replace(
    const std::function<std::optional<Serving>(std::string* reason)>& change) {
  // The gate keeps new searches out while this waits, so a steady stream of searches cannot
  // starve the flip (glibc's rwlock prefers readers).
  std::lock_guard<std::mutex> gate(gate_);
  std::unique_lock<std::shared_mutex> lock(mu_);
  std::string reason;
  std::optional<Serving> next = change(&reason);
  engine_.reset();
  serving_ = std::move(next);
  if (serving_) {
    unavailable_.clear();
    engine_ = MakeQueryEngine(*serving_->model, serving_->catalog, serving_->generation,
                              serving_->index, &inference_gate_);
  } else {
    unavailable_ = reason.empty() ? "nothing is indexed yet" : reason;
  }
}

std::shared_lock<std::shared_mutex> SearchService::ReadLock() const {
  std::lock_guard<std::mutex> gate(gate_);
  return std::shared_lock<std::shared_mutex>(mu_);
}

StatusOr<SearchResponse> SearchService::Search(const Query& query) const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  if (!engine_) return Status::Unavailable(unavailable_);
  return engine_->Search(query);
}

StatusOr<FileRecord> SearchService::FindFile(uint64_t file_id) const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  if (!engine_) return Status::Unavailable(unavailable_);
  return engine_->FindFile(file_id);
}

StatusOr<std::vector<std::string>> SearchService::Folders() const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  if (!engine_) return Status::Unavailable(unavailable_);
  return engine_->Folders();
}

std::shared_ptr<const LoadedModel> SearchService::model() const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  if (!serving_) return nullptr;
  return serving_->model;
}

std::optional<Generation> SearchService::generation() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!serving_) return std::nullopt;
  return serving_->generation;
}

}  // namespace vidx
