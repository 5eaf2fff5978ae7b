// StrictLoad: fills every parameter and persistent buffer of a torch::nn::Module from checkpoint
// tensors, or refuses and says exactly why (docs/architecture.md §4).
//
//  1. Every floating parameter/buffer of `module` is set to NaN first.
//  2. Checkpoint keys go through the key map (names, q/k/v split, transposes, legacy buffers).
//  3. Each model tensor must be matched by exactly one checkpoint tensor of the same shape
//     (after the transform). Collected, all at once, into `report`: missing model keys (each
//     with the nearest unused checkpoint key by edit distance), unexpected checkpoint keys
//     (unless a glob of `ignore_unexpected` matches the key as written in the file or as
//     renamed), shape mismatches, keys filled twice, unusable dtypes, legacy position_ids
//     buffers whose content is not 0..n-1 (or whose length disagrees with the model).
//  4. Only if nothing was found: tensors are copied, dtype conversions (F16/BF16/F64 -> the
//     model's dtype, or F32 -> F16/BF16 for a half-precision model) are listed in the report.
//     With `alias_checkpoint`, a tensor that needs no conversion and no transform (F32 into a
//     CPU float32 tensor, 4-byte aligned in the file) is not copied: the model tensor's storage
//     becomes the checkpoint's bytes (CheckpointFile::bytes() keeps the mapping alive), and
//     the file's data is prefetched (CheckpointFile::Prefetch) first. Such tensors are
//     read-only memory. Every other floating tensor is set to NaN before it is filled.
//  5. Any NaN left in any parameter afterwards, aliased or copied, is a failure (names listed).
// Each file's CheckpointFile::layout() notes are copied into report->layout.
// Returns OK iff report->ok(); otherwise kFailedPrecondition whose message summarises the
// report (the model's contents are then unspecified: do not use it).
//
// REQUIRES: files non-null and alive during the call; module already on its device and dtype.
// Thread-safety: not safe to call concurrently on the same module.
#ifndef VIDX_INDEXER_MODEL_STRICT_LOADER_H_
#define VIDX_INDEXER_MODEL_STRICT_LOADER_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/checkpoint_file.h"
#include "indexer/model/key_map.h"
#include "indexer/model/load_report.h"

namespace vidx {

struct StrictLoadOptions {
  KeyMapSpec key_map;
  std::vector<std::string> ignore_unexpected;  // globs; default none
  // Let model tensors alias the checkpoint's mapping instead of copying it (step 4). Loads
  // faster and needs no second copy of the weights in memory, but the model then reads the
  // file's pages for as long as it lives: rewriting the file in place (rather than replacing
  // it by rename) while the model is in use may crash the process (SIGBUS) or change its
  // weights. Default off: suited to short-lived processes (`vidx model verify`).
  bool alias_checkpoint = false;
};

Status StrictLoad(torch::nn::Module& module, const std::vector<const CheckpointFile*>& files,
                  const StrictLoadOptions& options, LoadReport* report);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_STRICT_LOADER_H_
