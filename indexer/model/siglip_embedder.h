// The SigLIP family of Embedder (config.json model_type "siglip", SigLIP and fixed-resolution
// SigLIP 2): SiglipModel (siglip_model.h) loaded strictly, SiglipImageProcessor preprocessing
// (an exact resize, no crop) and the directory's SentencePiece tokenizer (spiece.model with
// SiglipTokenizer's rules, or SigLIP 2's Gemma tokenizer.model), whose rows are padded to the
// tokenizer's model_max_length (the text tower pools the last position). Registered as
// model_type "siglip" in embedder_registry.cpp.
//
// Thread-safety and failures: as Embedder.
#ifndef VIDX_INDEXER_MODEL_SIGLIP_EMBEDDER_H_
#define VIDX_INDEXER_MODEL_SIGLIP_EMBEDDER_H_

#include <memory>

#include "common/status.h"
#include "indexer/model/embedder.h"
#include "indexer/model/load_report.h"

namespace vidx {

// Errors: those of LoadSiglipConfig, SentencePieceTokenizer::Open (kUnsupported under
// sanitizers), the weight files and StrictLoad (kFailedPrecondition with `report` filled);
// kFailedPrecondition when the tokenizer's ids do not fit text_config.vocab_size or its
// model_max_length exceeds text_config.max_position_embeddings.
StatusOr<std::unique_ptr<Embedder>> LoadSiglipEmbedder(const EmbedderOptions& options,
                                                       LoadReport* report);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_SIGLIP_EMBEDDER_H_
