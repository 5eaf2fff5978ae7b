// vidx repair: salvage a corrupt catalog (search/catalog_repair.h) and say what was kept and
// what was dropped. The daemon must be stopped; what lost data is re-embedded by its next
// scan (or by `vidx index`).
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "search/catalog_repair.h"

namespace vidx {

int RunRepair(const Config& config, const RepairArgs& args) {
  CatalogRepairReport r;
  Status s = RepairCatalog(config.state_dir, &r);
  if (!s.ok()) return ReportError(s);
  if (args.json) {
    nlohmann::json doc = {
        {"generations", {{"kept", r.generations_kept}, {"dropped", r.generations_dropped}}},
        {"files", {{"kept", r.files_kept}, {"dropped", r.files_dropped}}},
        {"vectors", {{"kept", r.vectors_kept}, {"dropped", r.vectors_dropped}}},
        {"other_keys_dropped", r.other_keys_dropped},
        {"tables_set_aside", r.tables_set_aside},
        {"snapshots_removed", r.snapshots_removed},
        {"reembed", r.dropped_paths}};
    std::printf("%s\n", doc.dump().c_str());
    return kExitOk;
  }
  std::printf("catalog %s/catalog repaired\n", config.state_dir.c_str());
  std::printf("kept: %llu generation(s), %llu file(s), %llu vector(s)\n",
              static_cast<unsigned long long>(r.generations_kept),
              static_cast<unsigned long long>(r.files_kept),
              static_cast<unsigned long long>(r.vectors_kept));
  std::printf(
      "dropped: %llu generation(s), %llu file record(s), %llu vector(s), %llu other key(s)\n",
      static_cast<unsigned long long>(r.generations_dropped),
      static_cast<unsigned long long>(r.files_dropped),
      static_cast<unsigned long long>(r.vectors_dropped),
      static_cast<unsigned long long>(r.other_keys_dropped));
  if (r.tables_set_aside > 0) {
    std::printf(
        "unreadable table files set aside in %s/catalog/lost: %llu (their records are "
        "gone; those files are re-embedded at the next scan)\n",
        config.state_dir.c_str(), static_cast<unsigned long long>(r.tables_set_aside));
  }
  std::printf("vector index snapshots removed: %llu (rebuilt from the catalog at the next start)\n",
              static_cast<unsigned long long>(r.snapshots_removed));
  for (const std::string& p : r.dropped_paths)
    std::printf("re-embedded at the next scan: %s\n", p.c_str());
  return kExitOk;
}

}  // namespace vidx
