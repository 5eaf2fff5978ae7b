// libFuzzer target: ParseConfig on arbitrary text must return a Status (yaml-cpp exceptions
// caught at the wrapper), never crash, throw or hang; a config it accepts holds values the
// rest of vidx may rely on without re-checking.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  vidx::StatusOr<vidx::Config> r = vidx::ParseConfig(text, "fuzz.yaml");
  if (!r.ok()) {
    // Every refusal says why, naming the file.
    if (r.status().message().empty()) std::abort();
    return 0;
  }
  const vidx::Config& c = *r;
  if (!(c.sampling.fps > 0) || !std::isfinite(c.sampling.fps)) std::abort();
  if (c.sampling.max_frames <= 0 || c.sampling.clip_frames <= 0) std::abort();
  if (c.model.batch_size <= 0) std::abort();
  return 0;
}
