// The status document (docs/architecture.md §3) built from the catalog, shared by `vidx status`
// without a daemon and the daemon's /v1/status:
//   {"files": {"indexed", "failed", "pending"}, "vectors", "generation": {"active",
//    "building"}, "fingerprint", "failed_files": [{"path", "error"}]}
// The files and vectors are those of the active generation, else of the one being built.
// The daemon adds a "daemon" object (phase, queue, reindex progress, throughput, errors).
//
// Thread-safety: free functions; the catalog is thread-safe.
#ifndef VIDX_APP_STATUS_REPORT_H_
#define VIDX_APP_STATUS_REPORT_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "app/model_session.h"
#include "app/status_format.h"
#include "common/status.h"
#include "search/catalog.h"

namespace vidx {

// `catalog` may be null (nothing indexed yet). `pending` comes from the caller.
StatusOr<nlohmann::json> CatalogStatusJson(const Catalog* catalog, int64_t pending);

// {"path", "family", "checkpoint_sha256", "fingerprint"} of a loaded model (the status
// document's "model").
nlohmann::json ModelStatusJson(const LoadedModel& model);

}  // namespace vidx

#endif  // VIDX_APP_STATUS_REPORT_H_
