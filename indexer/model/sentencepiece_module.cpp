#include "indexer/model/sentencepiece_module.h"

#include <dlfcn.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "indexer/model/sentencepiece_abi.h"

#ifndef VIDX_SENTENCEPIECE_MODULE_PATH
#define VIDX_SENTENCEPIECE_MODULE_PATH ""
#endif
#ifndef VIDX_SENTENCEPIECE_MODULE_RELDIR
#define VIDX_SENTENCEPIECE_MODULE_RELDIR ""
#endif

// The sanitizer this file is compiled with, if any (the runtime check below covers the rest).
#if defined(__SANITIZE_ADDRESS__)
#define VIDX_COMPILED_SANITIZER "AddressSanitizer"
#elif defined(__SANITIZE_THREAD__)
#define VIDX_COMPILED_SANITIZER "ThreadSanitizer"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIDX_COMPILED_SANITIZER "AddressSanitizer"
#elif __has_feature(thread_sanitizer)
#define VIDX_COMPILED_SANITIZER "ThreadSanitizer"
#elif __has_feature(memory_sanitizer)
#define VIDX_COMPILED_SANITIZER "MemorySanitizer"
#elif __has_feature(hwaddress_sanitizer)
#define VIDX_COMPILED_SANITIZER "HWAddressSanitizer"
#endif
#endif

namespace vidx {

struct SpmModuleApi {
  VidxSpmLoadFn load = nullptr;
  VidxSpmFreeFn free = nullptr;
  VidxSpmPieceSizeFn piece_size = nullptr;
  VidxSpmPieceToIdFn piece_to_id = nullptr;
  VidxSpmIsUnknownFn is_unknown = nullptr;
  VidxSpmIdToPieceFn id_to_piece = nullptr;
  VidxSpmEncodeFn encode = nullptr;
  VidxSpmDecodeFn decode = nullptr;
};

namespace {

constexpr char kModuleName[] = "libvidx_sentencepiece.so";

// The sanitizer whose runtime is in this process, or nullptr. Its interceptor kills the
// process on dlopen(RTLD_DEEPBIND), so this must be known before asking.
const char* SanitizerRuntime() {
#ifdef VIDX_COMPILED_SANITIZER
  return VIDX_COMPILED_SANITIZER;
#else
  static const std::pair<const char*, const char*> kRuntimes[] = {
      {"__asan_init", "AddressSanitizer"},
      {"__tsan_init", "ThreadSanitizer"},
      {"__msan_init", "MemorySanitizer"},
      {"__hwasan_init", "HWAddressSanitizer"}};
  for (const auto& r : kRuntimes) {
    if (::dlsym(RTLD_DEFAULT, r.first) != nullptr) return r.second;
  }
  return nullptr;
#endif
}

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string ExecutableDir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return std::string();
  std::string exe(buf, static_cast<size_t>(n));
  size_t slash = exe.rfind('/');
  return slash == std::string::npos ? std::string() : exe.substr(0, slash);
}

std::vector<std::string> Candidates() {
  std::vector<std::string> paths;
  const std::string dir = ExecutableDir();
  if (!dir.empty()) {
    paths.push_back(dir + "/" + kModuleName);
    const std::string rel = VIDX_SENTENCEPIECE_MODULE_RELDIR;
    if (!rel.empty()) paths.push_back(dir + "/" + rel + "/" + kModuleName);
  }
  const std::string built = VIDX_SENTENCEPIECE_MODULE_PATH;
  if (!built.empty()) paths.push_back(built);
  return paths;
}

template <typename Fn>
bool Bind(void* handle, const char* name, Fn* fn, std::string* missing) {
  *fn = reinterpret_cast<Fn>(::dlsym(handle, name));
  if (*fn == nullptr && missing->empty()) *missing = name;
  return *fn != nullptr;
}

struct Loaded {
  Status status;
  SpmModuleApi api;
};

Loaded LoadModule() {
  Loaded out;
#ifdef VIDX_NO_SENTENCEPIECE_MODULE
  out.status = Status::Unsupported(
      "SentencePiece tokenizers (SigLIP, SigLIP 2) are unavailable: this model-only build was "
      "configured without libsentencepiece, so " +
      std::string(kModuleName) + " was not built");
  return out;
#endif
  if (const char* san = SanitizerRuntime()) {
    out.status =
        Status::Unsupported(std::string("SentencePiece tokenizers are unavailable under ") + san +
                            ": its runtime aborts on dlopen(RTLD_DEEPBIND), which " + kModuleName +
                            " needs to keep libsentencepiece's protobuf apart from LibTorch's");
    return out;
  }
  std::string tried, path;
  for (const std::string& p : Candidates()) {
    if (IsFile(p)) {
      path = p;
      break;
    }
    tried += (tried.empty() ? "" : ", ") + p;
  }
  if (path.empty()) {
    out.status = Status::NotFound(std::string(kModuleName) + " (the SentencePiece module) is in " +
                                  "none of: " + (tried.empty() ? "(no candidate path)" : tried));
    return out;
  }
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    out.status = Status::Internal(path + ": cannot be loaded (" + (err ? err : "unknown") + ")");
    return out;
  }
  // Kept loaded for the life of the process: processors may outlive any owner.
  VidxSpmAbiVersionFn version = nullptr;
  std::string missing;
  Bind(handle, "vidx_spm_abi_version", &version, &missing);
  if (version != nullptr && version() != VIDX_SPM_ABI_VERSION) {
    out.status = Status::Internal(path + ": ABI version " + std::to_string(version()) +
                                  ", expected " + std::to_string(VIDX_SPM_ABI_VERSION));
    return out;
  }
  SpmModuleApi& a = out.api;
  Bind(handle, "vidx_spm_load", &a.load, &missing);
  Bind(handle, "vidx_spm_free", &a.free, &missing);
  Bind(handle, "vidx_spm_piece_size", &a.piece_size, &missing);
  Bind(handle, "vidx_spm_piece_to_id", &a.piece_to_id, &missing);
  Bind(handle, "vidx_spm_is_unknown", &a.is_unknown, &missing);
  Bind(handle, "vidx_spm_id_to_piece", &a.id_to_piece, &missing);
  Bind(handle, "vidx_spm_encode", &a.encode, &missing);
  Bind(handle, "vidx_spm_decode", &a.decode, &missing);
  if (!missing.empty()) {
    out.status = Status::Internal(path + ": does not define " + missing);
    return out;
  }
  out.status = Status::Ok();
  return out;
}

const Loaded& Module() {
  static const Loaded* loaded = new Loaded(LoadModule());
  return *loaded;
}

void AppendText(void* ctx, const char* text, size_t size) {
  static_cast<std::string*>(ctx)->append(text, size);
}

struct EncodeSink {
  std::vector<std::pair<int32_t, std::string>>* pieces;
  std::string error;
};

void AppendPiece(void* ctx, int id, const char* piece, size_t size) {
  static_cast<EncodeSink*>(ctx)->pieces->emplace_back(static_cast<int32_t>(id),
                                                      std::string(piece, size));
}

void EncodeError(void* ctx, const char* text, size_t size) {
  static_cast<EncodeSink*>(ctx)->error.append(text, size);
}

struct DecodeSink {
  std::string* text;
  std::string error;
};

void DecodeText(void* ctx, const char* text, size_t size) {
  static_cast<DecodeSink*>(ctx)->text->append(text, size);
}

void DecodeError(void* ctx, const char* text, size_t size) {
  static_cast<DecodeSink*>(ctx)->error.append(text, size);
}

}  // namespace

Status SpmProcessor::ModuleStatus() { return Module().status; }

StatusOr<std::unique_ptr<SpmProcessor>> SpmProcessor::Load(const std::string& proto,
                                                           const std::string& file) {
  const Loaded& m = Module();
  if (!m.status.ok()) return m.status;
  std::string error;
  VidxSpm* spm = m.api.load(proto.data(), proto.size(), AppendText, &error);
  if (spm == nullptr) {
    return Status::Corruption(file + ": not a SentencePiece model (" + error + ")");
  }
  return std::unique_ptr<SpmProcessor>(new SpmProcessor(&m.api, spm));
}

SpmProcessor::~SpmProcessor() { api_->free(spm_); }

int SpmProcessor::PieceSize() const { return api_->piece_size(spm_); }

int SpmProcessor::PieceToId(const std::string& piece) const {
  return api_->piece_to_id(spm_, piece.data(), piece.size());
}

bool SpmProcessor::IsUnknown(int id) const { return api_->is_unknown(spm_, id) != 0; }

std::string SpmProcessor::IdToPiece(int id) const {
  std::string out;
  api_->id_to_piece(spm_, id, AppendText, &out);
  return out;
}

Status SpmProcessor::Encode(const std::string& text,
                            std::vector<std::pair<int32_t, std::string>>* out) const {
  out->clear();
  EncodeSink sink{out, std::string()};
  if (api_->encode(spm_, text.data(), text.size(), AppendPiece, EncodeError, &sink) != 0) {
    return Status::Internal("SentencePiece cannot encode a text (" + sink.error + ")");
  }
  return Status::Ok();
}

Status SpmProcessor::Decode(const std::vector<int>& ids, std::string* out) const {
  out->clear();
  DecodeSink sink{out, std::string()};
  if (api_->decode(spm_, ids.data(), ids.size(), DecodeText, DecodeError, &sink) != 0) {
    return Status::Internal("SentencePiece cannot decode ids (" + sink.error + ")");
  }
  return Status::Ok();
}

}  // namespace vidx
