// QueryCache: the embeddings of recent query terms (a text term, an uploaded picture, a
// catalogued moment), so that paging, "more like this" and a repeated search skip the model.
// Least recently used entries are dropped beyond the capacity.
//
// Keys are built with Key(): they carry the model's fingerprint and the generation, so one
// cache can never answer with a vector of another feature space or of another generation's
// file ids. The query engine holds one per engine, and the daemon makes a new engine whenever
// what it serves changes, so a flip or a reload also starts an empty cache.
//
// Thread-safety: every method may be called concurrently.
#ifndef VIDX_SEARCH_QUERY_CACHE_H_
#define VIDX_SEARCH_QUERY_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vidx {

// Entries the query engine keeps (512 floats each for a ViT-B model: 1 MiB in all).
constexpr size_t kQueryCacheEntries = 512;

class QueryCache {
 public:
  // What a term is; part of the key.
  enum class Kind : char { kText = 't', kImage = 'i', kMoment = 'm' };

  // capacity 0: nothing is kept.
  explicit QueryCache(size_t capacity);
  QueryCache(const QueryCache&) = delete;
  QueryCache& operator=(const QueryCache&) = delete;

  // The key of a term: its kind and `what` (the text, the picture's sha256, "file@t") under
  // `fingerprint` and `generation`.
  static std::string Key(std::string_view fingerprint, uint64_t generation, Kind kind,
                         std::string_view what);

  // The vector stored under `key`, which becomes the most recently used; nullopt when absent.
  std::optional<std::vector<float>> Get(const std::string& key);
  // Stores (or replaces) `key`, dropping the least recently used entry beyond the capacity.
  void Put(const std::string& key, std::vector<float> vector);

  size_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  using Entry = std::pair<std::string, std::vector<float>>;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace vidx

#endif  // VIDX_SEARCH_QUERY_CACHE_H_
