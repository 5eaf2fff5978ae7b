// KnownOverlay: the KnownFiles of a shard run given a base (`vidx index --shard I/N --known
// DIR`, docs/scale-out.md): what the shard's own generation knows first, then what the base
// catalog (a merged state directory, opened read-only) knows under the same fingerprint. A
// file the base has unchanged is therefore skipped and not written to the shard; a rename of
// a base file copies the base's record and vectors to the new path in the shard (nothing is
// re-embedded) and the merge later removes the vanished old path.
//
// Thread-safety: as KnownFiles (one pipeline thread). `own` and `base` are not owned and must
// outlive the overlay.
#ifndef VIDX_SEARCH_KNOWN_OVERLAY_H_
#define VIDX_SEARCH_KNOWN_OVERLAY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "indexer/pipeline/known_files.h"
#include "search/catalog.h"
#include "search/index_service.h"

namespace vidx {

class KnownOverlay : public KnownFiles {
 public:
  // `base_generation` is the base's generation of `own`'s fingerprint.
  KnownOverlay(IndexService* own, const Catalog* base, uint64_t base_generation)
      : own_(own), base_(base), base_generation_(base_generation) {}

  StatusOr<std::optional<KnownFile>> Find(const std::string& path) override;
  StatusOr<std::vector<std::string>> FindByContentHash(const std::string& content_hash) override;
  // A path of the shard is renamed there; a path of the base is copied to the shard under
  // `renamed` (one commit of the base's vectors). kNotFound when neither knows it.
  Status Rename(const std::string& old_path, const FileIdentity& renamed) override;

 private:
  IndexService* own_;
  const Catalog* base_;
  const uint64_t base_generation_;
};

}  // namespace vidx

#endif  // VIDX_SEARCH_KNOWN_OVERLAY_H_
