// GenerationManager: the daemon's live generations — the active one (what searches use, with
// the model that built it) and, during a reindex, the building one — and every change of
// what the SearchService serves.
//
// Searches never wait on slow work: snapshots, index rebuilds and the deletion + compaction
// of a retired generation all run outside the search service's lock; SearchService::Replace
// only swaps what is served. A replaced IndexService is destroyed after Replace() returns,
// when no search can use it any more. The crash-safe order of a flip is kept (see
// search/index_service.h): snapshot the building generation, SetActive (the old one is then
// retired), swap, delete the retired generation. A kill anywhere is completed by the next
// IndexService::Open; a deletion that fails here is retried by DeleteRetired().
//
// Receipts: the catalog renames and removes a path in every live generation at once; Rename()
// and RemoveVanished() apply each receipt to the index of its generation.
//
// Thread-safety: one thread (the indexing thread) calls everything; searches go through the
// SearchService concurrently. Catalog and SearchService are not owned and must outlive it.
#ifndef VIDX_DAEMON_GENERATION_MANAGER_H_
#define VIDX_DAEMON_GENERATION_MANAGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/model_session.h"
#include "common/status.h"
#include "daemon/search_service.h"
#include "indexer/pipeline/pipeline.h"
#include "search/catalog.h"
#include "search/index_service.h"

namespace vidx {

// The slow steps, for GenerationManager::set_step_hook.
enum class GenerationStep {
  kSnapshotBuilding,  // Activate(): before the building generation's snapshot is written
  kDeleteRetired,     // Activate()/DeleteRetired(): before a retired generation is deleted
  kRebuildActive,     // RebuildActive(): before the active index is rebuilt
};

class GenerationManager : public KnownFiles {
 public:
  GenerationManager(Catalog* catalog, SearchService* search, std::string state_dir);
  ~GenerationManager() override;

  // Deletes building generations of other fingerprints than `model`'s (abandoned reindexes),
  // then opens the active generation when it has `model`'s fingerprint, or else starts
  // building one (StartBuilding); publishes what is served. `serving_note` gets why nothing
  // is served, or is cleared. Errors: catalog and FAISS failures.
  Status Open(std::shared_ptr<const LoadedModel> model, const std::string& factory,
              std::string* serving_note);
  // Opens (or resumes) the building generation of `model`'s fingerprint. REQUIRES: none is
  // building.
  Status StartBuilding(std::shared_ptr<const LoadedModel> model, const std::string& factory);
  // Deletes the building generation (records and snapshot). REQUIRES: one is building.
  Status AbandonBuilding();
  // The building generation becomes the active one and is served; the previously active one
  // is deleted. On an error before the swap nothing changed (searches keep the active
  // generation, the building one stays building); after it, only the deletion is left, for
  // DeleteRetired(). REQUIRES: one is building.
  Status Activate();
  // Deletes the generations retired by Activate() whose deletion failed. Cheap when none.
  Status DeleteRetired();
  // Rebuilds the active generation's vector index from the catalog with `factory` (after
  // removing its snapshot when `discard_snapshot`), then serves it. On failure the old index
  // stays served. REQUIRES: one is active.
  Status RebuildActive(const std::string& factory, bool discard_snapshot);
  // Snapshots the live indexes.
  Status Snapshot();
  // Serves the active generation, or nothing with `unavailable` as the reason.
  void Publish(const std::string& unavailable);

  // Removes from every live generation the files under `roots` that no longer exist.
  // `removed` gets how many files (paths) went.
  Status RemoveVanished(const std::vector<std::string>& roots, int64_t* removed);

  // KnownFiles for the pipeline: lookups in the target generation; renames go to every live
  // generation and each receipt to its index.
  StatusOr<std::optional<KnownFile>> Find(const std::string& path) override;
  StatusOr<std::vector<std::string>> FindByContentHash(const std::string& content_hash) override;
  Status Rename(const std::string& old_path, const FileIdentity& renamed) override;

  // What new files go into: the building generation when there is one, else the active one.
  // nullptr when neither exists. Valid until the next call that changes generations.
  IndexService* target() const { return building_ ? building_.get() : active_.get(); }
  const std::shared_ptr<const LoadedModel>& target_model() const {
    return building_ ? building_model_ : active_model_;
  }
  IndexService* active() const { return active_.get(); }
  IndexService* building() const { return building_.get(); }
  const std::shared_ptr<const LoadedModel>& active_model() const { return active_model_; }
  const std::shared_ptr<const LoadedModel>& building_model() const { return building_model_; }

  // Test seam: called on the calling thread just before each slow step, outside the search
  // service's lock. nullptr (the default) calls nothing.
  void set_step_hook(std::function<void(GenerationStep)> hook) { hook_ = std::move(hook); }

 private:
  void Step(GenerationStep step) const {
    if (hook_) hook_(step);
  }
  void Route(const std::vector<CommitReceipt>& receipts);

  Catalog* const catalog_;
  SearchService* const search_;
  const std::string state_dir_;
  std::shared_ptr<const LoadedModel> active_model_, building_model_;
  std::unique_ptr<IndexService> active_, building_;
  std::vector<uint64_t> retired_;  // activated away, not deleted yet
  std::function<void(GenerationStep)> hook_;
};

}  // namespace vidx

#endif  // VIDX_DAEMON_GENERATION_MANAGER_H_
