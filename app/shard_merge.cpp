#include "app/shard_merge.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "search/catalog.h"
#include "search/index_service.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

struct OpenShard {
  std::string dir;
  ShardInfo info;
  std::unique_ptr<Catalog> catalog;
  uint64_t generation = 0;
};

Status CheckShards(const std::vector<OpenShard>& shards, bool allow_incomplete,
                   std::vector<int>* missing) {
  const OpenShard& first = shards.front();
  std::map<int, const OpenShard*> by_index;
  for (const OpenShard& s : shards) {
    if (s.info.fingerprint != first.info.fingerprint) {
      return Status::FailedPrecondition("shard " + s.dir + " has fingerprint " +
                                        s.info.fingerprint + ", but shard " + first.dir + " has " +
                                        first.info.fingerprint +
                                        "; every shard must be indexed with one configuration");
    }
    if (s.info.spec.count != first.info.spec.count) {
      return Status::FailedPrecondition(
          "shard " + s.dir + " is one of " + std::to_string(s.info.spec.count) + " shards, but " +
          first.dir + " one of " + std::to_string(first.info.spec.count));
    }
    auto [it, inserted] = by_index.emplace(s.info.spec.index, &s);
    if (!inserted) {
      return Status::FailedPrecondition("shards " + it->second->dir + " and " + s.dir +
                                        " are both shard " + std::to_string(s.info.spec.index) +
                                        "/" + std::to_string(s.info.spec.count));
    }
  }
  std::string list;
  for (int i = 0; i < first.info.spec.count; ++i) {
    if (by_index.count(i) != 0) continue;
    missing->push_back(i);
    list += (list.empty() ? "" : ", ") + std::to_string(i);
  }
  if (!missing->empty() && !allow_incomplete) {
    return Status::FailedPrecondition(
        "shards " + list + " of " + std::to_string(first.info.spec.count) +
        " are missing; rerun their array tasks, or pass --allow-incomplete to merge without them");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ShardMergeReport> MergeShards(const ShardMergeOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (options.shards.empty()) return Status::InvalidArgument("merge needs at least one shard");
  ShardMergeReport report;
  std::vector<OpenShard> shards;
  for (const std::string& dir : options.shards) {
    OpenShard s;
    s.dir = dir;
    StatusOr<ShardInfo> info = ReadShardFile(dir);
    if (!info.ok()) return info.status();
    s.info = std::move(info).value();
    shards.push_back(std::move(s));
  }
  VIDX_RETURN_IF_ERROR(CheckShards(shards, options.allow_incomplete, &report.missing));
  const ShardInfo& first = shards.front().info;
  report.shard_count = first.spec.count;
  report.fingerprint = first.fingerprint;

  std::error_code ec;
  fs::create_directories(options.target, ec);
  if (ec) return Status::IoError("cannot create " + options.target + ": " + ec.message());
  StatusOr<std::unique_ptr<Catalog>> target = Catalog::Open(options.target);
  if (target.status().code() == StatusCode::kBusy) {
    return Status::Busy("merge target " + options.target +
                        " is in use (a daemon or another vidx holds its catalog); stop it first");
  }
  if (!target.ok()) return target.status();

  std::vector<MergeSource> sources;
  std::set<std::string> roots;
  for (OpenShard& s : shards) {
    CatalogOptions ro;
    ro.read_only = true;
    StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(s.dir, ro);
    if (!c.ok()) return c.status();
    s.catalog = std::move(c).value();
    StatusOr<Generation> g = s.catalog->FindGeneration(s.info.fingerprint);
    if (!g.ok()) {
      return Status::NotFound("shard " + s.dir + " has no generation of its fingerprint " +
                              s.info.fingerprint);
    }
    s.generation = g->id;
    sources.push_back(MergeSource{s.dir, s.catalog.get(), s.generation});
    roots.insert(s.info.roots.begin(), s.info.roots.end());
  }
  MergeOptions mo;
  mo.fingerprint = first.fingerprint;
  mo.dimension = first.dimension;
  mo.staging_dir = (fs::path(options.target) / "merge-staging").string();
  mo.mode = options.mode;
  StatusOr<MergeResult> merged = (*target)->MergeFrom(sources, mo);
  if (!merged.ok()) return merged.status();
  report.catalog = *merged;
  fs::remove_all(mo.staging_dir, ec);

  StatusOr<std::unique_ptr<IndexService>> service = IndexService::Open(
      target->get(), options.target, options.factory, first.fingerprint, first.dimension);
  if (!service.ok()) return service.status();
  VIDX_RETURN_IF_ERROR((*service)->RemoveVanished(
      std::vector<std::string>(roots.begin(), roots.end()), &report.vanished_removed));
  VIDX_RETURN_IF_ERROR((*service)->Finish(/*activate=*/true, nullptr));
  const Generation& g = (*service)->generation();
  report.vectors = g.vectors;
  report.files_indexed = static_cast<int64_t>(g.files_indexed);
  report.seconds_total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace vidx
