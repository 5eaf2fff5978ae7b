// SearchService: what the daemon's searches use — one model and one generation's index —
// and the switch from one generation to the next (the blue/green flip).
//
// A search holds the service shared for its whole duration; Replace() holds it exclusively,
// so a flip waits for the searches in flight and no search ever sees a mix of generations
// or a generation whose records are being deleted. Searches wait for `change` too, so it
// must only pick what to serve: snapshots, rebuilds and deletions belong before or after
// Replace() (daemon/generation_manager.h).
//
// Searches also go before the daemon's indexing inference: while the model embeds a query
// (not for answers from the query cache) the engine holds a ticket of gate(), and the library
// indexer's pipeline yields to it (indexer/pipeline/inference_gate.h).
//
// Thread-safety: every method may be called concurrently. What a Serving points to (the
// catalog, the index) must stay alive until the next Replace() returns.
#ifndef VIDX_DAEMON_SEARCH_SERVICE_H_
#define VIDX_DAEMON_SEARCH_SERVICE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "app/model_session.h"
#include "common/status.h"
#include "indexer/pipeline/inference_gate.h"
#include "search/catalog.h"
#include "search/query_engine.h"
#include "search/vector_index.h"

namespace vidx {

struct Serving {
  std::shared_ptr<const LoadedModel> model;
  const Catalog* catalog = nullptr;
  Generation generation;
  const VectorIndex* index = nullptr;
};

class SearchService {
 public:
  SearchService();

  // Runs `change` while no search is in flight or starting. It returns what searches use
  // from then on, or nullopt with `*reason` saying why nothing can be searched. After it
  // returns no search uses what was served before.
  void Replace(const std::function<std::optional<Serving>(std::string* reason)>& change);

  // kUnavailable with the reason when nothing is served; otherwise QueryEngine::Search.
  StatusOr<SearchResponse> Search(const Query& query) const;

  // QueryEngine::FindFile / Folders in the served generation; kUnavailable when none.
  StatusOr<FileRecord> FindFile(uint64_t file_id) const;
  StatusOr<std::vector<std::string>> Folders() const;

  // The model searches use now (null when nothing is served).
  std::shared_ptr<const LoadedModel> model() const;

  // The generation searched now (nullopt when none).
  std::optional<Generation> generation() const;

  // What indexing inference in this process waits on while searches run; lives as long as
  // the service.
  InferenceGate* gate() const { return &inference_gate_; }

 private:
  // The shared lock searches hold, taken through the gate (see Replace()).
  std::shared_lock<std::shared_mutex> ReadLock() const;

  mutable std::mutex gate_;  // taken before mu_; see Replace()
  mutable std::shared_mutex mu_;
  std::optional<Serving> serving_;
  std::unique_ptr<QueryEngine> engine_;
  std::string unavailable_;
  mutable InferenceGate inference_gate_;
};

}  // namespace vidx

#endif  // VIDX_DAEMON_SEARCH_SERVICE_H_
