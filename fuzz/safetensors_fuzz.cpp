// libFuzzer target: SafetensorsFile::FromBuffer on arbitrary bytes must return a Status, never
// crash or read out of bounds; every tensor it accepts lies inside the buffer.
#include <cstdint>
#include <cstdlib>

#include "indexer/model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = vidx::SafetensorsFile::FromBuffer(data, size, "fuzz.safetensors");
  if (!r.ok()) return 0;
  size_t total = 0;
  for (const auto& kv : (*r)->tensors()) {
    const vidx::TensorView& t = kv.second;
    if (static_cast<uint64_t>(t.numel()) * vidx::DTypeSize(t.dtype) != t.nbytes) std::abort();
    total += t.nbytes;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < t.nbytes; ++i) sink = static_cast<uint8_t>(sink ^ t.data[i]);
  }
  if (total > size) std::abort();
  return 0;
}
