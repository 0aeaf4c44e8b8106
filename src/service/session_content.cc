#include "service/session_content.h"

#include <string_view>

#include "crypto/hash.h"
#include "lwe/fhe_type.h"
#include "mpc/dkg.h"

namespace kms::service {
namespace {

using crypto::SessionOperation;

Bytes Number(uint64_t v) {
  Bytes out;
  AppendU64Le(out, v);
  return out;
}

Bytes IdElement(const Id32& id) { return Bytes(id.begin(), id.end()); }

void AppendName(Bytes& out, std::string_view name) {
  AppendU64Le(out, name.size());
  out.insert(out.end(), name.begin(), name.end());
}

Bytes Name(std::string_view name) {
  Bytes out;
  AppendName(out, name);
  return out;
}

Bytes CiphertextElement(const lwe::TypedCiphertext& ct) {
  Bytes out;
  out.reserve(64 + 16 * (ct.list.mask.size() + ct.list.bodies.size()));
  AppendName(out, lwe::FheTypeName(ct.type));
  AppendName(out, ct.list.params != nullptr ? std::string_view(ct.list.params->name) : "");
  AppendU64Le(out, ct.list.mask.size());
  for (algebra::Z128 c : ct.list.mask) AppendU128Le(out, c);
  AppendU64Le(out, ct.list.bodies.size());
  for (algebra::Z128 b : ct.list.bodies) AppendU128Le(out, b);
  return out;
}

// HashList("SESS_CNT", [u64le(operation), elements...]).
crypto::Digest ContentDigest(SessionOperation operation, std::vector<Bytes> elements) {
  elements.insert(elements.begin(), Number(static_cast<uint64_t>(operation)));
  return crypto::HashList(crypto::kDsepSessionContent, std::span<const Bytes>(elements));
}

}  // namespace

mpc::DkgMaterialCounts PreprocessingLayout::totals() const {
  mpc::DkgMaterialCounts sum;
  for (const mpc::DkgMaterialCounts& lane : lanes) {
    sum.bits += lane.bits;
    sum.triples += lane.triples;
    sum.randoms += lane.randoms;
  }
  return sum;
}

std::vector<PreprocessingChunkSpec> PreprocessingLayout::Chunks(size_t lane) const {
  std::vector<PreprocessingChunkSpec> out;
  const uint64_t step = batch == 0 ? 1 : batch;
  auto add = [&](mpc::MaterialKind kind, uint64_t total) {
    for (uint64_t done = 0; done < total; done += step) {
      out.push_back({kind, std::min(step, total - done)});
    }
  };
  add(mpc::MaterialKind::kBits, lanes[lane].bits);
  add(mpc::MaterialKind::kTriples, lanes[lane].triples);
  add(mpc::MaterialKind::kRandoms, lanes[lane].randoms);
  return out;
}

uint64_t PreprocessingLayout::ChunkCount(size_t lane) const {
  const uint64_t step = batch == 0 ? 1 : batch;
  auto chunks = [step](uint64_t items) { return items / step + (items % step != 0 ? 1 : 0); };
  return chunks(lanes[lane].bits) + chunks(lanes[lane].triples) + chunks(lanes[lane].randoms);
}

PreprocessingLayout MakePreprocessingLayout(const mpc::DkgMaterialCounts& totals, uint32_t lanes,
                                            uint64_t batch) {
  const uint64_t k = lanes == 0 ? 1 : lanes;
  PreprocessingLayout layout;
  layout.batch = batch;
  for (uint64_t i = 0; i < k; ++i) {
    layout.lanes.push_back({totals.bits / k + (i < totals.bits % k ? 1 : 0),
                            totals.triples / k + (i < totals.triples % k ? 1 : 0),
                            i == 0 ? totals.randoms : 0});
  }
  return layout;
}

uint64_t PreprocessingSessionIndex(size_t lane, uint64_t chunk) {
  return (static_cast<uint64_t>(lane) << 40) | chunk;
}

crypto::SessionDomain PrssInitDomain(const Id32& run_id, const Id32& epoch_id, uint32_t n,
                                     uint32_t t) {
  const SessionOperation op = SessionOperation::kPrssInit;
  return {op, run_id, std::nullopt, ContentDigest(op, {IdElement(epoch_id), Number(n), Number(t)})};
}

crypto::SessionDomain PreprocessingDomain(const Id32& request_id, const ParameterSet& params,
                                          const Id32& epoch_id, const PreprocessingLayout& layout) {
  const SessionOperation op = SessionOperation::kPreprocessing;
  std::vector<Bytes> elements = {Name(params.name()), IdElement(epoch_id), Number(layout.batch),
                                 Number(layout.lanes.size())};
  for (const mpc::DkgMaterialCounts& lane : layout.lanes) {
    Bytes counts;
    AppendU64Le(counts, lane.bits);
    AppendU64Le(counts, lane.triples);
    AppendU64Le(counts, lane.randoms);
    elements.push_back(std::move(counts));
  }
  elements.push_back(Number(layout.attempt));
  return {op, request_id, std::nullopt, ContentDigest(op, std::move(elements))};
}

crypto::SessionDomain KeyGenDomain(const KeyGenSpec& spec) {
  const SessionOperation op =
      spec.insecure ? SessionOperation::kInsecureKeyGen : SessionOperation::kKeyGen;
  return {op, spec.request_id, std::nullopt,
          ContentDigest(op, {Name(spec.params.name()), IdElement(spec.preprocessing_id),
                             IdElement(spec.epoch_id)})};
}

crypto::SessionDomain DecryptionDomain(SessionOperation operation, const Id32& request_id,
                                       const Id32& key_id, const Id32& epoch_id,
                                       std::span<const lwe::TypedCiphertext> ciphertexts) {
  std::vector<Bytes> elements = {IdElement(epoch_id)};
  elements.reserve(1 + ciphertexts.size());
  for (const lwe::TypedCiphertext& ct : ciphertexts) elements.push_back(CiphertextElement(ct));
  return {operation, request_id, key_id, ContentDigest(operation, std::move(elements))};
}

crypto::SessionDomain DecryptionDomain(SessionOperation operation, const Id32& request_id,
                                       const Id32& key_id, const Id32& epoch_id,
                                       std::span<const TfheCiphertext> ciphertexts) {
  std::vector<Bytes> elements = {IdElement(epoch_id)};
  elements.reserve(1 + ciphertexts.size());
  for (const TfheCiphertext& ct : ciphertexts) {
    Bytes element;
    AppendName(element, lwe::FheTypeName(ct.type));
    AppendU64Le(element, static_cast<uint64_t>(ct.format));
    element.insert(element.end(), ct.content.begin(), ct.content.end());
    elements.push_back(std::move(element));
  }
  return {operation, request_id, key_id, ContentDigest(operation, std::move(elements))};
}

}  // namespace kms::service
