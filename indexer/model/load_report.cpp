#include "indexer/model/load_report.h"

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace vidx {

std::string LoadReport::ToString() const {
  std::ostringstream s;
  s << (ok() ? "checkpoint loaded: " : "checkpoint refused: ") << checkpoint << "\n";
  for (const auto& m : missing) {
    s << "  missing: " << m.key;
    if (!m.nearest.empty()) s << " (nearest checkpoint key: " << m.nearest << ")";
    s << "\n";
  }
  for (const auto& u : unexpected) s << "  unexpected: " << u << "\n";
  for (const auto& m : mismatched) {
    s << "  shape mismatch: " << m.key << " expects " << m.expected << ", checkpoint " << m.source
      << " has " << m.found << "\n";
  }
  for (const auto& d : duplicated) s << "  filled twice: " << d << "\n";
  for (const auto& n : nan) s << "  NaN after loading: " << n << "\n";
  for (const auto& e : errors) s << "  error: " << e << "\n";
  if (!conversions.empty()) {
    std::map<std::string, int> by_kind;
    for (const auto& c : conversions) ++by_kind[c.from + "->" + c.to];
    for (const auto& [kind, count] : by_kind) {
      s << "  converted " << count << " tensor(s) " << kind << "\n";
    }
  }
  for (const auto& l : layout) s << "  layout: " << l << "\n";
  for (const auto& l : legacy_dropped) s << "  dropped verified legacy buffer: " << l << "\n";
  for (const auto& i : ignored) s << "  ignored (ignore_unexpected): " << i << "\n";
  for (const auto& d : config_defaults) s << "  config default: " << d << "\n";
  return s.str();
}

std::string LoadReport::ToJson() const {
  nlohmann::json j;
  j["ok"] = ok();
  j["checkpoint"] = checkpoint;
  j["missing"] = nlohmann::json::array();
  j["nearest"] = nlohmann::json::object();
  for (const auto& m : missing) {
    j["missing"].push_back(m.key);
    j["nearest"][m.key] = m.nearest;
  }
  j["unexpected"] = unexpected;
  j["mismatched"] = nlohmann::json::array();
  for (const auto& m : mismatched) {
    j["mismatched"].push_back(
        {{"key", m.key}, {"source", m.source}, {"expected", m.expected}, {"found", m.found}});
  }
  j["duplicated"] = duplicated;
  j["nan"] = nan;
  j["errors"] = errors;
  j["conversions"] = nlohmann::json::array();
  for (const auto& c : conversions) {
    j["conversions"].push_back({{"key", c.key}, {"from", c.from}, {"to", c.to}});
  }
  j["legacy_dropped"] = legacy_dropped;
  j["ignored"] = ignored;
  j["config_defaults"] = config_defaults;
  j["layout"] = layout;
  return j.dump();
}

}  // namespace vidx
