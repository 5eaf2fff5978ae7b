// The CLIP family of Embedder: ClipEncoder (the towers, strict loading) plus the model
// directory's CLIP BPE tokenizer (vocab.json + merges.txt, else bpe_simple_vocab_16e6.txt.gz).
// Registered as model_type "clip" in embedder_registry.cpp. Describe() is ClipEncoder's plus the
// sha256 of the tokenizer files read (tokenizer_files{vocab.json=...,merges.txt=...}).
//
// Thread-safety and failures: as Embedder.
#ifndef VIDX_INDEXER_MODEL_CLIP_EMBEDDER_H_
#define VIDX_INDEXER_MODEL_CLIP_EMBEDDER_H_

#include <memory>
#include <string>

#include "common/status.h"
#include "indexer/model/embedder.h"
#include "indexer/model/load_report.h"
#include "indexer/model/tokenizer.h"

namespace vidx {

// Loads the towers (ClipEncoder::Load, errors as there; `report` not null) and, on a second
// thread meanwhile, the tokenizer (LoadClipTokenizer). kFailedPrecondition when the
// tokenizer's vocabulary size differs from config.json's text_config.vocab_size.
StatusOr<std::unique_ptr<Embedder>> LoadClipEmbedder(const EmbedderOptions& options,
                                                     LoadReport* report);

// The model directory's tokenizer: vocab.json + merges.txt (Hugging Face), else
// bpe_simple_vocab_16e6.txt.gz (OpenAI). kNotFound names the directory when neither is there.
StatusOr<std::unique_ptr<Tokenizer>> LoadClipTokenizer(const std::string& model_dir);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_CLIP_EMBEDDER_H_
