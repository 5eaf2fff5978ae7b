#include "daemon/generation_manager.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "daemon/daemon_log.h"
#include "search/index_loader.h"

namespace vidx {

namespace {

uint32_t DimensionOf(const LoadedModel& model) {
  return static_cast<uint32_t>(model.embedder().dim());
}

}  // namespace

GenerationManager::GenerationManager(Catalog* catalog, SearchService* search, std::string state_dir)
    : catalog_(catalog), search_(search), state_dir_(std::move(state_dir)) {}

GenerationManager::~GenerationManager() = default;

Status GenerationManager::Open(std::shared_ptr<const LoadedModel> model, const std::string& factory,
                               std::string* serving_note) {
  const std::string fingerprint = model->fingerprint();
  for (const Generation& g : catalog_->ListGenerations()) {
    if (g.state == GenerationState::kBuilding && g.fingerprint != fingerprint) {
      DaemonLog()->info("deleting generation {}: an abandoned build for another configuration",
                        g.id);
      VIDX_RETURN_IF_ERROR(DeleteGenerationData(catalog_, state_dir_, g.id));
    }
  }
  serving_note->clear();
  std::optional<Generation> active = catalog_->ActiveGeneration();
  if (active && active->fingerprint == fingerprint) {
    StatusOr<std::unique_ptr<IndexService>> s =
        IndexService::Open(catalog_, state_dir_, factory, fingerprint, DimensionOf(*model));
    if (!s.ok()) return s.status();
    active_ = std::move(*s);
    active_model_ = std::move(model);
  } else {
    VIDX_RETURN_IF_ERROR(StartBuilding(std::move(model), factory));
    const std::string building = std::to_string(building_->generation().id);
    *serving_note = active ? "the active generation " + std::to_string(active->id) +
                                 " was built with another model or sampling (fingerprint " +
                                 active->fingerprint + "); searches resume when generation " +
                                 building + " is complete"
                           : "nothing is indexed yet; generation " + building + " is being built";
  }
  Publish(*serving_note);
  return Status::Ok();
}

Status GenerationManager::StartBuilding(std::shared_ptr<const LoadedModel> model,
                                        const std::string& factory) {
  StatusOr<std::unique_ptr<IndexService>> b =
      IndexService::Open(catalog_, state_dir_, factory, model->fingerprint(), DimensionOf(*model));
  if (!b.ok()) return b.status();
  building_ = std::move(*b);
  building_model_ = std::move(model);
  DaemonLog()->info("building generation {} for fingerprint {}{}", building_->generation().id,
                    building_model_->fingerprint(),
                    active_ ? "; searches keep using generation " +
                                  std::to_string(active_->generation().id) + " meanwhile"
                            : "");
  return Status::Ok();
}

Status GenerationManager::AbandonBuilding() {
  const uint64_t id = building_->generation().id;
  building_.reset();  // never served: no search can hold it
  building_model_.reset();
  DaemonLog()->info("abandoning generation {}: the configuration changed again", id);
  return DeleteGenerationData(catalog_, state_dir_, id);
}

Status GenerationManager::Activate() {
  // Slow, outside the search lock: searches keep using the active generation meanwhile.
  Step(GenerationStep::kSnapshotBuilding);
  VIDX_RETURN_IF_ERROR(building_->Snapshot());
  // One catalog write; from here a kill leaves the old generation retired, and the next
  // start deletes it. Searches still read it, its records are all there until the swap.
  StatusOr<std::optional<uint64_t>> retired = building_->Activate();
  if (!retired.ok()) return retired.status();
  if (*retired) retired_.push_back(**retired);

  std::unique_ptr<IndexService> old = std::move(active_);
  std::shared_ptr<const LoadedModel> old_model = std::move(active_model_);
  active_ = std::move(building_);
  active_model_ = std::move(building_model_);
  Publish("");
  // Replace() returned: no search uses the old index any more.
  old.reset();
  old_model.reset();

  const Generation& g = active_->generation();
  DaemonLog()->info("generation {} is active: {} files, {} vectors{}", g.id, g.files_indexed,
                    g.vectors,
                    *retired ? "; deleting generation " + std::to_string(**retired) : "");
  return DeleteRetired();
}

Status GenerationManager::DeleteRetired() {
  while (!retired_.empty()) {
    Step(GenerationStep::kDeleteRetired);
    VIDX_RETURN_IF_ERROR(DeleteGenerationData(catalog_, state_dir_, retired_.back()));
    DaemonLog()->info("generation {} deleted", retired_.back());
    retired_.pop_back();
  }
  return Status::Ok();
}

Status GenerationManager::RebuildActive(const std::string& factory, bool discard_snapshot) {
  const uint64_t id = active_->generation().id;
  if (discard_snapshot) VIDX_RETURN_IF_ERROR(RemoveSnapshot(state_dir_, id));
  // The new index is built beside the served one; searches use the old one meanwhile.
  Step(GenerationStep::kRebuildActive);
  StatusOr<std::unique_ptr<IndexService>> rebuilt = IndexService::Open(
      catalog_, state_dir_, factory, active_model_->fingerprint(), DimensionOf(*active_model_));
  if (!rebuilt.ok()) {
    return rebuilt.status().WithContext("the vector index of generation " + std::to_string(id) +
                                        " could not be rebuilt");
  }
  std::unique_ptr<IndexService> old = std::move(active_);
  active_ = std::move(*rebuilt);
  Publish("");
  old.reset();  // Replace() returned: no search uses it any more
  DaemonLog()->info("vector index of generation {} rebuilt from the catalog ({} vectors)", id,
                    active_->index().size());
  return Status::Ok();
}

Status GenerationManager::Snapshot() {
  if (active_) VIDX_RETURN_IF_ERROR(active_->Snapshot());
  if (building_) VIDX_RETURN_IF_ERROR(building_->Snapshot());
  return Status::Ok();
}

void GenerationManager::Publish(const std::string& unavailable) {
  std::optional<Serving> next;
  if (active_) {
    next = Serving{active_model_, catalog_, active_->generation(), &active_->index()};
  }
  search_->Replace([&](std::string* reason) -> std::optional<Serving> {
    if (!next) *reason = unavailable;
    return next;
  });
}

void GenerationManager::Route(const std::vector<CommitReceipt>& receipts) {
  for (const CommitReceipt& r : receipts) {
    for (IndexService* s : {active_.get(), building_.get()}) {
      if (s != nullptr && s->generation().id == r.generation) s->ApplyReceipt(r);
    }
  }
}

Status GenerationManager::RemoveVanished(const std::vector<std::string>& roots, int64_t* removed) {
  *removed = 0;
  for (IndexService* s : {active_.get(), building_.get()}) {
    if (s == nullptr) continue;
    // Files the other generation knew too went with the first pass; listing again only
    // finds what is left.
    StatusOr<std::vector<std::string>> gone = s->VanishedFiles(roots);
    if (!gone.ok()) return gone.status();
    for (const std::string& path : *gone) {
      StatusOr<std::vector<CommitReceipt>> receipts = catalog_->RemoveFile(path);
      if (!receipts.ok()) return receipts.status().WithContext("removing " + path);
      Route(*receipts);
      ++*removed;
    }
  }
  return Status::Ok();
}

StatusOr<std::optional<KnownFile>> GenerationManager::Find(const std::string& path) {
  return target()->Find(path);
}

StatusOr<std::vector<std::string>> GenerationManager::FindByContentHash(
    const std::string& content_hash) {
  return target()->FindByContentHash(content_hash);
}

Status GenerationManager::Rename(const std::string& old_path, const FileIdentity& renamed) {
  StatusOr<std::vector<CommitReceipt>> receipts = catalog_->RenameFile(old_path, renamed);
  if (!receipts.ok()) return receipts.status();
  Route(*receipts);
  return Status::Ok();
}

}  // namespace vidx
