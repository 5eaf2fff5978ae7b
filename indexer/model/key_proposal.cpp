// ProposeKeyMap. See key_proposal.h for the steps.
#include "indexer/model/key_proposal.h"

#include <algorithm>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <utility>

namespace vidx {
namespace {

using Shape = std::vector<int64_t>;

std::vector<std::string> Split(const std::string& key) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    out.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

bool IsNumber(const std::string& c) {
  return !c.empty() &&
         std::all_of(c.begin(), c.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

std::vector<std::string> LayerNumbers(const std::string& key) {
  std::vector<std::string> out;
  for (const auto& c : Split(key)) {
    if (IsNumber(c)) out.push_back(c);
  }
  return out;
}

std::string Normalized(const std::string& key) {
  static const std::map<std::string, std::string> kSynonyms = {
      {"ln_1", "layer_norm1"}, {"ln_2", "layer_norm2"}, {"c_fc", "fc1"},
      {"c_proj", "fc2"},       {"attn", "self_attn"},   {"resblocks", "layers"}};
  std::string out;
  for (const auto& c : Split(key)) {
    auto it = kSynonyms.find(c);
    if (!out.empty()) out += '.';
    out += it == kSynonyms.end() ? c : it->second;
  }
  return out;
}

std::string EscapeRegex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string(".^$|()[]{}*+?\\").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

struct Evaluation {
  std::vector<std::string> unexpected;  // checkpoint keys as written, in name order
  std::vector<std::string> missing;     // model keys, in model order
  std::set<std::string> filled;
};

StatusOr<Evaluation> Evaluate(const KeyMapSpec& spec, const std::vector<LoadReport::Tensor>& model,
                              const std::vector<LoadReport::Tensor>& checkpoint) {
  std::map<std::string, Shape> model_shape, ckpt_shape;
  for (const auto& t : model) model_shape[t.key] = t.shape;
  std::vector<std::string> keys;
  for (const auto& t : checkpoint) {
    keys.push_back(t.key);
    ckpt_shape[t.key] = t.shape;
  }
  auto mapped = MapCheckpointKeys(spec, keys);
  if (!mapped.ok()) return mapped.status();
  Evaluation e;
  std::set<std::string> bad;
  for (const MappedKey& m : *mapped) {
    if (m.transform == KeyTransform::kLegacyPositionIds) continue;
    auto it = model_shape.find(m.target);
    Shape shape;
    if (it == model_shape.end() ||
        !ShapeAfterTransform(m.transform, ckpt_shape[m.source], &shape) || shape != it->second ||
        !e.filled.insert(m.target).second) {
      bad.insert(m.source);
    }
  }
  for (const auto& k : keys) {
    if (bad.count(k)) e.unexpected.push_back(k);
  }
  for (const auto& t : model) {
    if (!e.filled.count(t.key)) e.missing.push_back(t.key);
  }
  return e;
}

// The OpenAI-layout name whose q/k/v split fills `layer` ("vision_model.encoder.layers.3.
// self_attn."), or "" when the openai base has none.
std::string OpenAIPackedName(const std::string& layer, const std::string& kind) {
  static const std::regex kLayer(R"(^(vision|text)_model\.encoder\.layers\.(\d+)\.self_attn\.$)");
  std::smatch m;
  if (!std::regex_match(layer, m, kLayer)) return "";
  const std::string tower = m[1].str() == "vision" ? "visual." : "";
  return tower + "transformer.resblocks." + m[2].str() + ".attn.in_proj_" + kind;
}

struct Rename {
  std::string from;  // the key after the rules before this step
  std::string to;
};

std::string Template(const std::string& key, bool regex) {
  std::string out;
  int n = 0;
  for (const auto& c : Split(key)) {
    if (!out.empty()) out += regex ? "\\." : ".";
    if (IsNumber(c)) {
      out += regex ? std::string("(\\d+)") : "$" + std::to_string(++n);
    } else {
      out += regex ? EscapeRegex(c) : c;
    }
  }
  return out;
}

// The one run of path components in which `r.from` and `r.to` differ, as a rule that replaces
// that run wherever it stands ("ln_1" -> "layer_norm1"); false when they differ elsewhere too.
bool ComponentRule(const Rename& r, RenameRule* rule) {
  const std::vector<std::string> a = Split(r.from), b = Split(r.to);
  if (a.size() != b.size()) return false;
  size_t first = a.size(), last = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      first = std::min(first, i);
      last = i;
    }
  }
  if (first == a.size()) return false;
  std::string from, to;
  for (size_t i = first; i <= last; ++i) {
    from += (i > first ? "\\." : "") + EscapeRegex(a[i]);
    to += (i > first ? "." : "") + b[i];
  }
  *rule = {RenameRule::Kind::kRegex, "^(.*\\.)?" + from + "(\\..*)?$", "$1" + to + "$2"};
  return true;
}

// How far RulesFor generalises: a rule per differing component run, per layer-number template,
// or per key.
enum class Generality { kComponent, kLayers, kExact };

// Rules for `renames`. A generalised rule is kept only when, over `all` (the renamed checkpoint
// keys), it renames exactly the keys of its group, each to its target; otherwise the group falls
// back to one exact rule per key.
std::vector<RenameRule> RulesFor(const std::vector<Rename>& renames,
                                 const std::vector<std::string>& all, Generality level) {
  std::map<std::pair<std::string, std::string>, std::vector<const Rename*>> groups;
  for (const auto& r : renames) {
    RenameRule c;
    if (level == Generality::kComponent && ComponentRule(r, &c)) {
      groups[{c.from, c.to}].push_back(&r);
    } else if (level != Generality::kExact && !LayerNumbers(r.from).empty()) {
      groups[{"^" + Template(r.from, true) + "$", Template(r.to, false)}].push_back(&r);
    } else {
      groups[{"^" + EscapeRegex(r.from) + "$", r.to}].push_back(&r);
    }
  }
  std::vector<RenameRule> rules;
  for (const auto& [rule, members] : groups) {
    std::map<std::string, std::string> want;
    for (const Rename* r : members) want[r->from] = r->to;
    const std::regex re(rule.first);
    bool ok = true;
    for (const auto& k : all) {
      if (!std::regex_search(k, re)) continue;
      auto it = want.find(k);
      ok = ok && it != want.end() && std::regex_replace(k, re, rule.second) == it->second;
    }
    if (ok) {
      rules.push_back({RenameRule::Kind::kRegex, rule.first, rule.second});
      continue;
    }
    for (const Rename* r : members) {
      rules.push_back({RenameRule::Kind::kRegex, "^" + EscapeRegex(r->from) + "$", r->to});
    }
  }
  return rules;
}

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string KeyProposal::ToYaml(const std::string& checkpoint) const {
  std::string y = "# Key map proposed by `vidx model keys` for " + checkpoint +
                  ".\n# Review it: every rule renames checkpoint keys before the base map.\n";
  y += "base: " +
       std::string(spec.base == KeyMapBase::kHf       ? "hf"
                   : spec.base == KeyMapBase::kOpenAI ? "openai"
                                                      : "open_clip") +
       "\n";
  y += spec.rules.empty() ? "rules: []\n" : "rules:\n";
  for (const auto& r : spec.rules) {
    y += r.kind == RenameRule::Kind::kPrefix ? "  - {prefix: " : "  - {regex: ";
    y += Quoted(r.from) + ", to: " + Quoted(r.to) + "}\n";
  }
  return y;
}

StatusOr<KeyProposal> ProposeKeyMap(const KeyMapSpec& current,
                                    const std::vector<LoadReport::Tensor>& model,
                                    const std::vector<LoadReport::Tensor>& checkpoint) {
  KeyProposal out;
  out.spec = current;
  std::map<std::string, Shape> model_shape, ckpt_shape;
  for (const auto& t : model) model_shape[t.key] = t.shape;
  for (const auto& t : checkpoint) ckpt_shape[t.key] = t.shape;

  // The checkpoint keys after the rules so far (hf base: names only).
  auto renamed_by =
      [&](const std::vector<RenameRule>& rules) -> StatusOr<std::map<std::string, std::string>> {
    KeyMapSpec names;
    names.rules = rules;
    std::vector<std::string> keys;
    for (const auto& t : checkpoint) keys.push_back(t.key);
    auto m = MapCheckpointKeys(names, keys);
    if (!m.ok()) return m.status();
    std::map<std::string, std::string> r;
    for (const auto& k : *m) r[k.source] = k.target;
    return r;
  };
  auto renamed = renamed_by(out.spec.rules);
  if (!renamed.ok()) return renamed.status();

  // 1. A first component every checkpoint key has and no model key has.
  if (!renamed->empty()) {
    const std::string first = Split(renamed->begin()->second).front();
    bool common = Split(renamed->begin()->second).size() > 1;
    for (const auto& [src, name] : *renamed) common = common && name.rfind(first + ".", 0) == 0;
    for (const auto& t : model) common = common && t.key.rfind(first + ".", 0) != 0;
    if (common) {
      out.spec.rules.push_back({RenameRule::Kind::kPrefix, first + ".", ""});
      ++out.new_rules;
      renamed = renamed_by(out.spec.rules);
      if (!renamed.ok()) return renamed.status();
    }
  }
  auto eval = Evaluate(out.spec, model, checkpoint);
  if (!eval.ok()) return eval.status();
  std::vector<std::string> pool_u = eval->unexpected;
  std::vector<std::string> pool_m = eval->missing;
  auto erase = [](std::vector<std::string>* v, const std::string& x) {
    v->erase(std::remove(v->begin(), v->end(), x), v->end());
  };
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  std::vector<Rename> renames;

  // 2. Packed q/k/v.
  for (const std::string& u : std::vector<std::string>(pool_u)) {
    const std::string& name = renamed->at(u);
    const Shape& s = ckpt_shape[u];
    const std::vector<std::string> parts = Split(name);
    const std::string last = parts.back();
    if ((last != "in_proj_weight" && last != "in_proj_bias") || s.empty() || s[0] % 3 != 0) {
      continue;
    }
    const std::string kind = last.substr(8);
    Shape each = s;
    each[0] /= 3;
    std::vector<std::string> layers;
    for (const auto& m : pool_m) {
      const std::string q = "q_proj." + kind;
      if (m.size() <= q.size() || m.compare(m.size() - q.size(), q.size(), q) != 0) continue;
      const std::string layer = m.substr(0, m.size() - q.size());
      bool ok = LayerNumbers(layer) == LayerNumbers(name) && Split(layer).front() == parts.front();
      for (const char* p : {"q_proj.", "k_proj.", "v_proj."}) {
        const std::string key = layer + p + kind;
        ok = ok && has(pool_m, key) && model_shape[key] == each;
      }
      if (ok) layers.push_back(layer);
    }
    if (layers.size() != 1) continue;
    const std::string openai = OpenAIPackedName(layers[0], kind);
    if (openai.empty()) continue;
    renames.push_back({name, openai});
    out.mapped.push_back({u, layers[0] + "q_proj." + kind, true});
    erase(&pool_u, u);
    for (const char* p : {"q_proj.", "k_proj.", "v_proj."}) erase(&pool_m, layers[0] + p + kind);
    if (out.spec.base == KeyMapBase::kHf) {
      out.spec.base = KeyMapBase::kOpenAI;
      out.spec.name = "openai";
    }
  }

  // 3. Unambiguous renames, by mutual single best candidate.
  auto compatible = [&](const std::string& u, const std::string& m) {
    return ckpt_shape[u] == model_shape[m] && LayerNumbers(renamed->at(u)) == LayerNumbers(m);
  };
  auto score = [&](const std::string& u, const std::string& m) {
    return EditDistance(Normalized(renamed->at(u)), Normalized(m));
  };
  struct Best {
    std::string key;
    size_t score = std::numeric_limits<size_t>::max();
    bool unique = false;
  };
  for (bool progress = true; progress;) {
    progress = false;
    std::map<std::string, Best> best_u, best_m;
    for (const auto& u : pool_u) {
      for (const auto& m : pool_m) {
        if (!compatible(u, m)) continue;
        const size_t d = score(u, m);
        for (auto* b : {&best_u[u], &best_m[m]}) {
          const std::string& other = b == &best_u[u] ? m : u;
          if (d < b->score) {
            *b = {other, d, true};
          } else if (d == b->score) {
            b->unique = false;
          }
        }
      }
    }
    for (const auto& [u, b] : best_u) {
      if (!b.unique) continue;
      const Best& back = best_m[b.key];
      if (!back.unique || back.key != u) continue;
      renames.push_back({renamed->at(u), b.key});
      out.mapped.push_back({u, b.key, false});
      erase(&pool_u, u);
      erase(&pool_m, b.key);
      progress = true;
    }
  }
  for (const auto& m : pool_m) {
    std::vector<std::pair<size_t, std::string>> c;
    for (const auto& u : pool_u) {
      if (compatible(u, m)) c.emplace_back(score(u, m), u);
    }
    if (c.empty()) {
      out.cannot_fill.push_back({m, model_shape[m]});
      continue;
    }
    std::sort(c.begin(), c.end());
    KeyProposal::Ambiguous a{m, {}};
    for (size_t i = 0; i < c.size() && i < 5; ++i) a.candidates.push_back(c[i].second);
    out.ambiguous.push_back(std::move(a));
  }
  for (const auto& u : pool_u) {
    bool any = false;
    for (const auto& m : pool_m) any = any || compatible(u, m);
    if (!any) out.cannot_place.push_back({u, ckpt_shape[u]});
  }

  // 4. Rules, checked by mapping the checkpoint with them.
  std::vector<std::string> all;
  for (const auto& kv : *renamed) all.push_back(kv.second);
  const KeyMapSpec before = out.spec;
  for (Generality level : {Generality::kComponent, Generality::kLayers, Generality::kExact}) {
    out.spec = before;
    for (auto& r : RulesFor(renames, all, level)) out.spec.rules.push_back(std::move(r));
    auto check = Evaluate(out.spec, model, checkpoint);
    if (!check.ok()) return check.status();
    bool landed = true;
    for (const auto& p : out.mapped) landed = landed && check->filled.count(p.target);
    out.still_missing = check->missing;
    out.still_unexpected = check->unexpected;
    if (landed) break;
  }
  out.new_rules = out.spec.rules.size() - current.rules.size();
  return out;
}

}  // namespace vidx
