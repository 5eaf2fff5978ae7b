// libFuzzer target: the restricted pickle reader (ReadPickle with the globals a torch.save
// checkpoint may name) and, on the same bytes, TorchCheckpointFile::FromBuffer (the zip
// container and the state-dict rules). Both must return a Status, never crash or read out of
// bounds; every tensor an accepted archive yields lies inside the buffer.
#include <cstdint>
#include <cstdlib>

#include "indexer/model/pickle_reader.h"
#include "indexer/model/torch_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vidx::PickleOptions options;
  options.allowed_globals = vidx::TorchPickleGlobals();
  options.max_nodes = 1u << 16;
  auto p = vidx::ReadPickle(data, size, options, "fuzz.pkl");
  if (p.ok()) {
    for (const auto& n : p->nodes) {
      for (size_t i : n.items) {
        if (i >= p->nodes.size()) std::abort();
      }
    }
    if (p->root >= p->nodes.size()) std::abort();
  }
  auto f = vidx::TorchCheckpointFile::FromBuffer(data, size, "fuzz.pt");
  if (!f.ok()) return 0;
  for (const auto& kv : (*f)->tensors()) {
    const vidx::TensorView& t = kv.second;
    if (static_cast<uint64_t>(t.numel()) * vidx::DTypeSize(t.dtype) != t.nbytes) std::abort();
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < t.nbytes; ++i) sink = static_cast<uint8_t>(sink ^ t.data[i]);
  }
  return 0;
}
