#include "search/query_cache.h"

namespace vidx {

QueryCache::QueryCache(size_t capacity) : capacity_(capacity) {}

std::string QueryCache::Key(std::string_view fingerprint, uint64_t generation, Kind kind,
                            std::string_view what) {
  std::string key;
  key.reserve(fingerprint.size() + what.size() + 24);
  key.append(fingerprint);
  key.push_back('\0');
  key.append(std::to_string(generation));
  key.push_back('\0');
  key.push_back(static_cast<char>(kind));
  key.append(what);
  return key;
}

std::optional<std::vector<float>> QueryCache::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void QueryCache::Put(const std::string& key, std::vector<float> vector) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    it->second->second = std::move(vector);
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  order_.emplace_front(key, std::move(vector));
  by_key_[key] = order_.begin();
  while (order_.size() > capacity_) {
    by_key_.erase(order_.back().first);
    order_.pop_back();
  }
}

size_t QueryCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return order_.size();
}

uint64_t QueryCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

uint64_t QueryCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace vidx
