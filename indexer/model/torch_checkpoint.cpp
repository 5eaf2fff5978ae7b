// TorchCheckpointFile: zip directory (minizip over memory), pickle, state-dict rules. See
// torch_checkpoint.h for the contract. A model-only build without minizip (VIDX_HAVE_MINIZIP
// unset) compiles the same rules but cannot open the zip: every torch.save file is Unsupported.
#include "indexer/model/torch_checkpoint.h"

#if VIDX_HAVE_MINIZIP
#include <unzip.h>
#endif

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include "indexer/model/pickle_reader.h"

namespace vidx {
namespace {

using Kind = PickleNode::Kind;

constexpr size_t kMaxEntries = 1u << 20;
constexpr uint64_t kMaxPickleBytes = uint64_t{1} << 30;

struct MemStream {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
};

#if VIDX_HAVE_MINIZIP
// minizip's file functions over a buffer.

voidpf ZCALLBACK MemOpen(voidpf opaque, const void*, int) { return opaque; }
uLong ZCALLBACK MemRead(voidpf, voidpf stream, void* buf, uLong size) {
  auto* m = static_cast<MemStream*>(stream);
  const size_t n = std::min<size_t>(size, m->size - m->pos);
  if (n > 0) std::memcpy(buf, m->data + m->pos, n);
  m->pos += n;
  return static_cast<uLong>(n);
}
uLong ZCALLBACK MemWrite(voidpf, voidpf, const void*, uLong) { return 0; }
ZPOS64_T ZCALLBACK MemTell(voidpf, voidpf stream) { return static_cast<MemStream*>(stream)->pos; }
long ZCALLBACK MemSeek(voidpf, voidpf stream, ZPOS64_T offset, int origin) {
  auto* m = static_cast<MemStream*>(stream);
  uint64_t base = 0;
  if (origin == ZLIB_FILEFUNC_SEEK_CUR) base = m->pos;
  if (origin == ZLIB_FILEFUNC_SEEK_END) base = m->size;
  if (offset > m->size || base > m->size - offset) return -1;
  m->pos = static_cast<size_t>(base + offset);
  return 0;
}
int ZCALLBACK MemClose(voidpf, voidpf) { return 0; }
int ZCALLBACK MemError(voidpf, voidpf) { return 0; }

struct UnzCloser {
  void operator()(unzFile z) const { unzClose(z); }
};
using UnzHandle = std::unique_ptr<void, UnzCloser>;
using UnzPos = unz64_file_pos;
#else
struct UnzHandle {};
struct UnzPos {};
#endif

struct ZipEntry {
  std::string name;
  int method = 0;
  bool encrypted = false;
  uint64_t compressed = 0;
  uint64_t size = 0;
  uint64_t offset = 0;  // of the entry's data in the file
  UnzPos pos{};
};

struct Zip {
  MemStream stream;
  UnzHandle handle;
  std::map<std::string, ZipEntry> entries;
};

Status ReadDirectory(const FileBytes& bytes, const std::string& path, Zip* zip) {
#if !VIDX_HAVE_MINIZIP
  (void)bytes;
  (void)zip;
  return Status::Unsupported(path +
                             " is a torch.save zip archive, and this model-only build was "
                             "configured without minizip; convert it to model.safetensors or "
                             "build with minizip");
#else
  auto corrupt = [&path](const std::string& m) {
    return Status::Corruption(path + ": not a readable zip archive: " + m);
  };
  zip->stream = MemStream{bytes.data, bytes.size};
  zlib_filefunc64_def funcs{};
  funcs.zopen64_file = MemOpen;
  funcs.zread_file = MemRead;
  funcs.zwrite_file = MemWrite;
  funcs.ztell64_file = MemTell;
  funcs.zseek64_file = MemSeek;
  funcs.zclose_file = MemClose;
  funcs.zerror_file = MemError;
  funcs.opaque = &zip->stream;
  zip->handle.reset(unzOpen2_64(path.c_str(), &funcs));
  if (!zip->handle) return corrupt("no central directory");
  unzFile z = zip->handle.get();
  int r = unzGoToFirstFile(z);
  for (; r == UNZ_OK; r = unzGoToNextFile(z)) {
    if (zip->entries.size() >= kMaxEntries) return corrupt("too many entries");
    unz_file_info64 info{};
    char name[1024];
    if (unzGetCurrentFileInfo64(z, &info, name, sizeof name, nullptr, 0, nullptr, 0) != UNZ_OK ||
        info.size_filename >= sizeof name) {
      return corrupt("an entry name cannot be read");
    }
    ZipEntry e;
    e.name.assign(name, info.size_filename);
    e.method = static_cast<int>(info.compression_method);
    e.encrypted = (info.flag & 1) != 0;
    e.compressed = info.compressed_size;
    e.size = info.uncompressed_size;
    if (unzGetFilePos64(z, &e.pos) != UNZ_OK)
      return corrupt("entry " + e.name + " has no position");
    if (!e.encrypted) {
      if (unzOpenCurrentFile(z) != UNZ_OK) return corrupt("entry " + e.name + " cannot be opened");
      e.offset = unzGetCurrentFileZStreamPos64(z);
      unzCloseCurrentFile(z);
    }
    if (e.offset > bytes.size || e.compressed > bytes.size - e.offset) {
      return corrupt("entry " + e.name + " lies outside the file");
    }
    const std::string key = e.name;
    if (!zip->entries.emplace(key, std::move(e)).second) return corrupt("entry " + key + " twice");
  }
  if (r != UNZ_END_OF_LIST_OF_FILE) return corrupt("the central directory is damaged");
  return Status::Ok();
#endif
}

// The whole content of a (stored or deflated) entry, checked against its CRC.
Status ReadEntry(Zip& zip, const ZipEntry& e, const std::string& path, std::string* out) {
  if (e.encrypted) return Status::Unsupported(path + ": entry " + e.name + " is encrypted");
  if (e.size > kMaxPickleBytes) {
    return Status::Unsupported(path + ": entry " + e.name + " is larger than 1 GiB");
  }
  // Deflate expands at most about 1032 times: a larger claimed size is a lie.
  if ((e.method == 0 && e.size != e.compressed) || e.size / 1100 > e.compressed) {
    return Status::Corruption(path + ": entry " + e.name + " claims an impossible size");
  }
#if !VIDX_HAVE_MINIZIP
  (void)zip;
  (void)out;
  return Status::Unsupported(path + ": entry " + e.name + " cannot be read without minizip");
#else
  unzFile z = zip.handle.get();
  unz64_file_pos pos = e.pos;
  if (unzGoToFilePos64(z, &pos) != UNZ_OK || unzOpenCurrentFile(z) != UNZ_OK) {
    return Status::Corruption(path + ": entry " + e.name + " cannot be opened");
  }
  out->resize(static_cast<size_t>(e.size));
  const int got =
      out->empty() ? 0 : unzReadCurrentFile(z, &(*out)[0], static_cast<unsigned>(e.size));
  char extra = 0;
  const int more = unzReadCurrentFile(z, &extra, 1);
  const int crc = unzCloseCurrentFile(z);
  if (got < 0 || static_cast<uint64_t>(got) != e.size || more != 0 || crc != UNZ_OK) {
    return Status::Corruption(path + ": entry " + e.name + " is damaged (size or CRC)");
  }
  return Status::Ok();
#endif
}

struct StorageType {
  const char* global;
  DType dtype;
};
constexpr StorageType kStorages[] = {
    {"torch.FloatStorage", DType::kF32}, {"torch.DoubleStorage", DType::kF64},
    {"torch.HalfStorage", DType::kF16},  {"torch.BFloat16Storage", DType::kBF16},
    {"torch.LongStorage", DType::kI64},  {"torch.IntStorage", DType::kI32},
    {"torch.ShortStorage", DType::kI16}, {"torch.CharStorage", DType::kI8},
    {"torch.ByteStorage", DType::kU8},   {"torch.BoolStorage", DType::kBool},
};

// Turns pickled values into tensor views.
class StateDictReader {
 public:
  StateDictReader(const Pickle& p, Zip& zip, const FileBytes& bytes, const std::string& path,
                  const std::string& prefix)
      : p_(p), zip_(zip), bytes_(bytes), path_(path), prefix_(prefix) {}

  bool IsTensor(size_t n, int depth = 0) const {
    const PickleNode& v = p_.at(n);
    if (v.kind != Kind::kCall || depth > 2) return false;
    const std::string& fn = p_.at(v.items[0]).s;
    const PickleNode& args = p_.at(v.items[1]);
    if (fn == "torch._utils._rebuild_tensor_v2") return true;
    if (fn == "torch._utils._rebuild_parameter" ||
        fn == "torch._utils._rebuild_parameter_with_state") {
      return !args.items.empty() && IsTensor(args.items[0], depth + 1);
    }
    return false;
  }

  bool IsTensorDict(size_t n) const {
    const PickleNode& d = p_.at(n);
    if (d.kind != Kind::kDict || d.items.empty()) return false;
    for (size_t k = 1; k < d.items.size(); k += 2) {
      if (!IsTensor(d.items[k])) return false;
    }
    return true;
  }

  Status Tensor(size_t n, const std::string& key, TensorView* out) {
    const PickleNode& call = p_.at(n);
    const PickleNode& args = p_.at(call.items[1]);
    if (p_.at(call.items[0]).s != "torch._utils._rebuild_tensor_v2") {
      return Tensor(args.items[0], key, out);  // a Parameter: its data
    }
    auto bad = [&](const std::string& m) {
      return Status::Corruption(path_ + ": tensor " + key + " " + m);
    };
    if (args.items.size() < 4) return bad("has too few rebuild arguments");
    const PickleNode& pid = p_.at(args.items[0]);
    if (pid.kind != Kind::kPersistentId) return bad("has no storage reference");
    const PickleNode& ref = p_.at(pid.items[0]);
    if (ref.kind != Kind::kTuple || ref.items.size() < 5 || p_.at(ref.items[0]).s != "storage" ||
        p_.at(ref.items[1]).kind != Kind::kGlobal || p_.at(ref.items[2]).kind != Kind::kString ||
        p_.at(ref.items[4]).kind != Kind::kInt) {
      return bad("has a malformed storage reference");
    }
    const std::string& type = p_.at(ref.items[1]).s;
    const StorageType* st = nullptr;
    for (const auto& s : kStorages) {
      if (type == s.global) st = &s;
    }
    if (st == nullptr) return bad("has storage type " + type + ", not a tensor storage");
    const int64_t storage_numel = p_.at(ref.items[4]).i;
    const PickleNode& offset = p_.at(args.items[1]);
    const PickleNode& size = p_.at(args.items[2]);
    const PickleNode& stride = p_.at(args.items[3]);
    if (offset.kind != Kind::kInt || size.kind != Kind::kTuple || stride.kind != Kind::kTuple ||
        size.items.size() != stride.items.size() || size.items.size() > 16) {
      return bad("has a malformed offset, size or stride");
    }
    const size_t esize = DTypeSize(st->dtype);
    const int64_t limit = std::numeric_limits<int64_t>::max() / 16;
    out->name = key;
    out->dtype = st->dtype;
    out->shape.clear();
    int64_t numel = 1;
    for (size_t d = 0; d < size.items.size(); ++d) {
      const PickleNode& dim = p_.at(size.items[d]);
      if (dim.kind != Kind::kInt || dim.i < 0 || (dim.i > 0 && numel > limit / dim.i)) {
        return bad("has a malformed size");
      }
      numel *= dim.i;
      out->shape.push_back(dim.i);
    }
    int64_t expect = 1;  // contiguous strides, innermost first
    for (size_t d = size.items.size(); d-- > 0;) {
      const PickleNode& s = p_.at(stride.items[d]);
      if (s.kind != Kind::kInt) return bad("has a malformed stride");
      if (out->shape[d] != 1 && numel > 0 && s.i != expect) {
        return Status::Unsupported(path_ + ": tensor " + key +
                                   " is not contiguous in its storage; save it with "
                                   ".contiguous() (or as safetensors)");
      }
      expect *= out->shape[d];
    }
    if (storage_numel < 0 || storage_numel > limit || offset.i < 0 || offset.i > storage_numel ||
        numel > storage_numel - offset.i) {
      return bad("lies outside its storage");
    }
    const std::string record = prefix_ + "data/" + p_.at(ref.items[2]).s;
    auto it = zip_.entries.find(record);
    if (it == zip_.entries.end()) return bad("names the missing record " + record);
    const ZipEntry& e = it->second;
    if (e.method != 0 || e.encrypted || e.compressed != e.size) {
      return Status::Unsupported(path_ + ": record " + record +
                                 " is compressed or encrypted; torch.save stores tensors "
                                 "uncompressed (re-save the checkpoint with torch.save)");
    }
    if (static_cast<uint64_t>(storage_numel) * esize > e.size) {
      return bad("needs more bytes than record " + record + " holds");
    }
    out->data = bytes_.data + e.offset + static_cast<uint64_t>(offset.i) * esize;
    out->nbytes = static_cast<size_t>(numel) * esize;
    return Status::Ok();
  }

 private:
  const Pickle& p_;
  Zip& zip_;
  const FileBytes& bytes_;
  const std::string& path_;
  const std::string& prefix_;
};

std::string KeyOf(const Pickle& p, size_t n) {
  const PickleNode& k = p.at(n);
  return k.kind == Kind::kString ? k.s : std::string();
}

}  // namespace

const std::vector<std::string>& TorchPickleGlobals() {
  static const std::vector<std::string>* globals = [] {
    auto* g = new std::vector<std::string>{
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"};
    for (const auto& s : kStorages) g->push_back(s.global);
    return g;
  }();
  return *globals;
}

bool IsLegacyTorchFormat(const uint8_t* data, size_t size) {
  // PROTO n, LONG1 of 10 bytes: 0x1950a86a20f9469cfc6c, little-endian.
  static const uint8_t kMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                   0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  return size >= 2 + sizeof kMagic && data[0] == 0x80 &&
         std::memcmp(data + 2, kMagic, sizeof kMagic) == 0;
}

Status LegacyTorchFormatError(const std::string& path) {
  return Status::Unsupported(
      path +
      " is a PyTorch checkpoint in the legacy format (torch.save before PyTorch 1.6, or "
      "_use_new_zipfile_serialization=False), which vidx does not read; convert it where you "
      "trust the file, e.g. python -c \"import torch; torch.save(torch.load('IN', "
      "weights_only=True), 'OUT.pt')\" (PyTorch >= 1.13), or save it as safetensors");
}

TorchCheckpointFile::~TorchCheckpointFile() = default;

StatusOr<std::unique_ptr<TorchCheckpointFile>> TorchCheckpointFile::Open(const std::string& path) {
  auto bytes = MapFile(path);
  if (!bytes.ok()) return bytes.status();
  auto f = std::unique_ptr<TorchCheckpointFile>(new TorchCheckpointFile());
  f->path_ = path;
  f->bytes_ = std::move(bytes).value();
  return Parse(std::move(f));
}

StatusOr<std::unique_ptr<TorchCheckpointFile>> TorchCheckpointFile::FromBuffer(
    const uint8_t* data, size_t size, const std::string& name) {
  auto f = std::unique_ptr<TorchCheckpointFile>(new TorchCheckpointFile());
  f->path_ = name;
  f->bytes_ = CopyBytes(data, size);
  return Parse(std::move(f));
}

StatusOr<std::unique_ptr<TorchCheckpointFile>> TorchCheckpointFile::Parse(
    std::unique_ptr<TorchCheckpointFile> f) {
  const std::string& path = f->path_;
  if (IsLegacyTorchFormat(f->bytes_.data, f->bytes_.size)) return LegacyTorchFormatError(path);
  Zip zip;
  VIDX_RETURN_IF_ERROR(ReadDirectory(f->bytes_, path, &zip));
  std::string prefix;
  bool script = false;
  for (const auto& [name, e] : zip.entries) {
    const size_t slash = name.find('/');
    if (slash == std::string::npos) continue;
    const std::string rest = name.substr(slash + 1);
    if (rest == "data.pkl") {
      if (!prefix.empty()) return Status::Corruption(path + ": the archive holds two data.pkl");
      prefix = name.substr(0, slash + 1);
    }
    script = script || rest.rfind("code/", 0) == 0 || rest == "constants.pkl";
  }
  if (script) {
    return Status::Unsupported(path +
                               " is a TorchScript archive (torch.jit.save), which holds "
                               "code; vidx reads state dicts saved with torch.save");
  }
  if (prefix.empty()) {
    return Status::Corruption(path +
                              ": the zip archive has no data.pkl, so torch.save did not "
                              "write it");
  }
  auto order = zip.entries.find(prefix + "byteorder");
  if (order != zip.entries.end()) {
    std::string value;
    VIDX_RETURN_IF_ERROR(ReadEntry(zip, order->second, path, &value));
    if (value != "little") {
      return Status::Unsupported(path + ": the tensors are stored " + value +
                                 "-endian; vidx reads little-endian checkpoints");
    }
  }
  std::string pkl;
  VIDX_RETURN_IF_ERROR(ReadEntry(zip, zip.entries.at(prefix + "data.pkl"), path, &pkl));
  PickleOptions po;
  po.allowed_globals = TorchPickleGlobals();
  auto pickle = ReadPickle(reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size(), po,
                           path + " (" + prefix + "data.pkl)");
  if (!pickle.ok()) return pickle.status();
  const Pickle& p = *pickle;

  StateDictReader reader(p, zip, f->bytes_, path, prefix);
  size_t dict = p.root;
  const PickleNode& root = p.at(p.root);
  if (root.kind != Kind::kDict) {
    return Status::Unsupported(path + " holds a " + PickleKindName(root.kind) +
                               ", not a state dict (a dict of tensors)");
  }
  if (!reader.IsTensorDict(p.root)) {
    static const char* kNames[] = {"state_dict", "model", "model_state_dict", "module"};
    std::vector<std::string> found, others;
    for (size_t k = 0; k + 1 < root.items.size(); k += 2) {
      const std::string key = KeyOf(p, root.items[k]);
      const bool named = std::find(std::begin(kNames), std::end(kNames), key) != std::end(kNames);
      if (named && reader.IsTensorDict(root.items[k + 1])) {
        found.push_back(key);
        dict = root.items[k + 1];
      } else {
        others.push_back(key.empty() ? std::string("(a key that is not a string)") : key);
      }
    }
    if (found.size() != 1) {
      std::string names;
      for (const auto& n : (found.empty() ? others : found))
        names += (names.empty() ? "" : ", ") + n;
      if (found.empty()) {
        return Status::Unsupported(
            path + " holds no state dict: its top level is a dict of non-tensor entries (" + names +
            ") and none of state_dict, model, model_state_dict, module is a dict of "
            "tensors");
      }
      return Status::Unsupported(path + " holds several state dicts (" + names +
                                 "); save the one to use on its own");
    }
    std::string note = "tensors taken from the entry \"" + found[0] + "\" of the saved dict";
    if (!others.empty()) {
      std::string names;
      for (const auto& n : others) names += (names.empty() ? "" : ", ") + n;
      note += "; entries ignored: " + names;
    }
    f->layout_.push_back(path + ": " + note);
  }

  const PickleNode& sd = p.at(dict);
  std::vector<std::pair<std::string, size_t>> entries;
  bool all_module = true;
  for (size_t k = 0; k + 1 < sd.items.size(); k += 2) {
    const PickleNode& key = p.at(sd.items[k]);
    if (key.kind != Kind::kString) {
      return Status::Unsupported(path + ": the state dict has a " + PickleKindName(key.kind) +
                                 " key; tensor names must be strings");
    }
    if (!reader.IsTensor(sd.items[k + 1])) {
      return Status::Unsupported(path + ": state dict entry " + key.s + " is a " +
                                 PickleKindName(p.at(sd.items[k + 1]).kind) + ", not a tensor");
    }
    all_module = all_module && key.s.rfind("module.", 0) == 0;
    entries.emplace_back(key.s, sd.items[k + 1]);
  }
  const std::string strip = all_module && !entries.empty() ? "module." : "";
  if (!strip.empty()) {
    f->layout_.push_back(path +
                         ": every key starts with \"module.\" (torch.nn.DataParallel); the "
                         "prefix was removed");
  }
  for (const auto& [name, node] : entries) {
    const std::string key = name.substr(strip.size());
    TensorView view;
    VIDX_RETURN_IF_ERROR(reader.Tensor(node, name, &view));
    view.name = key;
    if (!f->tensors_.emplace(key, std::move(view)).second) {
      return Status::Corruption(path + ": tensor " + key + " appears twice");
    }
  }
  return f;
}

}  // namespace vidx
