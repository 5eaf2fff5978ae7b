#include "daemon/settle_queue.h"

#include <sys/stat.h>

#include <limits>

namespace vidx {

SettleQueue::SettleQueue(double settle_seconds)
    : settle_seconds_(settle_seconds > 0 ? settle_seconds : 0) {}

SettleQueue::Observation SettleQueue::Observe(const std::string& path) {
  Observation o;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return o;
  o.exists = true;
  o.size = static_cast<int64_t>(st.st_size);
  o.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return o;
}

void SettleQueue::SetDeadline(const std::string& path, Entry* entry, double deadline) {
  deadlines_.erase({entry->deadline, path});
  entry->deadline = deadline;
  deadlines_.insert({deadline, path});
}

void SettleQueue::Touch(const std::string& path, double now_seconds) {
  const double deadline = now_seconds + settle_seconds_;
  auto it = entries_.find(path);
  if (it == entries_.end()) {
    it = entries_.emplace(path, Entry{deadline, Observe(path)}).first;
    deadlines_.insert({deadline, path});
    return;
  }
  it->second.seen = Observe(path);
  SetDeadline(path, &it->second, deadline);
}

void SettleQueue::Forget(const std::string& path) {
  auto erase = [this](std::map<std::string, Entry>::iterator it) {
    deadlines_.erase({it->second.deadline, it->first});
    return entries_.erase(it);
  };
  auto self = entries_.find(path);
  if (self != entries_.end()) erase(self);
  const std::string prefix = (!path.empty() && path.back() == '/') ? path : path + "/";
  auto it = entries_.lower_bound(prefix);
  while (it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
    it = erase(it);
  }
}

std::vector<std::string> SettleQueue::TakeReady(double now_seconds) {
  std::vector<std::string> ready;
  std::vector<std::string> due;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now_seconds; ++it) {
    due.push_back(it->second);
  }
  for (const std::string& path : due) {
    auto it = entries_.find(path);
    Observation now = Observe(path);
    if (!now.exists) {
      deadlines_.erase({it->second.deadline, path});
      entries_.erase(it);
    } else if (now == it->second.seen) {
      deadlines_.erase({it->second.deadline, path});
      entries_.erase(it);
      ready.push_back(path);
    } else {
      it->second.seen = now;
      SetDeadline(path, &it->second, now_seconds + settle_seconds_);
    }
  }
  return ready;
}

double SettleQueue::NextDeadline() const {
  if (deadlines_.empty()) return std::numeric_limits<double>::infinity();
  return deadlines_.begin()->first;
}

}  // namespace vidx
