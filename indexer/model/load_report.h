// LoadReport: everything the strict loader found while matching a checkpoint to the model.
// A load succeeds only when ok(): then `conversions`, `legacy_dropped` and `ignored` say what was
// done explicitly on the way. Torch-free so callers (CLI, daemon) can print it cheaply.
//
// Thread-safety: plain value.
#ifndef VIDX_INDEXER_MODEL_LOAD_REPORT_H_
#define VIDX_INDEXER_MODEL_LOAD_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace vidx {

struct LoadReport {
  struct Missing {
    std::string key;      // model parameter with no checkpoint tensor
    std::string nearest;  // nearest checkpoint key by edit distance ("" when the file is empty)
  };
  struct Mismatch {
    std::string key;       // model parameter
    std::string source;    // checkpoint key it came from
    std::string expected;  // model shape, e.g. "[16, 32]"
    std::string found;     // checkpoint shape after the key map's transform
  };
  struct Conversion {
    std::string key;   // model parameter
    std::string from;  // checkpoint dtype ("F16")
    std::string to;    // model dtype ("F32")
  };

  struct Tensor {
    std::string key;
    std::vector<int64_t> shape;
  };

  std::vector<Missing> missing;
  std::vector<std::string> unexpected;  // checkpoint keys, as written in the file
  std::vector<Mismatch> mismatched;
  std::vector<std::string> duplicated;  // model keys filled by more than one checkpoint tensor
  std::vector<std::string> nan;         // model parameters holding NaN after loading
  std::vector<std::string> errors;      // anything else (bad legacy buffer, unsupported dtype)
  std::vector<Conversion> conversions;
  std::vector<std::string> legacy_dropped;   // verified legacy buffers (position_ids)
  std::vector<std::string> ignored;          // unexpected keys matched by ignore_unexpected
  std::vector<std::string> config_defaults;  // config fields filled from transformers' defaults
  std::string checkpoint;                    // file(s) read
  // How nested checkpoint files were flattened (CheckpointFile::layout), one sentence each.
  std::vector<std::string> layout;
  // Inventories for `vidx model keys` (not in ToString/ToJson): every model tensor in the
  // module's registration order, and every checkpoint tensor as written in the file(s) with
  // its stored shape, in name order.
  std::vector<Tensor> model_tensors;
  std::vector<Tensor> checkpoint_tensors;

  bool ok() const {
    return missing.empty() && unexpected.empty() && mismatched.empty() && duplicated.empty() &&
           nan.empty() && errors.empty();
  }
  // Multi-line human-readable report: every problem on its own line, then a summary of
  // conversions / dropped / ignored keys.
  std::string ToString() const;
  // JSON object with "ok", "missing" (list of keys), "nearest" (key -> suggestion),
  // "unexpected", "mismatched" ([{"key","expected","found"}]), "duplicated", "nan", "errors",
  // "conversions" ([{"key","from","to"}]), "legacy_dropped", "ignored", "config_defaults",
  // "layout".
  std::string ToJson() const;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_LOAD_REPORT_H_
