// vidx merge: the state directories of `vidx index --shard I/N` runs merged into one
// (app/shard_merge.h, docs/scale-out.md).
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "app/shard_merge.h"
#include "cli/commands.h"

namespace vidx {

int RunMerge(const Config& config, const MergeArgs& args) {
  ShardMergeOptions options;
  options.target = args.into;
  options.shards = args.shards;
  options.allow_incomplete = args.allow_incomplete;
  options.factory = config.index.factory;
  StatusOr<ShardMergeReport> r = MergeShards(options);
  if (!r.ok()) return ReportError(r.status());
  const MergeResult& m = r->catalog;
  if (args.json) {
    nlohmann::json doc = {{"target", args.into},
                          {"fingerprint", r->fingerprint},
                          {"generation", m.generation},
                          {"shards", r->shard_count},
                          {"missing", r->missing},
                          {"added", m.files_added},
                          {"replaced", m.files_replaced},
                          {"unchanged", m.files_unchanged},
                          {"removed", r->vanished_removed},
                          {"vectors_added", m.vectors_added},
                          {"vectors", r->vectors},
                          {"files", r->files_indexed},
                          {"bytes", m.bytes},
                          {"seconds",
                           {{"prepare", m.seconds_prepare},
                            {"ingest", m.seconds_ingest},
                            {"total", r->seconds_total}}}};
    std::cout << doc.dump() << "\n";
    return kExitOk;
  }
  std::printf(
      "merged %zu shard directories into %s: %lld files added, %lld replaced, %lld unchanged, "
      "%lld vanished removed; generation %llu holds %lld files, %llu vectors (%.1f s)\n",
      args.shards.size(), args.into.c_str(), static_cast<long long>(m.files_added),
      static_cast<long long>(m.files_replaced), static_cast<long long>(m.files_unchanged),
      static_cast<long long>(r->vanished_removed), static_cast<unsigned long long>(m.generation),
      static_cast<long long>(r->files_indexed), static_cast<unsigned long long>(r->vectors),
      r->seconds_total);
  if (!r->missing.empty()) {
    std::printf("incomplete: %zu of %d shards were missing\n", r->missing.size(), r->shard_count);
  }
  return kExitOk;
}

}  // namespace vidx
