#include "tests/state_check.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "search/catalog.h"
#include "search/index_loader.h"

namespace vidx::testing {

const GenerationView* StateView::active() const {
  for (const GenerationView& g : generations) {
    if (g.state == "active") return &g;
  }
  return nullptr;
}

const GenerationView* StateView::building() const {
  for (const GenerationView& g : generations) {
    if (g.state == "building") return &g;
  }
  return nullptr;
}

namespace {

// Checks one generation.
GenerationView CheckGeneration(const Catalog& catalog, const Generation& g,
                               const std::string& state_dir, const std::string& factory,
                               std::vector<std::string>* problems) {
  GenerationView view;
  view.id = g.id;
  view.fingerprint = g.fingerprint;
  view.state = GenerationStateName(g.state);
  const std::string where = "generation " + std::to_string(g.id) + ": ";
  auto problem = [&](const std::string& what) { problems->push_back(where + what); };

  std::map<uint64_t, std::string> vectors;  // id -> path
  std::map<uint64_t, std::vector<float>> probes;
  Status s = catalog.ForEachVector(g.id, 0, [&](const VectorRecord& v) {
    if (!vectors.emplace(v.id, v.path).second)
      problem("duplicate vector id " + std::to_string(v.id));
    if (v.vector.size() != g.dimension)
      problem("vector " + std::to_string(v.id) + " has a wrong size");
    if (probes.size() < 4 || v.id % 17 == 0) probes[v.id] = v.vector;
    return Status::Ok();
  });
  if (!s.ok()) problem("vectors unreadable: " + s.ToString());
  std::map<uint64_t, std::string> listed;  // id -> path, from file records
  uint64_t indexed = 0, failed = 0;
  s = catalog.ForEachFile(g.id, [&](const FileRecord& r) {
    if (r.status == FileStatus::kIndexed) {
      ++indexed;
      if (!view.indexed.insert(r.file.path).second) problem("duplicate record " + r.file.path);
      if (r.vector_ids.empty()) problem(r.file.path + " is indexed without vectors");
    } else {
      ++failed;
      view.failed.insert(r.file.path);
    }
    for (uint64_t id : r.vector_ids) {
      if (!listed.emplace(id, r.file.path).second) {
        problem("vector " + std::to_string(id) + " listed by two records");
      }
      auto it = vectors.find(id);
      if (it == vectors.end()) {
        problem(r.file.path + " lists missing vector " + std::to_string(id));
      } else if (it->second != r.file.path) {
        problem("vector " + std::to_string(id) + " of " + r.file.path + " names " + it->second);
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) problem("records unreadable: " + s.ToString());
  for (const auto& [id, path] : vectors) {
    if (listed.count(id) == 0)
      problem("vector " + std::to_string(id) + " (" + path + ") has no file record");
  }
  view.vectors = vectors.size();
  if (g.files_indexed != indexed || g.files_failed != failed || g.vectors != vectors.size()) {
    problem("counters " + std::to_string(g.files_indexed) + "/" + std::to_string(g.files_failed) +
            "/" + std::to_string(g.vectors) + " but records say " + std::to_string(indexed) + "/" +
            std::to_string(failed) + "/" + std::to_string(vectors.size()));
  }

  StatusOr<OpenedIndex> opened = OpenIndexForGeneration(catalog, g.id, factory, state_dir);
  if (!opened.ok()) {
    problem("index does not open: " + opened.status().ToString());
    return view;
  }
  view.loaded_snapshot = opened->path == IndexOpenPath::kLoadedSnapshot;
  std::vector<uint64_t> ids;
  for (const auto& [id, path] : vectors) ids.push_back(id);
  if (opened->index->LiveIds() != ids) {
    problem("the index holds " + std::to_string(opened->index->size()) + " ids, the catalog " +
            std::to_string(ids.size()) + (view.loaded_snapshot ? " (snapshot)" : " (rebuilt)"));
  }
  // Exhaustive search (Flat): every hit is a catalog id; the probe itself scores best.
  const size_t k = std::max<size_t>(1, std::min<size_t>(ids.size(), 64));
  for (const auto& [id, v] : probes) {
    StatusOr<SearchResults> r = opened->index->Search(1, v.data(), k);
    if (!r.ok()) {
      problem("search failed: " + r.status().ToString());
      break;
    }
    bool self = false;
    for (size_t j = 0; j < r->k; ++j) {
      const int64_t hit = r->ids[j];
      if (hit < 0) continue;
      if (vectors.count(static_cast<uint64_t>(hit)) == 0) {
        problem("search returned id " + std::to_string(hit) + " that the catalog does not have");
      }
      if (static_cast<uint64_t>(hit) == id && r->scores[j] >= r->scores[0] - 1e-4f) self = true;
    }
    if (!self) problem("vector " + std::to_string(id) + " does not find itself");
  }
  return view;
}

}  // namespace

StateView CheckState(const std::string& state_dir, const std::string& factory,
                     std::vector<std::string>* problems) {
  StateView view;
  CatalogOptions o;
  o.read_only = true;
  // Killed while RocksDB created the database, before its CURRENT file: nothing was stored
  // (the next writable open creates the database afresh).
  std::error_code ec;
  if (!std::filesystem::exists(state_dir + "/catalog/CURRENT", ec)) return view;
  StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(state_dir, o);
  if (!catalog.ok()) {
    problems->push_back("catalog does not open: " + catalog.status().ToString());
    return view;
  }
  int active = 0, building = 0;
  for (const Generation& g : (*catalog)->ListGenerations()) {
    if (g.state == GenerationState::kActive) ++active;
    if (g.state == GenerationState::kBuilding) ++building;
    if (g.state == GenerationState::kRetired) {
      view.leftovers.push_back("generation " + std::to_string(g.id) +
                               " is retired but still stored");
    }
    view.generations.push_back(CheckGeneration(**catalog, g, state_dir, factory, problems));
  }
  // Snapshot directories belong to stored generations.
  for (const auto& e : std::filesystem::directory_iterator(state_dir + "/index", ec)) {
    const std::string name = e.path().filename().string();
    bool known = false;
    for (const GenerationView& g : view.generations) known |= name == std::to_string(g.id);
    if (!known)
      view.leftovers.push_back("snapshot " + e.path().string() + " of no stored generation");
  }
  if (active > 1) problems->push_back(std::to_string(active) + " active generations");
  if (building > 1) problems->push_back(std::to_string(building) + " building generations");
  return view;
}

}  // namespace vidx::testing
