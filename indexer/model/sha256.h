// Sha256: FIPS 180-4 SHA-256, streaming, plus a whole-file helper.
//
// Used for checkpoint hashes (docs/architecture.md §4) and the feature fingerprint. Own
// implementation, no OpenSSL. On CPUs with the SHA extensions (cpuid sha_ni) the compression
// function uses them; otherwise a portable unrolled version.
//
// Thread-safety: a Sha256 object is not synchronised; use one per thread. Sha256File is safe
// to call concurrently.
#ifndef VIDX_INDEXER_MODEL_SHA256_H_
#define VIDX_INDEXER_MODEL_SHA256_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vidx {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Finishes the hash. REQUIRES: called once; Update() may not follow (Reset() first).
  void Final(uint8_t out[32]);
  // Final() as 64 lowercase hex digits.
  std::string HexDigest();
  void Reset();

 private:
  uint32_t state_[8];
  uint64_t total_ = 0;  // bytes hashed so far
  uint8_t buf_[64];
  size_t buf_len_ = 0;
};

// One-shot helpers.
std::string Sha256Hex(std::string_view data);

// Hex sha256 of the file's contents, read with large buffers.
// Errors: kNotFound when missing, kIoError on open/read failure.
StatusOr<std::string> Sha256File(const std::string& path);

// "NAME=HEX" for each of `names` (plain file names) that exists in directory `dir`, in the
// order given, joined by ','; names that do not exist are left out. How a model describes the
// tokenizer files it read, so that a changed vocabulary changes the feature fingerprint.
// Errors: those of Sha256File for a file that exists but cannot be read.
StatusOr<std::string> DescribeFileHashes(const std::string& dir,
                                         const std::vector<std::string>& names);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_SHA256_H_
