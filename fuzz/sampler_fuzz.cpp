// libFuzzer target: FrameSampler and DecodeFrameAt (the thumbnail path) on arbitrary bytes
// must return a Status or frames, never crash, leak or overrun; every frame they deliver is a
// complete RGB24 picture at a finite time.
//
// The bytes are put in an anonymous memfd and the sampler is given /proc/self/fd/N: the
// sampler's normal file path (stat, file-protocol-only avio, vidx's own probe and demuxer
// allowlist, limits) is exercised unchanged, with no in-memory input path added to the
// product code just for fuzzing.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "indexer/video/frame_at.h"
#include "indexer/video/sampler.h"

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

const vidx::FrameSampler& Sampler() {
  static const vidx::FrameSampler* s = [] {
    vidx::SamplerOptions o;
    o.sampling.fps = 4;
    o.sampling.max_frames = 8;
    o.output_size = 32;
    o.max_probe_bytes = 1 << 20;
    o.max_dimension = 2048;  // keeps a hostile header from costing the fuzzer gigabytes
    o.max_seconds = 2;
    o.decode_threads = 1;
    return new vidx::FrameSampler(o);
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fd f{::memfd_create("vidx_sampler_fuzz", MFD_CLOEXEC)};
  if (f.fd < 0) std::abort();
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(f.fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(f.fd);
  vidx::VideoInfo info;
  int frames = 0;
  vidx::Status s = Sampler().Sample(path, &info, [&](vidx::Frame&& fr) {
    ++frames;
    if (fr.width != 32 || fr.height != 32) std::abort();
    if (fr.rgb.size() != static_cast<size_t>(fr.width) * fr.height * 3) std::abort();
    if (!std::isfinite(fr.t) || !std::isfinite(fr.target)) std::abort();
    return vidx::Status::Ok();
  });
  if (!s.ok() && s.message().empty()) std::abort();
  if (frames > 8) std::abort();

  // One frame at a time chosen by the input (inside, at or past the end), 64 px wide.
  vidx::FrameAtOptions at;
  at.width = 64;
  at.max_probe_bytes = 1 << 20;
  at.max_dimension = 2048;
  at.max_seconds = 2;
  const double t = size > 0 ? data[0] / 64.0 * std::max(info.duration, 1.0) : 0;
  vidx::StatusOr<vidx::Frame> one = vidx::DecodeFrameAt(path, t, at);
  if (one.ok()) {
    if (one->width != 64 || one->height < 2 || one->height % 2 != 0) std::abort();
    if (one->rgb.size() != static_cast<size_t>(one->width) * one->height * 3) std::abort();
    if (!std::isfinite(one->t)) std::abort();
  } else if (one.status().message().empty()) {
    std::abort();
  }
  return 0;
}
