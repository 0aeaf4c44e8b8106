#include "mpc/broadcast.h"

#include <algorithm>
#include <array>
#include <vector>

#include "crypto/hash.h"
#include "proto/mpc.pb.h"

namespace kms::mpc {
namespace {

using HashBytes = std::string;  // 32-byte SHAKE256("BRACHABC" || m)

HashBytes HashMessage(const std::string& m) {
  auto d = crypto::HashElement(crypto::kDsepBroadcast, AsBytes(m));
  return HashBytes(reinterpret_cast<const char*>(d.data()), d.size());
}

// Phase-king phases: t - c + 1 non-corrupt kings include an honest one.
int AgreementPhases(int t, int known_corrupt) { return std::max(1, t - known_corrupt + 1); }

// One bit per role 1..n, little-endian within bytes.
class Bitmap {
 public:
  explicit Bitmap(int n) : bytes_((static_cast<size_t>(n) + 7) / 8, '\0') {}
  // A received bitmap: nullopt unless it has exactly the expected size.
  static std::optional<Bitmap> Parse(int n, const std::string& bytes) {
    Bitmap b(n);
    if (bytes.size() != b.bytes_.size()) return std::nullopt;
    b.bytes_ = bytes;
    return b;
  }
  bool Get(Role r) const { return (bytes_[(r - 1) / 8] >> ((r - 1) % 8)) & 1; }
  void Set(Role r, bool v) {
    char& c = bytes_[(r - 1) / 8];
    const char mask = static_cast<char>(1 << ((r - 1) % 8));
    c = v ? static_cast<char>(c | mask) : static_cast<char>(c & ~mask);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// State and rounds of one broadcast at one party.
class BroadcastRun {
 public:
  BroadcastRun(Session& s, std::set<Role> senders)
      : s_(s), n_(s.n()), t_(s.t()), senders_(std::move(senders)) {}

  std::map<Role, std::optional<std::string>> Run(const std::optional<std::string>& my_message) {
    SendAndEcho(my_message);
    Ready();
    Agree();
    return PullPushOutput();
  }

 private:
  // I count my own messages unless I am in the corrupt set (then nobody counts them).
  bool CountMe() const { return !s_.IsCorrupt(s_.my_role()); }
  // The messages of this round from every non-corrupt party, parsed as M; unparsable ones are
  // dropped (they count as missing).
  template <typename M>
  std::map<Role, M> Collect() {
    std::map<Role, M> out;
    for (auto& [from, payload] : s_.net().ReceiveFromAll(s_.HonestOthers())) {
      M msg;
      if (msg.ParseFromString(*payload)) out.emplace(from, std::move(msg));
    }
    s_.net().NextRound();
    return out;
  }
  // Counts (sender -> hash) entries of received hash maps plus mine.
  template <typename M>
  std::map<Role, std::map<HashBytes, int>> CountHashes(const std::map<Role, M>& in,
                                                       const std::map<Role, HashBytes>& mine) {
    std::map<Role, std::map<HashBytes, int>> count;
    if (CountMe())
      for (const auto& [sender, h] : mine) ++count[sender][h];
    for (const auto& [from, msg] : in)
      for (const auto& [sender_u, h] : msg.hashes()) {
        const Role sender = static_cast<Role>(sender_u);
        if (senders_.contains(sender) && h.size() == 32) ++count[sender][h];
      }
    return count;
  }

  // ==== R1: senders send m; R2: echo the hashes of what arrived ====
  void SendAndEcho(const std::optional<std::string>& my_message) {
    const bool sending = senders_.contains(s_.my_role()) && my_message.has_value();
    if (sending) {
      kms::mpc::v1::BroadcastSend msg;
      msg.set_message(*my_message);
      s_.net().SendToAll(net::MakePayload(msg.SerializeAsString()));
    }
    std::set<Role> from;
    for (Role r : senders_)
      if (r != s_.my_role() && !s_.IsCorrupt(r)) from.insert(r);
    for (auto& [sender, payload] : s_.net().ReceiveFromAll(from)) {
      kms::mpc::v1::BroadcastSend msg;
      if (msg.ParseFromString(*payload)) received_[sender] = std::move(*msg.mutable_message());
    }
    if (sending) received_[s_.my_role()] = *my_message;
    s_.net().NextRound();

    kms::mpc::v1::BroadcastEcho echo;
    std::map<Role, HashBytes> mine;
    for (const auto& [sender, m] : received_) {
      mine[sender] = HashMessage(m);
      (*echo.mutable_hashes())[static_cast<uint32_t>(sender)] = mine[sender];
    }
    s_.net().SendToAll(net::MakePayload(echo.SerializeAsString()));
    for (auto& [sender, by_hash] : CountHashes(Collect<kms::mpc::v1::BroadcastEcho>(), mine))
      for (const auto& [h, c] : by_hash)
        if (c >= n_ - t_) echoed_[sender] = h;
    received_hash_ = std::move(mine);
  }

  // ==== R3: report the hashes echoed by n - t parties; derive the agreement's inputs ====
  void Ready() {
    kms::mpc::v1::BroadcastReady ready;
    for (const auto& [sender, h] : echoed_) (*ready.mutable_hashes())[sender] = h;
    s_.net().SendToAll(net::MakePayload(ready.SerializeAsString()));
    for (auto& [sender, by_hash] : CountHashes(Collect<kms::mpc::v1::BroadcastReady>(), echoed_))
      for (const auto& [h, c] : by_hash) {
        if (c >= t_ + 1) candidate_[sender] = h;  // >= one honest report: the unique honest h
        if (c >= n_ - t_) vote_.insert(sender);
      }
  }

  // Sends `bits` (and `defined`, if given) to everyone and collects everyone's.
  std::map<Role, kms::mpc::v1::BroadcastBits> ExchangeBits(const Bitmap& bits,
                                                           const Bitmap* defined) {
    kms::mpc::v1::BroadcastBits out;
    out.set_bits(bits.bytes());
    if (defined) out.set_defined(defined->bytes());
    s_.net().SendToAll(net::MakePayload(out.SerializeAsString()));
    return Collect<kms::mpc::v1::BroadcastBits>();
  }

  // ==== agreement: phase king (n > 3t), every sender at once ====
  void Agree() {
    const int phases = AgreementPhases(t_, static_cast<int>(s_.corrupt().size()));
    std::vector<Role> kings;
    for (Role r : s_.roles())
      if (!s_.IsCorrupt(r) && static_cast<int>(kings.size()) < phases) kings.push_back(r);
    for (Role king : kings) {
      // vote: propose b where >= n - t parties hold b
      Bitmap value(n_);
      for (Role j : senders_) value.Set(j, vote_.contains(j));
      std::map<Role, std::array<int, 2>> votes;
      for (Role j : senders_)
        if (CountMe()) ++votes[j][vote_.contains(j) ? 1 : 0];
      for (const auto& [from, msg] : ExchangeBits(value, nullptr)) {
        auto bits = Bitmap::Parse(n_, msg.bits());
        if (!bits) continue;
        for (Role j : senders_) ++votes[j][bits->Get(j) ? 1 : 0];
      }
      Bitmap proposal(n_), proposed(n_);
      for (Role j : senders_)
        for (int b : {0, 1})
          if (votes[j][b] >= n_ - t_) {
            proposed.Set(j, true);
            proposal.Set(j, b == 1);
          }
      // propose: adopt b with >= t + 1 proposals, keep it for sure with >= n - t
      std::map<Role, std::array<int, 2>> props;
      for (Role j : senders_)
        if (CountMe() && proposed.Get(j)) ++props[j][proposal.Get(j) ? 1 : 0];
      for (const auto& [from, msg] : ExchangeBits(proposal, &proposed)) {
        auto bits = Bitmap::Parse(n_, msg.bits());
        auto defined = Bitmap::Parse(n_, msg.defined());
        if (!bits || !defined) continue;
        for (Role j : senders_)
          if (defined->Get(j)) ++props[j][bits->Get(j) ? 1 : 0];
      }
      std::set<Role> sure;
      for (Role j : senders_)
        for (int b : {0, 1}) {
          if (props[j][b] >= t_ + 1) b == 1 ? (void)vote_.insert(j) : (void)vote_.erase(j);
          if (props[j][b] >= n_ - t_) sure.insert(j);
        }
      // king: whoever is not sure takes the king's bit
      Bitmap mine(n_);
      for (Role j : senders_) mine.Set(j, vote_.contains(j));
      if (king == s_.my_role()) {
        kms::mpc::v1::BroadcastBits out;
        out.set_bits(mine.bytes());
        s_.net().SendToAll(net::MakePayload(out.SerializeAsString()));
        s_.net().NextRound();
        continue;
      }
      std::optional<Bitmap> kings_bits;
      if (auto payload = s_.net().ReceiveFrom(king)) {
        kms::mpc::v1::BroadcastBits msg;
        if (msg.ParseFromString(**payload)) kings_bits = Bitmap::Parse(n_, msg.bits());
      }
      s_.net().NextRound();
      if (!kings_bits) continue;
      for (Role j : senders_)
        if (!sure.contains(j)) kings_bits->Get(j) ? (void)vote_.insert(j) : (void)vote_.erase(j);
    }
  }

  // ==== pull, push, output ====
  std::map<Role, std::optional<std::string>> PullPushOutput() {
    std::map<Role, HashBytes> accepted;  // agreed 1: the hash every honest party knows
    for (Role j : vote_) {
      auto c = candidate_.find(j);
      if (c != candidate_.end()) accepted[j] = c->second;
    }
    std::map<Role, std::string> output;
    kms::mpc::v1::BroadcastPull pull;
    for (const auto& [sender, h] : accepted) {
      auto it = received_hash_.find(sender);
      if (it != received_hash_.end() && it->second == h)
        output[sender] = received_.at(sender);
      else
        pull.add_senders(static_cast<uint32_t>(sender));
    }
    s_.net().SendToAll(net::MakePayload(pull.SerializeAsString()));
    std::map<Role, net::Payload> pulls = s_.net().ReceiveFromAll(s_.HonestOthers());
    s_.net().NextRound();

    for (Role r : s_.net().Others()) {
      kms::mpc::v1::BroadcastPush push;
      kms::mpc::v1::BroadcastPull wanted;
      auto it = pulls.find(r);
      if (it != pulls.end() && wanted.ParseFromString(*it->second)) {
        for (uint32_t sender_u : wanted.senders()) {
          auto m = received_.find(static_cast<Role>(sender_u));
          if (m != received_.end()) (*push.mutable_messages())[sender_u] = m->second;
        }
      }
      s_.net().SendTo(r, net::MakePayload(push.SerializeAsString()));
    }
    for (auto& [from, in] : Collect<kms::mpc::v1::BroadcastPush>()) {
      for (auto& [sender_u, m] : *in.mutable_messages()) {
        const Role sender = static_cast<Role>(sender_u);
        auto acc = accepted.find(sender);
        if (acc != accepted.end() && !output.contains(sender) && HashMessage(m) == acc->second)
          output[sender] = std::move(m);
      }
    }
    std::map<Role, std::optional<std::string>> result;
    for (Role sender : senders_) {
      auto it = output.find(sender);
      if (it != output.end()) result[sender] = std::move(it->second);
    }
    return result;
  }

  Session& s_;
  const int n_, t_;
  const std::set<Role> senders_;
  std::map<Role, std::string> received_;     // R1 messages, by sender
  std::map<Role, HashBytes> received_hash_;  // their hashes
  std::map<Role, HashBytes> echoed_;         // hashes echoed by >= n - t parties
  std::map<Role, HashBytes> candidate_;      // hashes reported ready by >= t + 1 parties
  std::set<Role> vote_;                      // senders whose agreement bit is 1
};

}  // namespace

int BroadcastRoundCount(int t, int known_corrupt) {
  return 5 + 3 * AgreementPhases(t, known_corrupt);
}

absl::StatusOr<std::map<Role, std::optional<std::string>>> ReliableBroadcast(
    Session& s, const std::set<Role>& all_senders, const std::optional<std::string>& my_message) {
  std::set<Role> senders;
  for (Role r : all_senders)
    if (!s.IsCorrupt(r)) senders.insert(r);
  if (senders.contains(s.my_role()) && !my_message)
    return absl::InvalidArgumentError("broadcast: I am a sender but have no message");
  std::map<Role, std::optional<std::string>> output = BroadcastRun(s, senders).Run(my_message);
  std::map<Role, std::optional<std::string>> result;
  for (Role sender : all_senders) {
    auto it = output.find(sender);
    if (it != output.end() && it->second.has_value()) {
      result[sender] = std::move(it->second);
    } else {
      result[sender] = std::nullopt;
      s.MarkCorrupt(sender, "broadcast output is ⊥");
    }
  }
  return result;
}

absl::StatusOr<std::map<Role, std::optional<std::string>>> BroadcastFromAll(
    Session& session, const std::string& my_message) {
  std::set<Role> senders(session.roles().begin(), session.roles().end());
  return ReliableBroadcast(session, senders, my_message);
}

}  // namespace kms::mpc
