#include "indexer/model/pickle_reader.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

namespace vidx {
namespace {

using Kind = PickleNode::Kind;

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const PickleOptions& options, const std::string& name)
      : data_(data), size_(size), options_(options), name_(name) {}

  StatusOr<Pickle> Run() {
    while (true) {
      if (pos_ >= size_) return Corrupt("ends without a STOP opcode");
      op_pos_ = pos_;
      const uint8_t op = data_[pos_++];
      if (op == '.') break;
      VIDX_RETURN_IF_ERROR(Step(op));
    }
    if (stack_.size() != 1 || !marks_.empty()) {
      return Corrupt("leaves " + std::to_string(stack_.size()) + " values on the stack at STOP");
    }
    out_.root = stack_.back();
    return std::move(out_);
  }

 private:
  Status Corrupt(const std::string& what) const {
    return Status::Corruption(name_ + ": the pickle " + what + " (at byte " +
                              std::to_string(op_pos_) + ")");
  }

  Status Take(size_t n, const uint8_t** p) {
    if (n > size_ - pos_) return Corrupt("is truncated");
    *p = data_ + pos_;
    pos_ += n;
    return Status::Ok();
  }

  Status ReadUint(size_t n, uint64_t* v) {
    const uint8_t* p = nullptr;
    VIDX_RETURN_IF_ERROR(Take(n, &p));
    *v = 0;
    for (size_t k = 0; k < n; ++k) *v |= static_cast<uint64_t>(p[k]) << (8 * k);
    return Status::Ok();
  }

  // Pushes a new node and returns its index through `index` (may be null).
  Status Push(PickleNode node, size_t* index = nullptr) {
    if (out_.nodes.size() >= options_.max_nodes) {
      return Corrupt("holds more than " + std::to_string(options_.max_nodes) + " values");
    }
    out_.nodes.push_back(std::move(node));
    stack_.push_back(out_.nodes.size() - 1);
    if (index != nullptr) *index = out_.nodes.size() - 1;
    return Status::Ok();
  }

  Status PushKind(Kind kind) {
    PickleNode n;
    n.kind = kind;
    return Push(std::move(n));
  }

  Status Pop(size_t* index) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return Corrupt("pops from an empty stack");
    }
    *index = stack_.back();
    stack_.pop_back();
    return Status::Ok();
  }

  // The values above the last MARK, which is removed.
  Status PopMark(std::vector<size_t>* items) {
    if (marks_.empty()) return Corrupt("uses a MARK that was never set");
    const size_t m = marks_.back();
    marks_.pop_back();
    items->assign(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return Status::Ok();
  }

  Status Top(size_t* index) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return Corrupt("needs a value on an empty stack");
    }
    *index = stack_.back();
    return Status::Ok();
  }

  Status PushString(size_t len_bytes, Kind kind) {
    uint64_t len = 0;
    VIDX_RETURN_IF_ERROR(ReadUint(len_bytes, &len));
    if (len > size_ - pos_) return Corrupt("is truncated");
    const uint8_t* p = nullptr;
    VIDX_RETURN_IF_ERROR(Take(static_cast<size_t>(len), &p));
    PickleNode n;
    n.kind = kind;
    n.s.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    return Push(std::move(n));
  }

  Status PushInt(int64_t v) {
    PickleNode n;
    n.kind = Kind::kInt;
    n.i = v;
    return Push(std::move(n));
  }

  Status PushLong(size_t len_bytes) {
    uint64_t len = 0;
    VIDX_RETURN_IF_ERROR(ReadUint(len_bytes, &len));
    if (len > 8) return Corrupt("holds an integer of " + std::to_string(len) + " bytes");
    uint64_t v = 0;
    VIDX_RETURN_IF_ERROR(ReadUint(static_cast<size_t>(len), &v));
    if (len > 0 && len < 8 && (v >> (8 * len - 1)) & 1) v |= ~uint64_t{0} << (8 * len);
    int64_t s = 0;
    std::memcpy(&s, &v, sizeof s);
    return PushInt(s);
  }

  Status PushTuple(std::vector<size_t> items) {
    PickleNode n;
    n.kind = Kind::kTuple;
    n.items = std::move(items);
    return Push(std::move(n));
  }

  Status Memo(uint64_t key) {
    size_t top = 0;
    VIDX_RETURN_IF_ERROR(Top(&top));
    memo_[key] = top;
    return Status::Ok();
  }

  Status Get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end())
      return Corrupt("reads memo entry " + std::to_string(key) + ", never set");
    stack_.push_back(it->second);
    return Status::Ok();
  }

  Status Global(std::string module, std::string name) {
    const std::string full = module + "." + name;
    const auto& allowed = options_.allowed_globals;
    if (std::find(allowed.begin(), allowed.end(), full) == allowed.end()) {
      return Status::Unsupported(name_ + ": the pickle names the global " + full +
                                 ", which is not a tensor-rebuilding function or a plain "
                                 "container; the file is refused and nothing in it was run");
    }
    PickleNode n;
    n.kind = Kind::kGlobal;
    n.s = full;
    return Push(std::move(n));
  }

  Status ReadLine(std::string* line) {
    const uint8_t* begin = data_ + pos_;
    const void* nl = std::memchr(begin, '\n', size_ - pos_);
    if (nl == nullptr) return Corrupt("is truncated in a GLOBAL");
    const size_t len = static_cast<size_t>(static_cast<const uint8_t*>(nl) - begin);
    line->assign(reinterpret_cast<const char*>(begin), len);
    pos_ += len + 1;
    return Status::Ok();
  }

  Status AddItems(size_t target, const std::vector<size_t>& items, Kind want, const char* op) {
    PickleNode& t = out_.nodes[target];
    if (t.kind != want) {
      return Corrupt(std::string("applies ") + op + " to a " + PickleKindName(t.kind));
    }
    if (want == Kind::kDict && items.size() % 2 != 0) {
      return Corrupt(std::string("gives ") + op + " an odd number of values");
    }
    t.items.insert(t.items.end(), items.begin(), items.end());
    return Status::Ok();
  }

  Status Step(uint8_t op) {
    uint64_t v = 0;
    size_t a = 0, b = 0;
    std::vector<size_t> items;
    switch (op) {
      case 0x80:  // PROTO
        VIDX_RETURN_IF_ERROR(ReadUint(1, &v));
        if (v < 2 || v > 5)
          return Status::Unsupported(name_ + ": pickle protocol " + std::to_string(v) +
                                     " is not read");
        return Status::Ok();
      case 0x95:  // FRAME: a length hint only
        return ReadUint(8, &v);
      case '(':
        marks_.push_back(stack_.size());
        return Status::Ok();
      case '0':
        return Pop(&a);
      case '1':
        return PopMark(&items);
      case 'q':
        VIDX_RETURN_IF_ERROR(ReadUint(1, &v));
        return Memo(v);
      case 'r':
        VIDX_RETURN_IF_ERROR(ReadUint(4, &v));
        return Memo(v);
      case 0x94:  // MEMOIZE
        return Memo(memo_.size());
      case 'h':
        VIDX_RETURN_IF_ERROR(ReadUint(1, &v));
        return Get(v);
      case 'j':
        VIDX_RETURN_IF_ERROR(ReadUint(4, &v));
        return Get(v);
      case 'N':
        return PushKind(Kind::kNone);
      case 0x88:
      case 0x89: {
        PickleNode n;
        n.kind = Kind::kBool;
        n.i = op == 0x88 ? 1 : 0;
        return Push(std::move(n));
      }
      case 'J': {
        VIDX_RETURN_IF_ERROR(ReadUint(4, &v));
        return PushInt(static_cast<int32_t>(static_cast<uint32_t>(v)));
      }
      case 'K':
        VIDX_RETURN_IF_ERROR(ReadUint(1, &v));
        return PushInt(static_cast<int64_t>(v));
      case 'M':
        VIDX_RETURN_IF_ERROR(ReadUint(2, &v));
        return PushInt(static_cast<int64_t>(v));
      case 0x8a:
        return PushLong(1);
      case 0x8b:
        return PushLong(4);
      case 'G': {
        const uint8_t* p = nullptr;
        VIDX_RETURN_IF_ERROR(Take(8, &p));
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | p[k];  // big-endian
        PickleNode n;
        n.kind = Kind::kFloat;
        std::memcpy(&n.f, &bits, sizeof bits);
        return Push(std::move(n));
      }
      case 0x8c:
        return PushString(1, Kind::kString);
      case 'X':
        return PushString(4, Kind::kString);
      case 0x8d:
        return PushString(8, Kind::kString);
      case 'U':
        return PushString(1, Kind::kString);
      case 'T':
        return PushString(4, Kind::kString);
      case 'C':
        return PushString(1, Kind::kBytes);
      case 'B':
        return PushString(4, Kind::kBytes);
      case 0x8e:
        return PushString(8, Kind::kBytes);
      case ')':
        return PushTuple({});
      case 't':
        VIDX_RETURN_IF_ERROR(PopMark(&items));
        return PushTuple(std::move(items));
      case 0x85:
      case 0x86:
      case 0x87: {
        items.resize(static_cast<size_t>(op - 0x84));
        for (size_t k = items.size(); k-- > 0;) VIDX_RETURN_IF_ERROR(Pop(&items[k]));
        return PushTuple(std::move(items));
      }
      case ']':
        return PushKind(Kind::kList);
      case '}':
        return PushKind(Kind::kDict);
      case 'l':
      case 'd': {
        VIDX_RETURN_IF_ERROR(PopMark(&items));
        const Kind kind = op == 'l' ? Kind::kList : Kind::kDict;
        VIDX_RETURN_IF_ERROR(PushKind(kind));
        return AddItems(stack_.back(), items, kind, op == 'l' ? "LIST" : "DICT");
      }
      case 'a':
        VIDX_RETURN_IF_ERROR(Pop(&a));
        VIDX_RETURN_IF_ERROR(Top(&b));
        return AddItems(b, {a}, Kind::kList, "APPEND");
      case 'e':
        VIDX_RETURN_IF_ERROR(PopMark(&items));
        VIDX_RETURN_IF_ERROR(Top(&b));
        return AddItems(b, items, Kind::kList, "APPENDS");
      case 's': {
        size_t key = 0;
        VIDX_RETURN_IF_ERROR(Pop(&a));
        VIDX_RETURN_IF_ERROR(Pop(&key));
        VIDX_RETURN_IF_ERROR(Top(&b));
        return AddItems(b, {key, a}, Kind::kDict, "SETITEM");
      }
      case 'u':
        VIDX_RETURN_IF_ERROR(PopMark(&items));
        VIDX_RETURN_IF_ERROR(Top(&b));
        return AddItems(b, items, Kind::kDict, "SETITEMS");
      case 'c': {
        std::string module, name;
        VIDX_RETURN_IF_ERROR(ReadLine(&module));
        VIDX_RETURN_IF_ERROR(ReadLine(&name));
        return Global(std::move(module), std::move(name));
      }
      case 0x93: {  // STACK_GLOBAL
        VIDX_RETURN_IF_ERROR(Pop(&b));
        VIDX_RETURN_IF_ERROR(Pop(&a));
        if (out_.nodes[a].kind != Kind::kString || out_.nodes[b].kind != Kind::kString) {
          return Corrupt("gives STACK_GLOBAL a name that is not a string");
        }
        return Global(out_.nodes[a].s, out_.nodes[b].s);
      }
      case 'R': {
        VIDX_RETURN_IF_ERROR(Pop(&b));
        VIDX_RETURN_IF_ERROR(Pop(&a));
        if (out_.nodes[a].kind != Kind::kGlobal || out_.nodes[b].kind != Kind::kTuple) {
          return Corrupt("calls something that is not an allowed global with a tuple");
        }
        if (out_.nodes[a].s == "collections.OrderedDict") {
          if (!out_.nodes[b].items.empty()) return Corrupt("calls OrderedDict with arguments");
          return PushKind(Kind::kDict);
        }
        PickleNode n;
        n.kind = Kind::kCall;
        n.items = {a, b};
        return Push(std::move(n));
      }
      case 'b':
        VIDX_RETURN_IF_ERROR(Pop(&a));
        VIDX_RETURN_IF_ERROR(Top(&b));
        if (out_.nodes[b].kind != Kind::kDict) {
          return Status::Unsupported(name_ + ": the pickle sets the state of a " +
                                     PickleKindName(out_.nodes[b].kind) +
                                     " (BUILD), which only a dict may have here");
        }
        return Status::Ok();
      case 'Q': {
        VIDX_RETURN_IF_ERROR(Pop(&a));
        PickleNode n;
        n.kind = Kind::kPersistentId;
        n.items = {a};
        return Push(std::move(n));
      }
      default: {
        static const char kHex[] = "0123456789abcdef";
        std::string hex = "0x";
        hex += kHex[op >> 4];
        hex += kHex[op & 15];
        return Status::Unsupported(name_ + ": the pickle uses opcode " + hex + " at byte " +
                                   std::to_string(op_pos_) +
                                   ", which a PyTorch state dict does not need; refused");
      }
    }
  }

  const uint8_t* data_;
  size_t size_;
  const PickleOptions& options_;
  const std::string& name_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  std::vector<size_t> stack_;
  std::vector<size_t> marks_;  // stack sizes at each MARK
  std::unordered_map<uint64_t, size_t> memo_;
  Pickle out_;
};

}  // namespace

const char* PickleKindName(PickleNode::Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kGlobal:
      return "global";
    case Kind::kCall:
      return "call";
    case Kind::kPersistentId:
      return "persistent id";
  }
  return "?";
}

StatusOr<Pickle> ReadPickle(const uint8_t* data, size_t size, const PickleOptions& options,
                            const std::string& name) {
  if (data == nullptr && size > 0) return Status::InvalidArgument(name + ": no data");
  Reader reader(data, size, options, name);
  return reader.Run();
}

}  // namespace vidx
