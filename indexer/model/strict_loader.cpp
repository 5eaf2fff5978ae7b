#include "indexer/model/strict_loader.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <set>

namespace vidx {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

bool ToScalarType(DType d, c10::ScalarType* out) {
  switch (d) {
    case DType::kF64:
      *out = torch::kFloat64;
      return true;
    case DType::kF32:
      *out = torch::kFloat32;
      return true;
    case DType::kF16:
      *out = torch::kFloat16;
      return true;
    case DType::kBF16:
      *out = torch::kBFloat16;
      return true;
    case DType::kI64:
      *out = torch::kInt64;
      return true;
    case DType::kI32:
      *out = torch::kInt32;
      return true;
    default:
      return false;
  }
}

const char* ScalarName(c10::ScalarType t) {
  switch (t) {
    case torch::kFloat64:
      return "F64";
    case torch::kFloat32:
      return "F32";
    case torch::kFloat16:
      return "F16";
    case torch::kBFloat16:
      return "BF16";
    case torch::kInt64:
      return "I64";
    case torch::kInt32:
      return "I32";
    default:
      return "?";
  }
}

bool IsFloat(DType d) {
  return d == DType::kF64 || d == DType::kF32 || d == DType::kF16 || d == DType::kBF16;
}

// A CPU tensor holding a copy of the view (the mapping may be unaligned).
torch::Tensor CopyView(const TensorView& v, c10::ScalarType type) {
  torch::Tensor t = torch::empty(v.shape, torch::TensorOptions().dtype(type));
  if (v.nbytes > 0) std::memcpy(t.data_ptr(), v.data, v.nbytes);
  return t;
}

bool Aligned(const TensorView& v) {
  return reinterpret_cast<uintptr_t>(v.data) % DTypeSize(v.dtype) == 0;
}

// A CPU tensor over the view's bytes: no copy when they are aligned for their dtype (the
// tensor must then not outlive the file, nor be written to), else a copy.
torch::Tensor SourceTensor(const TensorView& v, c10::ScalarType type) {
  if (v.nbytes == 0 || !Aligned(v)) return CopyView(v, type);
  return torch::from_blob(const_cast<uint8_t*>(v.data), v.shape,
                          torch::TensorOptions().dtype(type));
}

// The checkpoint tensor as a model tensor sharing the file's bytes (keeps them alive).
torch::Tensor AliasView(const TensorView& v, const CheckpointFile& file) {
  std::shared_ptr<const void> keep = file.bytes();
  return torch::from_blob(
      const_cast<uint8_t*>(v.data), v.shape, [keep](void*) mutable { keep.reset(); },
      torch::TensorOptions().dtype(torch::kFloat32));
}

// A strided view; copy_ reads it as such (no intermediate contiguous copy).
torch::Tensor ApplyTransform(KeyTransform t, const torch::Tensor& x) {
  switch (t) {
    case KeyTransform::kTranspose:
      return x.t();
    case KeyTransform::kSplitQ:
      return x.chunk(3, 0)[0];
    case KeyTransform::kSplitK:
      return x.chunk(3, 0)[1];
    case KeyTransform::kSplitV:
      return x.chunk(3, 0)[2];
    default:
      return x;
  }
}

bool IsNaNBits(const uint8_t* p) {
  uint32_t bits;
  std::memcpy(&bits, p, 4);
  return (bits & 0x7fffffffu) > 0x7f800000u;  // exponent all ones, mantissa not zero
}

// Whether 1024 floats hold a NaN. A fixed trip count and no early exit let the compiler
// vectorise this at -O2.
bool BlockHasNaN(const uint8_t* p) {
  uint32_t any = 0;
  for (size_t k = 0; k < 1024; ++k) any |= static_cast<uint32_t>(IsNaNBits(p + k * 4));
  return any != 0;
}

// Whether a floating tensor holds a NaN. Contiguous CPU float32 (the common case, and the
// checkpoint-aliasing one) is scanned in place by bit pattern, without allocating a mask.
bool HasNaN(const torch::Tensor& t) {
  if (!t.is_cpu() || t.scalar_type() != torch::kFloat32 || !t.is_contiguous()) {
    return torch::isnan(t).any().item<bool>();
  }
  const uint8_t* p = static_cast<const uint8_t*>(t.data_ptr());
  const size_t n = static_cast<size_t>(t.numel());
  size_t i = 0;
  for (; i + 1024 <= n; i += 1024) {
    if (BlockHasNaN(p + i * 4)) return true;
  }
  for (; i < n; ++i) {
    if (IsNaNBits(p + i * 4)) return true;
  }
  return false;
}

// Checks a legacy position_ids buffer; "" when it is arange(expected_len).
std::string CheckLegacyPositions(const TensorView& v, int64_t expected_len) {
  if (v.dtype != DType::kI64 && v.dtype != DType::kI32) {
    return std::string("has dtype ") + DTypeName(v.dtype) + ", expected an integer arange";
  }
  const bool shape_ok = (v.shape.size() == 1) || (v.shape.size() == 2 && v.shape[0] == 1);
  if (!shape_ok || v.shape.back() != expected_len) {
    return "has shape " + ShapeString(v.shape) + ", expected [1, " + std::to_string(expected_len) +
           "]";
  }
  torch::Tensor t = CopyView(v, v.dtype == DType::kI64 ? torch::kInt64 : torch::kInt32);
  torch::Tensor ref = torch::arange(expected_len, t.options()).view(t.sizes());
  if (!torch::equal(t, ref)) return "does not hold 0..n-1";
  return "";
}

struct Candidate {
  std::string renamed;
  std::string source;
};

std::string Nearest(const std::string& key, const std::vector<Candidate>& pool) {
  size_t best = std::numeric_limits<size_t>::max();
  std::string out;
  for (const auto& c : pool) {
    const size_t d = EditDistance(key, c.renamed);
    if (d < best) {
      best = d;
      out = c.source;
    }
  }
  return out;
}

Status DoLoad(torch::nn::Module& module, const std::vector<const CheckpointFile*>& files,
              const StrictLoadOptions& options, LoadReport* report) {
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> model;
  for (const auto& p : module.named_parameters(true)) model[p.key()] = p.value();
  for (const auto& b : module.named_buffers(true)) model[b.key()] = b.value();
  for (const auto& p : module.named_parameters(true)) {
    report->model_tensors.push_back({p.key(), p.value().sizes().vec()});
  }
  for (const auto& b : module.named_buffers(true)) {
    report->model_tensors.push_back({b.key(), b.value().sizes().vec()});
  }

  std::map<std::string, const TensorView*> views;
  std::map<const TensorView*, const CheckpointFile*> file_of;
  for (const CheckpointFile* f : files) {
    if (!report->checkpoint.empty()) report->checkpoint += ", ";
    report->checkpoint += f->path();
    for (const auto& note : f->layout()) report->layout.push_back(note);
    for (const auto& [name, view] : f->tensors()) {
      file_of[&view] = f;
      if (!views.emplace(name, &view).second) {
        report->errors.push_back("tensor " + name + " appears in more than one checkpoint file");
      }
    }
  }
  std::vector<std::string> keys;
  keys.reserve(views.size());
  for (const auto& kv : views) {
    keys.push_back(kv.first);
    report->checkpoint_tensors.push_back({kv.first, kv.second->shape});
  }
  auto mapped = MapCheckpointKeys(options.key_map, keys);
  if (!mapped.ok()) return mapped.status();

  struct Plan {
    torch::Tensor* target;
    const MappedKey* key;
    const TensorView* view;
    bool alias;  // the target takes the checkpoint's bytes as its storage
  };
  std::vector<Plan> plans;
  std::set<std::string> filled;
  std::set<std::string> unexpected_sources;
  std::vector<Candidate> unused;
  for (const MappedKey& m : *mapped) {
    const TensorView& v = *views.at(m.source);
    if (m.transform == KeyTransform::kLegacyPositionIds) {
      const std::string tower = m.target.substr(0, m.target.find('.'));
      auto pe = model.find(tower + ".embeddings.position_embedding.weight");
      const int64_t len = pe == model.end() ? -1 : pe->second.size(0);
      const std::string problem = CheckLegacyPositions(v, len);
      if (problem.empty()) {
        report->legacy_dropped.push_back(m.source);
      } else {
        report->errors.push_back("legacy buffer " + m.source + " " + problem);
      }
      continue;
    }
    auto it = model.find(m.target);
    if (it == model.end()) {
      bool ignore = false;
      for (const auto& g : options.ignore_unexpected) {
        ignore = ignore || GlobMatch(g, m.source) || GlobMatch(g, m.target);
      }
      if (!unexpected_sources.insert(m.source).second) continue;  // split entries: once
      (ignore ? report->ignored : report->unexpected).push_back(m.source);
      if (!ignore) unused.push_back({m.target, m.source});
      continue;
    }
    if (!filled.insert(m.target).second) {
      report->duplicated.push_back(m.target);
      continue;
    }
    const torch::Tensor& param = it->second;
    const std::vector<int64_t> expected(param.sizes().begin(), param.sizes().end());
    std::vector<int64_t> found;
    if (!ShapeAfterTransform(m.transform, v.shape, &found)) {
      report->mismatched.push_back(
          {m.target, m.source, ShapeString(expected),
           ShapeString(v.shape) + " (cannot " + KeyTransformName(m.transform) + ")"});
      continue;
    }
    if (found != expected) {
      report->mismatched.push_back({m.target, m.source, ShapeString(expected), ShapeString(found)});
      continue;
    }
    c10::ScalarType src_type;
    if (!ToScalarType(v.dtype, &src_type) || (param.is_floating_point() && !IsFloat(v.dtype))) {
      report->errors.push_back("tensor " + m.source + " has dtype " + DTypeName(v.dtype) +
                               ", which cannot fill " + m.target + " (" +
                               ScalarName(param.scalar_type()) + ")");
      continue;
    }
    if (src_type != param.scalar_type()) {
      report->conversions.push_back(
          {m.target, DTypeName(v.dtype), ScalarName(param.scalar_type())});
    }
    const bool alias = options.alias_checkpoint && m.transform == KeyTransform::kIdentity &&
                       v.dtype == DType::kF32 && param.scalar_type() == torch::kFloat32 &&
                       param.is_cpu() && v.nbytes > 0 && Aligned(v);
    plans.push_back({&it->second, &m, &v, alias});
  }
  std::vector<Candidate> pool = unused;  // suggest among unused keys, else among all
  if (pool.empty()) {
    for (const auto& m : *mapped) pool.push_back({m.target, m.source});
  }
  for (const auto& [name, t] : model) {
    if (!filled.count(name)) report->missing.push_back({name, Nearest(name, pool)});
  }
  if (!report->ok()) return Status::Ok();  // caller turns the report into a Status

  // Every floating tensor that is not about to be replaced by the checkpoint's bytes starts as
  // NaN, so that whatever the copies below fail to fill is caught by the NaN check.
  std::set<const torch::Tensor*> aliased;
  bool prefetch = false;
  for (const Plan& p : plans) {
    if (p.alias) {
      aliased.insert(p.target);
      prefetch = true;
    }
  }
  for (auto& [name, t] : model) {
    if (t.is_floating_point() && !aliased.count(&t)) {
      t.fill_(std::numeric_limits<double>::quiet_NaN());
    }
  }
  if (prefetch) {
    for (const CheckpointFile* f : files) f->Prefetch();
  }
  for (const Plan& p : plans) {
    if (p.alias) {
      p.target->set_data(AliasView(*p.view, *file_of.at(p.view)));
      continue;
    }
    c10::ScalarType src_type = torch::kFloat32;
    ToScalarType(p.view->dtype, &src_type);
    p.target->copy_(ApplyTransform(p.key->transform, SourceTensor(*p.view, src_type)));
  }
  for (const auto& [name, t] : model) {
    if (t.is_floating_point() && HasNaN(t)) report->nan.push_back(name);
  }
  return Status::Ok();
}

}  // namespace

Status StrictLoad(torch::nn::Module& module, const std::vector<const CheckpointFile*>& files,
                  const StrictLoadOptions& options, LoadReport* report) {
  try {
    VIDX_RETURN_IF_ERROR(DoLoad(module, files, options, report));
  } catch (const std::exception& e) {  // c10::Error derives from std::exception
    return Status::Internal(std::string("loading the checkpoint failed in LibTorch: ") + e.what());
  }
  if (report->ok()) return Status::Ok();
  std::string summary = "checkpoint " + report->checkpoint + " does not match the model (" +
                        std::to_string(report->missing.size()) + " missing, " +
                        std::to_string(report->unexpected.size()) + " unexpected, " +
                        std::to_string(report->mismatched.size()) + " shape mismatches, " +
                        std::to_string(report->nan.size()) + " with NaN, " +
                        std::to_string(report->duplicated.size() + report->errors.size()) +
                        " other)";
  auto first = [](const std::vector<std::string>& v) { return v.empty() ? "" : v.front(); };
  if (!report->missing.empty()) summary += "; first missing: " + report->missing.front().key;
  if (!report->unexpected.empty()) summary += "; first unexpected: " + first(report->unexpected);
  if (!report->mismatched.empty()) summary += "; first mismatch: " + report->mismatched.front().key;
  if (!report->nan.empty()) summary += "; NaN in: " + first(report->nan);
  if (!report->errors.empty()) summary += "; " + first(report->errors);
  return Status::FailedPrecondition(summary);
}

}  // namespace vidx
