// ReadPickle: a restricted reader for the Python pickles inside PyTorch checkpoints
// (docs/model-formats.md, "PyTorch checkpoints"). It builds a tree of plain values and never
// runs anything: there is no Python here, and a global the caller did not allow refuses the
// whole pickle.
//
// Opcodes read: those protocols 2 to 5 use for containers, numbers, strings and calls
// (PROTO, FRAME, STOP, MARK, POP, POP_MARK, the memo ops BINPUT/LONG_BINPUT/MEMOIZE/BINGET/
// LONG_BINGET, NONE, NEWTRUE/NEWFALSE, BININT/BININT1/BININT2/LONG1, BINFLOAT, the unicode,
// string and bytes ops, EMPTY_TUPLE/TUPLE/TUPLE1..3, EMPTY_LIST/LIST/APPEND/APPENDS,
// EMPTY_DICT/DICT/SETITEM/SETITEMS, GLOBAL/STACK_GLOBAL, REDUCE, BUILD, BINPERSID).
// Any other opcode (INST, OBJ, NEWOBJ, EXT*, text-mode ops, ...) is refused as kUnsupported.
//
// Globals: GLOBAL and STACK_GLOBAL must name one of `allowed_globals` ("module.name", e.g.
// "collections.OrderedDict"); any other name is refused at once with kUnsupported and a
// message naming it ("... names the global posix.system ..."). An allowed global becomes a
// kGlobal node; REDUCE of a global with its argument tuple becomes a kCall node (nothing is
// called: the caller interprets it), except collections.OrderedDict(), which becomes an empty
// kDict. BUILD is accepted on a dict only (PyTorch stores a state dict's `_metadata` that
// way) and drops the state. BINPERSID becomes a kPersistentId node over the id's value.
//
// Limits: at most `max_nodes` values; integers must fit in int64. Malformed input (truncated
// data, stack underflow, a memo index never set, an APPEND to something not a list, a missing
// STOP) is kCorruption naming `name` and the byte offset. Never a crash, never a read out of
// bounds; shared and even cyclic structures (the memo) are just node indices.
//
// Thread-safety: pure function; a Pickle is an immutable value.
#ifndef VIDX_INDEXER_MODEL_PICKLE_READER_H_
#define VIDX_INDEXER_MODEL_PICKLE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace vidx {

struct PickleNode {
  enum class Kind {
    kNone,
    kBool,          // i is 0 or 1
    kInt,           // i
    kFloat,         // f
    kString,        // s (UTF-8 as written)
    kBytes,         // s
    kTuple,         // items
    kList,          // items
    kDict,          // items: key0, value0, key1, value1, ... in insertion order
    kGlobal,        // s: "module.name"
    kCall,          // items: [callable (a kGlobal), arguments (a kTuple)]
    kPersistentId,  // items: [the persistent id's value]
  };
  Kind kind = Kind::kNone;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<size_t> items;  // node indices
};

const char* PickleKindName(PickleNode::Kind kind);  // "none", "int", "dict", ...

struct Pickle {
  std::vector<PickleNode> nodes;
  size_t root = 0;
  const PickleNode& at(size_t index) const { return nodes[index]; }
};

struct PickleOptions {
  std::vector<std::string> allowed_globals;  // "module.name"
  size_t max_nodes = size_t{1} << 24;
};

StatusOr<Pickle> ReadPickle(const uint8_t* data, size_t size, const PickleOptions& options,
                            const std::string& name);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_PICKLE_READER_H_
