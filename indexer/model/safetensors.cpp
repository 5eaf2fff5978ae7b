// SafetensorsFile: parsing and validation. See safetensors.h for the contract.
#include "indexer/model/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace vidx {
namespace {

// Same bound as the reference (Rust) implementation: 100 MB of JSON header.
constexpr uint64_t kMaxHeaderBytes = 100u * 1000u * 1000u;

struct DTypeEntry {
  const char* name;
  DType dtype;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {"F64", DType::kF64, 8},   {"F32", DType::kF32, 4}, {"F16", DType::kF16, 2},
    {"BF16", DType::kBF16, 2}, {"I64", DType::kI64, 8}, {"I32", DType::kI32, 4},
    {"I16", DType::kI16, 2},   {"I8", DType::kI8, 1},   {"U8", DType::kU8, 1},
    {"BOOL", DType::kBool, 1},
};

// Valid safetensors dtypes that vidx has no DType for.
constexpr const char* kUnrepresentedDTypes[] = {"U16", "U32", "U64", "F8_E4M3", "F8_E5M2"};

std::string Quote(const std::string& s) {
  // Names come from untrusted files: keep messages printable and short.
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 200; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 200) out += "...";
  out += "'";
  return out;
}

// Returns the length of the first invalid UTF-8 sequence's offset, or npos when valid.
// Rejects overlong forms, surrogates and code points above U+10FFFF.
size_t FindInvalidUtf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (n - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string::npos;
}

bool ReadU64(const nlohmann::json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

struct Span {
  uint64_t begin;
  uint64_t end;
  const std::string* name;
};

}  // namespace

const char* DTypeName(DType d) {
  for (const auto& e : kDTypes) {
    if (e.dtype == d) return e.name;
  }
  return "?";
}

size_t DTypeSize(DType d) {
  for (const auto& e : kDTypes) {
    if (e.dtype == d) return e.size;
  }
  return 0;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated at Open(): no overflow
  return n;
}

SafetensorsFile::~SafetensorsFile() = default;

void SafetensorsFile::Prefetch() const { PrefetchBytes(bytes_, data_offset_); }

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& kv : tensors_) out.push_back(kv.first);
  return out;
}

const TensorView* SafetensorsFile::Find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  auto bytes = MapFile(path);
  if (!bytes.ok()) return bytes.status();
  auto f = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  f->path_ = path;
  f->bytes_ = std::move(bytes).value();
  return Parse(std::move(f));
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::FromBuffer(const uint8_t* data,
                                                                       size_t size,
                                                                       const std::string& name) {
  auto f = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  f->path_ = name;
  f->bytes_ = CopyBytes(data, size);
  return Parse(std::move(f));
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Parse(
    std::unique_ptr<SafetensorsFile> f) {
  const std::string& p = f->path_;
  auto corrupt = [&p](const std::string& m) { return Status::Corruption(p + ": " + m); };
  if (f->bytes_.size < 8) {
    return corrupt("file is " + std::to_string(f->bytes_.size) +
                   " bytes, too small for a safetensors header (8 bytes minimum)");
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | f->bytes_.data[i];
  if (n < 2) return corrupt("header length " + std::to_string(n) + " is below 2 bytes");
  if (n > kMaxHeaderBytes) {
    return corrupt("header length " + std::to_string(n) + " exceeds the limit of " +
                   std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (n > f->bytes_.size - 8) {
    return corrupt("header length " + std::to_string(n) + " runs past the end of the file (" +
                   std::to_string(f->bytes_.size) + " bytes)");
  }
  const uint8_t* hdr = f->bytes_.data + 8;
  if (hdr[0] != '{') return corrupt("header does not start with '{'");
  size_t bad = FindInvalidUtf8(hdr, n);
  if (bad != std::string::npos) {
    return corrupt("header is not valid UTF-8 (byte offset " + std::to_string(8 + bad) + ")");
  }

  // Parse with a callback that detects duplicate keys (nlohmann keeps the last silently).
  std::vector<std::set<std::string>> key_stack;
  std::string duplicate;
  auto cb = [&](int /*depth*/, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) {
      key_stack.emplace_back();
    } else if (ev == E::object_end) {
      if (!key_stack.empty()) key_stack.pop_back();
    } else if (ev == E::key && !key_stack.empty() && parsed.is_string()) {
      if (!key_stack.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
        duplicate = parsed.get<std::string>();
      }
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(hdr, hdr + n, cb, /*allow_exceptions=*/true);
  } catch (const nlohmann::json::exception& e) {
    return corrupt(std::string("header is not valid JSON: ") + e.what());
  } catch (const std::exception& e) {
    return corrupt(std::string("header could not be parsed: ") + e.what());
  }
  if (!duplicate.empty()) return corrupt("header has the key " + Quote(duplicate) + " twice");
  if (!j.is_object()) return corrupt("header is not a JSON object");

  const uint64_t data_size = f->bytes_.size - 8 - n;
  const uint8_t* data = hdr + n;
  f->data_offset_ = static_cast<size_t>(8 + n);
  std::vector<Span> spans;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) return corrupt("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) {
          return corrupt("__metadata__ value for " + Quote(m.key()) + " is not a string");
        }
        f->metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string t = "tensor " + Quote(name);
    if (!v.is_object()) return corrupt(t + " is not an object");
    for (auto k = v.begin(); k != v.end(); ++k) {
      if (k.key() != "dtype" && k.key() != "shape" && k.key() != "data_offsets") {
        return corrupt(t + " has unknown field " + Quote(k.key()));
      }
    }
    auto dt = v.find("dtype");
    auto sh = v.find("shape");
    auto off = v.find("data_offsets");
    if (dt == v.end() || sh == v.end() || off == v.end()) {
      return corrupt(t + " lacks one of dtype, shape, data_offsets");
    }
    if (!dt->is_string()) return corrupt(t + " has a dtype that is not a string");
    TensorView tv;
    tv.name = name;
    const std::string dname = dt->get<std::string>();
    size_t esize = 0;
    for (const auto& e : kDTypes) {
      if (dname == e.name) {
        tv.dtype = e.dtype;
        esize = e.size;
      }
    }
    if (esize == 0) {
      for (const char* u : kUnrepresentedDTypes) {
        if (dname == u) {
          return Status::Unsupported(p + ": " + t + " has dtype " + dname +
                                     ", which vidx does not handle");
        }
      }
      return corrupt(t + " has unknown dtype " + Quote(dname));
    }
    if (!sh->is_array()) return corrupt(t + " has a shape that is not an array");
    // The product of the non-zero dims must fit in int64 (TensorView::numel() multiplies them
    // all), and numel * element size must fit in uint64.
    constexpr uint64_t kMaxI64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t nonzero = 1;
    bool has_zero = false;
    for (const auto& d : *sh) {
      uint64_t dim = 0;
      if (!ReadU64(d, &dim)) {
        return corrupt(t + " has shape " + sh->dump() +
                       " with an entry that is not a non-negative integer");
      }
      if (dim == 0) {
        has_zero = true;
      } else if (dim > kMaxI64 / nonzero) {
        return corrupt(t + " has shape " + sh->dump() + " whose element count overflows");
      } else {
        nonzero *= dim;
      }
      tv.shape.push_back(static_cast<int64_t>(dim));
    }
    const uint64_t numel = has_zero ? 0 : nonzero;
    if (numel > std::numeric_limits<uint64_t>::max() / esize) {
      return corrupt(t + " has shape " + sh->dump() + " whose byte count overflows");
    }
    if (!off->is_array() || off->size() != 2) {
      return corrupt(t + " has data_offsets that are not a [begin, end] pair");
    }
    uint64_t b = 0, e = 0;
    if (!ReadU64((*off)[0], &b) || !ReadU64((*off)[1], &e)) {
      return corrupt(t + " has data_offsets " + off->dump() +
                     " that are not non-negative integers");
    }
    const std::string off_str = "[" + std::to_string(b) + ", " + std::to_string(e) + "]";
    if (e < b) return corrupt(t + " has data_offsets " + off_str + " with end before begin");
    if (e > data_size) {
      return corrupt(t + " has data_offsets " + off_str + " past the end of the data (" +
                     std::to_string(data_size) + " bytes)");
    }
    if (numel * esize != e - b) {
      return corrupt(t + " has shape " + sh->dump() + " and dtype " + dname + " (" +
                     std::to_string(numel * esize) + " bytes) but data_offsets " + off_str +
                     " span " + std::to_string(e - b) + " bytes");
    }
    tv.data = data + b;
    tv.nbytes = static_cast<size_t>(e - b);
    auto ins = f->tensors_.emplace(name, std::move(tv));
    spans.push_back(Span{b, e, &ins.first->first});
  }

  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return *a.name < *b.name;
  });
  uint64_t pos = 0;
  const Span* prev = nullptr;
  auto span_str = [](const Span& s) {
    return "[" + std::to_string(s.begin) + ", " + std::to_string(s.end) + "]";
  };
  for (const Span& s : spans) {
    if (s.begin < pos) {
      return corrupt("tensor " + Quote(*s.name) + " has data_offsets " + span_str(s) +
                     " overlapping tensor " + Quote(*prev->name) + " " + span_str(*prev));
    }
    if (s.begin > pos) {
      return corrupt("tensor " + Quote(*s.name) + " has data_offsets " + span_str(s) +
                     " leaving a gap of " + std::to_string(s.begin - pos) + " bytes after " +
                     (prev ? "tensor " + Quote(*prev->name) : std::string("the header")));
    }
    pos = s.end;
    prev = &s;
  }
  if (pos != data_size) {
    return corrupt(
        "the tensors cover " + std::to_string(pos) + " bytes but the data region has " +
        std::to_string(data_size) + " bytes (" +
        (prev ? "trailing bytes after tensor " + Quote(*prev->name) : std::string("no tensors")) +
        ")");
  }
  return f;
}

}  // namespace vidx
