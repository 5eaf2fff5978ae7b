// ProposeKeyMap: a key map that would let a checkpoint fill the model, proposed from names and
// shapes alone, for the user to review (`vidx model keys`, docs/model-formats.md, "When the keys
// do not match"). It never changes what loading accepts: the proposal is a rules file in the
// format of `model.key_map`, and loading with it is as strict as with any other.
//
// Steps, each explicit:
//  1. The checkpoint keys are renamed by the current rules. When every renamed key starts with
//     the same first component ("module.", "model.", ...) and no model key does, a prefix rule
//     removes it.
//  2. A packed attention input projection (`...in_proj_weight` / `_bias`, first dimension 3d)
//     whose layer has q_proj/k_proj/v_proj of d missing is renamed to the OpenAI layout's name
//     for that layer, and the base becomes `openai`, which splits it (Hugging Face names pass
//     through that base unchanged).
//  3. Every other unexpected key u and missing model key m are a candidate pair when their
//     shapes are equal and their layer numbers (the path components made of digits) are the
//     same. Pairs are scored by the edit distance of the names after a small synonym table
//     (ln_1 = layer_norm1, ln_2 = layer_norm2, c_fc = fc1, c_proj = fc2, attn = self_attn,
//     resblocks = layers). A pair is accepted only when m is u's single best candidate and u
//     is m's; accepted keys leave the pool and the step repeats. What is left with several
//     candidates is ambiguous and listed, never guessed; what has none cannot be mapped.
//  4. Each accepted pair becomes a rule; pairs that differ only in their layer numbers share
//     one regex rule with (\d+) captures, when that regex catches no other key. The result is
//     checked by mapping the checkpoint with the proposed spec (MapCheckpointKeys); the counts
//     of what would still be missing or unexpected come from that check.
//
// Thread-safety: a pure function.
#ifndef VIDX_INDEXER_MODEL_KEY_PROPOSAL_H_
#define VIDX_INDEXER_MODEL_KEY_PROPOSAL_H_

#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/key_map.h"
#include "indexer/model/load_report.h"

namespace vidx {

struct KeyProposal {
  struct Pair {
    std::string source;  // checkpoint key as written
    std::string target;  // model key it would fill (the first of q/k/v for a packed tensor)
    bool split = false;  // a packed q/k/v tensor, split by the openai base
  };
  struct Ambiguous {
    std::string key;                      // the key as written (model or checkpoint)
    std::vector<std::string> candidates;  // equally good keys of the other side
  };
  KeyMapSpec spec;       // the current rules, then the proposed ones
  size_t new_rules = 0;  // how many rules of spec.rules are proposed (the last ones)
  std::vector<Pair> mapped;
  std::vector<Ambiguous> ambiguous;              // model keys
  std::vector<LoadReport::Tensor> cannot_fill;   // model tensors no checkpoint key fits
  std::vector<LoadReport::Tensor> cannot_place;  // checkpoint tensors fitting no model key
  // What loading with `spec` would still report (from mapping the checkpoint with it).
  std::vector<std::string> still_missing;
  std::vector<std::string> still_unexpected;

  bool complete() const { return still_missing.empty() && still_unexpected.empty(); }
  // The rules file (base + rules), with a comment naming `checkpoint`.
  std::string ToYaml(const std::string& checkpoint) const;
};

// `model` and `checkpoint` as LoadReport::model_tensors / checkpoint_tensors hold them.
// Errors: kInvalidArgument when a rule of `current` is an invalid regex.
StatusOr<KeyProposal> ProposeKeyMap(const KeyMapSpec& current,
                                    const std::vector<LoadReport::Tensor>& model,
                                    const std::vector<LoadReport::Tensor>& checkpoint);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_KEY_PROPOSAL_H_
