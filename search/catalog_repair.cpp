#include "search/catalog_repair.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "search/catalog.h"
#include "search/catalog_format.h"
#include "search/catalog_lock.h"
#include "search/rocks_logger.h"

namespace vidx {

namespace {

namespace fs = std::filesystem;
namespace fmt = catalog_format;

Status Rocks(const rocksdb::Status& s, const std::string& path, const std::string& what) {
  if (s.ok()) return Status::Ok();
  const std::string text = s.ToString();
  if (s.IsIOError()) {
    StatusOr<bool> held = CatalogWriterHoldsLock(path);
    if (held.ok() && *held) {
      return Status::Busy("catalog " + path +
                          " is in use by another process; stop the daemon first");
    }
  }
  if (s.IsCorruption()) return Status::Corruption("catalog " + path + " " + what + ": " + text);
  return Status::IoError("catalog " + path + " " + what + ": " + text);
}

// Calls fn(generation, rest-of-key, value) for every key under `prefix`; keys too short to
// hold a generation get generation 0 (no generation has id 0).
void ForEachUnder(rocksdb::DB* db, const char* prefix,
                  const std::function<void(const std::string& key, uint64_t gen,
                                           const std::string& rest, const std::string& value)>& fn,
                  rocksdb::Status* status) {
  const size_t n = std::strlen(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string key = it->key().ToString();
    const uint64_t gen = key.size() >= n + 8 ? fmt::ReadBigEndian64(key.data() + n) : 0;
    fn(key, gen, key.size() >= n + 8 ? key.substr(n + 8) : std::string(), it->value().ToString());
  }
  if (status->ok()) *status = it->status();
}

}  // namespace

Status RepairCatalog(const std::string& state_dir, CatalogRepairReport* report) {
  *report = CatalogRepairReport();
  const std::string path = (fs::path(state_dir) / "catalog").string();
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return Status::NotFound("there is no catalog at " + path);
  rocksdb::Options options;
  options.info_log = MakeRocksLogger();
  auto lost_files = [&] {
    uint64_t n = 0;
    std::error_code e;
    for (auto it = fs::recursive_directory_iterator(path + "/lost", e);
         !e && it != fs::recursive_directory_iterator(); it.increment(e)) {
      n += it->is_regular_file(e) && it->path().extension() == ".sst";
    }
    return n;
  };
  const uint64_t lost_before = lost_files();
  VIDX_RETURN_IF_ERROR(Rocks(rocksdb::RepairDB(path, options), path, "cannot be repaired"));
  report->tables_set_aside = lost_files() - lost_before;
  rocksdb::DB* raw = nullptr;
  VIDX_RETURN_IF_ERROR(
      Rocks(rocksdb::DB::Open(options, path, &raw), path, "cannot be opened after repair"));
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteBatch wb;
  rocksdb::Status scan;

  // The records' layout: the stored format version (kept records are rewritten in the
  // current one below); an unreadable version is taken as the current one.
  int version = fmt::kFormatVersion;
  {
    std::string v;
    uint64_t n = 0;
    if (db->Get(rocksdb::ReadOptions(), fmt::kFormatKey, &v).ok() && fmt::ParseCounter(v, &n) &&
        n >= static_cast<uint64_t>(fmt::kOldestReadableVersion)) {
      if (n > static_cast<uint64_t>(fmt::kFormatVersion)) {
        return Status::FailedPrecondition("catalog " + path + " has format version " + v +
                                          ", newer than this vidx understands; run a newer vidx");
      }
      version = static_cast<int>(n);
    }
  }

  // Generation records.
  std::map<uint64_t, Generation> gens;
  uint64_t max_gen = 0;
  ForEachUnder(
      db.get(), fmt::kGenerationPrefix,
      [&](const std::string& key, uint64_t id, const std::string& rest, const std::string& value) {
        max_gen = std::max(max_gen, id);
        StatusOr<Generation> g = fmt::DecodeGeneration(id, value);
        if (id == 0 || !rest.empty() || !g.ok() || g->state == GenerationState::kRetired) {
          wb.Delete(key);
          ++report->generations_dropped;
          return;
        }
        gens[id] = *g;
      },
      &scan);

  // Vectors: id -> path per generation.
  std::map<uint64_t, std::map<uint64_t, std::string>> vectors;
  uint64_t max_vector = 0;
  ForEachUnder(
      db.get(), fmt::kVectorPrefix,
      [&](const std::string& key, uint64_t gen, const std::string& rest, const std::string& value) {
        const uint64_t id = rest.size() == 8 ? fmt::ReadBigEndian64(rest.data()) : 0;
        max_vector = std::max(max_vector, id);
        StatusOr<VectorRecord> v = fmt::DecodeVector(id, value);
        if (gens.count(gen) == 0 || id == 0 || !v.ok() || v->vector.size() != gens[gen].dimension) {
          wb.Delete(key);
          ++report->vectors_dropped;
          return;
        }
        vectors[gen][id] = v->path;
      },
      &scan);

  // File records: kept only with every vector they list.
  std::map<uint64_t, std::map<std::string, FileRecord>> files;
  ForEachUnder(
      db.get(), fmt::kFilePrefix,
      [&](const std::string& key, uint64_t gen, const std::string& rest, const std::string& value) {
        StatusOr<FileRecord> r = fmt::DecodeFile(gen, rest, value, version);
        bool whole = gens.count(gen) > 0 && r.ok();
        if (whole) {
          for (uint64_t id : r->vector_ids) {
            auto it = vectors[gen].find(id);
            whole = whole && it != vectors[gen].end() && it->second == rest;
          }
          whole = whole && (r->status != FileStatus::kIndexed || !r->vector_ids.empty());
        }
        if (!whole) {
          wb.Delete(key);
          ++report->files_dropped;
          report->dropped_paths.push_back(rest);
          return;
        }
        files[gen][rest] = *r;
      },
      &scan);

  // Vectors no kept record lists; counters.
  for (auto& [gen, g] : gens) {
    std::set<uint64_t> listed;
    g.files_indexed = g.files_failed = 0;
    for (const auto& [p, r] : files[gen]) {
      listed.insert(r.vector_ids.begin(), r.vector_ids.end());
      ++(r.status == FileStatus::kIndexed ? g.files_indexed : g.files_failed);
    }
    for (const auto& [id, p] : vectors[gen]) {
      if (listed.count(id) == 0) {
        wb.Delete(fmt::VectorKey(gen, id));
        ++report->vectors_dropped;
      }
    }
    g.vectors = listed.size();
    report->files_kept += files[gen].size();
    report->vectors_kept += listed.size();
  }

  // Content-hash entries: exactly one per kept record.
  ForEachUnder(
      db.get(), fmt::kHashPrefix,
      [&](const std::string& key, uint64_t gen, const std::string& rest, const std::string&) {
        const size_t slash = rest.find('/');
        const std::string p = slash == std::string::npos ? "" : rest.substr(slash + 1);
        bool keep = false;
        if (gens.count(gen) > 0 && slash != std::string::npos) {
          auto it = files[gen].find(p);
          keep = it != files[gen].end() && it->second.content_hash == rest.substr(0, slash);
        }
        if (!keep) {
          wb.Delete(key);
          ++report->other_keys_dropped;
        }
      },
      &scan);
  for (const auto& [gen, records] : files) {
    for (const auto& [p, r] : records) {
      wb.Put(fmt::HashKey(gen, r.content_hash, p), "");
      if (version != fmt::kFormatVersion) wb.Put(fmt::FileKey(gen, p), fmt::EncodeFile(r));
    }
  }
  // The deletion log only serves snapshots, which are all deleted below.
  ForEachUnder(
      db.get(), fmt::kDeletionPrefix,
      [&](const std::string& key, uint64_t, const std::string&, const std::string&) {
        wb.Delete(key);
        ++report->other_keys_dropped;
      },
      &scan);
  VIDX_RETURN_IF_ERROR(Rocks(scan, path, "cannot be read after repair"));

  // Singletons: the active pointer, and counters above every id ever seen.
  auto get_uint = [&](const char* key) -> uint64_t {
    std::string v;
    uint64_t n = 0;
    if (db->Get(rocksdb::ReadOptions(), key, &v).ok() && fmt::ParseCounter(v, &n)) return n;
    return 0;
  };
  uint64_t active = get_uint(fmt::kActiveKey);
  if (gens.count(active) == 0 || gens[active].state != GenerationState::kActive) {
    active = 0;
    for (const auto& [id, g] : gens) {
      if (g.state == GenerationState::kActive) active = id;  // the newest
    }
  }
  for (auto it = gens.begin(); it != gens.end();) {
    if (it->second.state == GenerationState::kActive && it->first != active) {
      // A second active generation: superseded; drop it like a retired one.
      const uint64_t id = it->first;
      for (const char* prefix : {fmt::kFilePrefix, fmt::kVectorPrefix, fmt::kHashPrefix}) {
        const std::string from = fmt::GenerationScope(prefix, id);
        wb.DeleteRange(from, fmt::GenerationScope(prefix, id + 1));
      }
      wb.Delete(fmt::GenerationKey(id));
      report->files_kept -= files[id].size();
      report->vectors_kept -= it->second.vectors;
      ++report->generations_dropped;
      it = gens.erase(it);
      continue;
    }
    wb.Put(fmt::GenerationKey(it->first), fmt::EncodeGeneration(it->second));
    ++it;
  }
  report->generations_kept = gens.size();
  if (active != 0) {
    wb.Put(fmt::kActiveKey, std::to_string(active));
  } else {
    wb.Delete(fmt::kActiveKey);
  }
  wb.Put(fmt::kFormatKey, std::to_string(fmt::kFormatVersion));
  wb.Put(fmt::kNextGenerationKey,
         std::to_string(std::max(get_uint(fmt::kNextGenerationKey), max_gen + 1)));
  wb.Put(fmt::kNextVectorKey,
         std::to_string(std::max(get_uint(fmt::kNextVectorKey), max_vector + 1)));
  wb.Put(fmt::kNextDeletionKey,
         std::to_string(std::max<uint64_t>(get_uint(fmt::kNextDeletionKey), 1)));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  VIDX_RETURN_IF_ERROR(Rocks(db->Write(wo, &wb), path, "cannot be written"));
  db.reset();

  // Snapshots: rebuilt from the repaired catalog at the next start.
  const fs::path index_dir = fs::path(state_dir) / "index";
  if (fs::is_directory(index_dir, ec)) {
    for (const auto& e : fs::directory_iterator(index_dir, ec)) {
      fs::remove_all(e.path(), ec);
      if (ec)
        return Status::IoError("cannot remove snapshot " + e.path().string() + ": " + ec.message());
      ++report->snapshots_removed;
    }
  }
  // What a start will do: open and load the repaired catalog.
  StatusOr<std::unique_ptr<Catalog>> check = Catalog::Open(state_dir);
  return check.status();
}

}  // namespace vidx
