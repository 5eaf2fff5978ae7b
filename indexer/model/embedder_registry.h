// The model families vidx can load, and the factory that picks one. A model directory names
// its family in config.json's "model_type" (Hugging Face's convention); LoadEmbedder reads it
// and hands the options to that family's loader. Adding a family is one loader (a file like
// clip_embedder.h) and one entry in the table in embedder_registry.cpp; nothing that uses an
// Embedder changes.
//
// Thread-safety: the table is immutable; LoadEmbedder may run concurrently on different options.
#ifndef VIDX_INDEXER_MODEL_EMBEDDER_REGISTRY_H_
#define VIDX_INDEXER_MODEL_EMBEDDER_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/embedder.h"
#include "indexer/model/load_report.h"

namespace vidx {

// Loads a model of one family strictly. `report` is never null.
using EmbedderLoader = StatusOr<std::unique_ptr<Embedder>> (*)(const EmbedderOptions& options,
                                                               LoadReport* report);

struct EmbedderFamily {
  const char* model_type;  // config.json's "model_type"
  EmbedderLoader load;
};

// Every family, in a fixed order.
const std::vector<EmbedderFamily>& EmbedderFamilies();

// The "model_type" of <model_dir>/config.json; "clip" when the field is absent (older CLIP
// exports omit it). Errors: kNotFound/kIoError for the file, kInvalidArgument for JSON that
// does not parse or a model_type that is not a string, each naming the file.
StatusOr<std::string> ReadModelType(const std::string& model_dir);

// Reads the family from config.json and loads the model with that family's loader. `report`
// (may be null) receives the load report, also when loading is refused. A family vidx does not
// know is kUnsupported: `DIR/config.json: model_type "siglip" is not a supported model family
// (supported: clip)`. Other errors are the family loader's.
StatusOr<std::unique_ptr<Embedder>> LoadEmbedder(const EmbedderOptions& options,
                                                 LoadReport* report);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_EMBEDDER_REGISTRY_H_
