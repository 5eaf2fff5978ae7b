// RenameRule: one user rule that renames checkpoint keys before the key map applies (see
// key_map.h for how rules are applied, docs/model-formats.md for the rules file). The config
// layer parses rules files into these; the model layer applies them. Header-only, so the
// config library needs nothing of the model library.
//
// Thread-safety: a plain value.
#ifndef VIDX_INDEXER_MODEL_RENAME_RULE_H_
#define VIDX_INDEXER_MODEL_RENAME_RULE_H_

#include <string>

namespace vidx {

struct RenameRule {
  enum class Kind {
    kPrefix,  // a leading `from` is replaced by `to`
    kRegex,   // `from` is an ECMAScript regex over the whole key, `to` may use $1...
  };
  Kind kind = Kind::kPrefix;
  std::string from;
  std::string to;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_RENAME_RULE_H_
