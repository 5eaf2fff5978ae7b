#include "indexer/model/pickle_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "indexer/model/torch_checkpoint.h"

namespace vidx {
namespace {

StatusOr<Pickle> Read(const std::string& bytes, std::vector<std::string> allowed = {}) {
  PickleOptions o;
  o.allowed_globals = std::move(allowed);
  return ReadPickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), o, "t.pkl");
}

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(PickleReaderTest, ReadsContainersNumbersAndStrings) {
  // {"a": [1, -2, 300, 70000, 2**40], "b": (True, None, 1.5, b"xy")}, protocol 2.
  std::string p = Bytes({0x80, 2, '}', 'q', 0, '('}) + "X" + Bytes({1, 0, 0, 0}) + "a" + "]" + "(" +
                  Bytes({'K',  1, 'J', 0xfe, 0xff, 0xff, 0xff, 'M', 0x2c, 1, 'J', 0x70,
                         0x11, 1, 0,   0x8a, 6,    0,    0,    0,   0,    0, 1}) +
                  "e" + Bytes({0x8c, 1}) + "b" +
                  Bytes({'(', 0x88, 'N', 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}) + Bytes({'C', 2}) +
                  "xy" + Bytes({'t', 'u', '.'});
  auto r = Read(p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PickleNode& root = r->at(r->root);
  ASSERT_EQ(root.kind, PickleNode::Kind::kDict);
  ASSERT_EQ(root.items.size(), 4u);
  EXPECT_EQ(r->at(root.items[0]).s, "a");
  const PickleNode& list = r->at(root.items[1]);
  ASSERT_EQ(list.items.size(), 5u);
  EXPECT_EQ(r->at(list.items[0]).i, 1);
  EXPECT_EQ(r->at(list.items[1]).i, -2);
  EXPECT_EQ(r->at(list.items[2]).i, 300);
  EXPECT_EQ(r->at(list.items[3]).i, 70000);
  EXPECT_EQ(r->at(list.items[4]).i, int64_t{1} << 40);
  const PickleNode& tuple = r->at(root.items[3]);
  ASSERT_EQ(tuple.kind, PickleNode::Kind::kTuple);
  ASSERT_EQ(tuple.items.size(), 4u);
  EXPECT_EQ(r->at(tuple.items[0]).i, 1);
  EXPECT_EQ(r->at(tuple.items[1]).kind, PickleNode::Kind::kNone);
  EXPECT_EQ(r->at(tuple.items[2]).f, 1.5);
  EXPECT_EQ(r->at(tuple.items[3]).s, "xy");
}

TEST(PickleReaderTest, RefusesAGlobalThatIsNotAllowedAndNamesIt) {
  // os.system("touch x") as pickle writes it on Linux: GLOBAL posix system, REDUCE.
  const std::string p =
      Bytes({0x80, 2}) + "cposix\nsystem\nq\x00X" + Bytes({7, 0, 0, 0}) + "touch x\x85R.";
  auto r = Read(p, TorchPickleGlobals());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("posix.system"), std::string::npos) << r.status().message();
  // The same through STACK_GLOBAL (protocol 4) naming builtins.eval.
  const std::string q = Bytes({0x80, 4, 0x8c, 8}) + "builtins" + Bytes({0x8c, 4}) + "eval" +
                        Bytes({0x93, 0x8c, 1}) + "1" + Bytes({0x85, 'R', '.'});
  r = Read(q, TorchPickleGlobals());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("builtins.eval"), std::string::npos) << r.status().message();
}

TEST(PickleReaderTest, OrderedDictCallBecomesADictAndOtherCallsStayCalls) {
  const std::string p = Bytes({0x80, 2}) + "ccollections\nOrderedDict\n)R" + "X" +
                        Bytes({1, 0, 0, 0}) + "k" + "ctorch._utils\n_rebuild_tensor_v2\n)Rs.";
  auto r = Read(p, TorchPickleGlobals());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PickleNode& root = r->at(r->root);
  ASSERT_EQ(root.kind, PickleNode::Kind::kDict);
  ASSERT_EQ(root.items.size(), 2u);
  const PickleNode& call = r->at(root.items[1]);
  ASSERT_EQ(call.kind, PickleNode::Kind::kCall);
  EXPECT_EQ(r->at(call.items[0]).s, "torch._utils._rebuild_tensor_v2");
}

TEST(PickleReaderTest, MalformedInputIsCorruptionNotACrash) {
  for (const std::string& p :
       {std::string(), Bytes({0x80, 2}), Bytes({0x80, 2, 'X', 9, 0, 0, 0}),
        Bytes({0x80, 2, 's', '.'}), Bytes({0x80, 2, 'h', 5, '.'}), Bytes({0x80, 2, 'N', 'N', '.'}),
        Bytes({0x80, 2, ']', 'N', 's', '.'}), Bytes({0x80, 2, 't', '.'}),
        Bytes({0x80, 2, 0x8a, 9, '.'})}) {
    auto r = Read(p);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  }
  auto r = Read(Bytes({0x80, 2, 'i', '.'}));  // INST: not read
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
}

TEST(PickleReaderTest, CyclesThroughTheMemoAreJustIndices) {
  // l = []; l.append(l)
  auto r = Read(Bytes({0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.'}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PickleNode& root = r->at(r->root);
  ASSERT_EQ(root.items.size(), 1u);
  EXPECT_EQ(root.items[0], r->root);
}

TEST(PickleReaderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  const std::string alphabet =
      Bytes({0x80, 2,   '(', 't', ')', ']',  '}',  'a',  'e',  's', 'u',  'q',  'h', 'K', 'X',
             'N',  'R', 'b', 'Q', '.', 0x85, 0x86, 0x93, 0x8c, 'c', '\n', 0x94, 1,   0});
  for (int n = 0; n < 20000; ++n) {
    std::string p = Bytes({0x80, 2});
    const int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) p.push_back(alphabet[rng() % alphabet.size()]);
    (void)Read(p, TorchPickleGlobals());
  }
}

}  // namespace
}  // namespace vidx
