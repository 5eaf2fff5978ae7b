// SHA-256 per FIPS 180-4. Portable, fully unrolled compression function; the message
// schedule is computed in a rolling 16-word window.
#include "indexer/model/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace vidx {
namespace {

constexpr uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
inline uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Compresses `nblocks` consecutive 64-byte blocks into `st`. Inlined into one generic and
// one BMI2 (rorx) wrapper; the BMI2 one is ~15% faster where the CPU has it.
__attribute__((always_inline)) inline void CompressBody(uint32_t st[8], const uint8_t* p,
                                                        size_t nblocks) {
  while (nblocks--) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) w[i] = LoadBe32(p + 4 * i);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
// One round; the rotating roles of a..h are expressed by the argument order.
#define VIDX_SHA_ROUND(a, b, c, d, e, f, g, h, k, wv)                                              \
  do {                                                                                             \
    uint32_t t1 = h + (Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25)) + (g ^ (e & (f ^ g))) + (k) + (wv); \
    uint32_t t2 = (Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22)) + ((a & b) | (c & (a | b)));            \
    d += t1;                                                                                       \
    h = t1 + t2;                                                                                   \
  } while (0)
#define VIDX_SHA_SCHED(i)                                                              \
  (w[(i)&15] +=                                                                        \
   (Rotr(w[((i)-2) & 15], 17) ^ Rotr(w[((i)-2) & 15], 19) ^ (w[((i)-2) & 15] >> 10)) + \
   w[((i)-7) & 15] +                                                                   \
   (Rotr(w[((i)-15) & 15], 7) ^ Rotr(w[((i)-15) & 15], 18) ^ (w[((i)-15) & 15] >> 3)))
#define VIDX_SHA_8ROUNDS(base, W)                               \
  VIDX_SHA_ROUND(a, b, c, d, e, f, g, h, kK[(base) + 0], W(0)); \
  VIDX_SHA_ROUND(h, a, b, c, d, e, f, g, kK[(base) + 1], W(1)); \
  VIDX_SHA_ROUND(g, h, a, b, c, d, e, f, kK[(base) + 2], W(2)); \
  VIDX_SHA_ROUND(f, g, h, a, b, c, d, e, kK[(base) + 3], W(3)); \
  VIDX_SHA_ROUND(e, f, g, h, a, b, c, d, kK[(base) + 4], W(4)); \
  VIDX_SHA_ROUND(d, e, f, g, h, a, b, c, kK[(base) + 5], W(5)); \
  VIDX_SHA_ROUND(c, d, e, f, g, h, a, b, kK[(base) + 6], W(6)); \
  VIDX_SHA_ROUND(b, c, d, e, f, g, h, a, kK[(base) + 7], W(7))
#define VIDX_W_LOW(j) w[j]
#define VIDX_W_HIGH(j) w[8 + (j)]
    VIDX_SHA_8ROUNDS(0, VIDX_W_LOW);
    VIDX_SHA_8ROUNDS(8, VIDX_W_HIGH);
#define VIDX_S_LOW16(j) VIDX_SHA_SCHED(16 + (j))
#define VIDX_S_HIGH16(j) VIDX_SHA_SCHED(24 + (j))
#define VIDX_S_LOW32(j) VIDX_SHA_SCHED(32 + (j))
#define VIDX_S_HIGH32(j) VIDX_SHA_SCHED(40 + (j))
#define VIDX_S_LOW48(j) VIDX_SHA_SCHED(48 + (j))
#define VIDX_S_HIGH48(j) VIDX_SHA_SCHED(56 + (j))
    VIDX_SHA_8ROUNDS(16, VIDX_S_LOW16);
    VIDX_SHA_8ROUNDS(24, VIDX_S_HIGH16);
    VIDX_SHA_8ROUNDS(32, VIDX_S_LOW32);
    VIDX_SHA_8ROUNDS(40, VIDX_S_HIGH32);
    VIDX_SHA_8ROUNDS(48, VIDX_S_LOW48);
    VIDX_SHA_8ROUNDS(56, VIDX_S_HIGH48);
#undef VIDX_S_LOW16
#undef VIDX_S_HIGH16
#undef VIDX_S_LOW32
#undef VIDX_S_HIGH32
#undef VIDX_S_LOW48
#undef VIDX_S_HIGH48
#undef VIDX_W_LOW
#undef VIDX_W_HIGH
#undef VIDX_SHA_8ROUNDS
#undef VIDX_SHA_SCHED
#undef VIDX_SHA_ROUND
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
    p += 64;
  }
}

void CompressGeneric(uint32_t st[8], const uint8_t* p, size_t nblocks) {
  CompressBody(st, p, nblocks);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("bmi2"))) void CompressBmi2(uint32_t st[8], const uint8_t* p,
                                                  size_t nblocks) {
  CompressBody(st, p, nblocks);
}
#endif

using CompressFn = void (*)(uint32_t*, const uint8_t*, size_t);

CompressFn PickCompress() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (__builtin_cpu_supports("bmi2")) return CompressBmi2;
#endif
  return CompressGeneric;
}

void Compress(uint32_t st[8], const uint8_t* p, size_t nblocks) {
  static const CompressFn fn = PickCompress();  // function-local, thread-safe init
  fn(st, p, nblocks);
}

}  // namespace

Sha256::Sha256() { Reset(); }

void Sha256::Reset() {
  std::memcpy(state_, kInit, sizeof(state_));
  total_ = 0;
  buf_len_ = 0;
}

void Sha256::Update(const void* data, size_t n) {
  if (n == 0) return;  // data may be null for an empty buffer (memcpy must not see it)
  const uint8_t* p = static_cast<const uint8_t*>(data);
  total_ += n;
  if (buf_len_ > 0) {
    size_t take = std::min(n, 64 - buf_len_);
    std::memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    n -= take;
    if (buf_len_ < 64) return;
    Compress(state_, buf_, 1);
    buf_len_ = 0;
  }
  if (n >= 64) {
    Compress(state_, p, n / 64);
    p += n / 64 * 64;
    n %= 64;
  }
  if (n > 0) {
    std::memcpy(buf_, p, n);
    buf_len_ = n;
  }
}

void Sha256::Final(uint8_t out[32]) {
  uint64_t bits = total_ * 8;
  uint8_t pad[72] = {0x80};
  size_t padlen = (buf_len_ < 56) ? 56 - buf_len_ : 120 - buf_len_;
  for (int i = 0; i < 8; ++i) pad[padlen + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  Update(pad, padlen + 8);
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = static_cast<uint8_t>(state_[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(state_[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(state_[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(state_[i]);
  }
}

std::string Sha256::HexDigest() {
  uint8_t d[32];
  Final(d);
  static const char kHex[] = "0123456789abcdef";
  std::string s(64, '0');
  for (int i = 0; i < 32; ++i) {
    s[2 * i] = kHex[d[i] >> 4];
    s[2 * i + 1] = kHex[d[i] & 15];
  }
  return s;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

StatusOr<std::string> Sha256File(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = path + ": cannot open for hashing: " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
#ifdef POSIX_FADV_SEQUENTIAL
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  constexpr size_t kBuf = 4 << 20;
  std::unique_ptr<uint8_t[]> buf(new uint8_t[kBuf]);
  Sha256 h;
  for (;;) {
    ssize_t r = ::read(fd, buf.get(), kBuf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(path + ": read failed while hashing: " + std::strerror(errno));
    }
    if (r == 0) break;
    h.Update(buf.get(), static_cast<size_t>(r));
  }
  return h.HexDigest();
}

StatusOr<std::string> DescribeFileHashes(const std::string& dir,
                                         const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    StatusOr<std::string> hex = Sha256File(path);
    if (!hex.ok()) return hex.status();
    out += (out.empty() ? "" : ",") + name + "=" + *hex;
  }
  return out;
}

}  // namespace vidx
