// Test support: the invariants of a state directory after a crash (docs/architecture.md §5),
// checked with the daemon stopped. The catalog is opened read-only; each live generation's vector
// index is opened the way a start-up opens it (snapshot + replay, or rebuild).
#ifndef VIDX_TESTS_STATE_CHECK_H_
#define VIDX_TESTS_STATE_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace vidx::testing {

struct GenerationView {
  uint64_t id = 0;
  std::string fingerprint;
  std::string state;              // building | active | retired
  std::set<std::string> indexed;  // paths with status indexed
  std::set<std::string> failed;
  size_t vectors = 0;
  bool loaded_snapshot = false;  // the index came from a snapshot (else rebuilt)
};

struct StateView {
  std::vector<GenerationView> generations;  // ascending id
  // What a kill between the steps of a deletion leaves and the next start removes
  // (IndexService::Open): retired generations, snapshot directories of no stored generation.
  // Fine right after a kill; a problem after a clean stop.
  std::vector<std::string> leftovers;
  const GenerationView* active() const;
  const GenerationView* building() const;
};

// Reads `state_dir` and appends one line per violated invariant to `problems`:
// at most one active and one building generation (retired generations and snapshot
// directories of generations the catalog lacks go to `leftovers`); per generation no
// duplicate vector id, every vector has a file record listing it, every record's ids exist,
// the generation's counters match; the vector index a start-up opens (factory `factory`)
// holds exactly the catalog's ids, and an exhaustive search for each of a few stored vectors
// returns only catalog ids, the vector itself first.
StateView CheckState(const std::string& state_dir, const std::string& factory,
                     std::vector<std::string>* problems);

}  // namespace vidx::testing

#endif  // VIDX_TESTS_STATE_CHECK_H_
