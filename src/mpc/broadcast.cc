#include "mpc/broadcast.h"

#include "crypto/hash.h"
#include "proto/mpc.pb.h"

namespace kms::mpc {
namespace {

using HashBytes = std::string;  // 32-byte SHAKE256("BRACHABC" || m)

HashBytes HashMessage(const std::string& m) {
  auto d = crypto::HashElement(crypto::kDsepBroadcast, AsBytes(m));
  return HashBytes(reinterpret_cast<const char*>(d.data()), d.size());
}

// ---- round 1: senders send m ----
void Round1Send(Session& s, const std::set<Role>& senders, const std::optional<std::string>& m) {
  if (!senders.contains(s.my_role()) || !m) return;
  for (Role r : s.roles()) {
    if (r == s.my_role() || s.adversary().broadcast_withhold_from.contains(r)) continue;
    std::string body = *m;
    if (s.adversary().equivocate_broadcast) body.push_back(static_cast<char>(r));
    kms::mpc::v1::BroadcastSend msg;
    msg.set_message(std::move(body));
    s.net().SendTo(r, net::MakePayload(msg.SerializeAsString()));
  }
}

std::map<Role, std::string> Round1Receive(Session& s, const std::set<Role>& senders,
                                          const std::optional<std::string>& m) {
  std::map<Role, std::string> got;
  std::set<Role> from;
  for (Role r : senders)
    if (r != s.my_role() && !s.IsCorrupt(r)) from.insert(r);
  for (auto& [sender, payload] : s.net().ReceiveFromAll(from)) {
    kms::mpc::v1::BroadcastSend msg;
    if (msg.ParseFromString(*payload)) got[sender] = std::move(*msg.mutable_message());
  }
  if (senders.contains(s.my_role()) && m) got[s.my_role()] = *m;
  return got;
}

}  // namespace

absl::StatusOr<std::map<Role, std::optional<std::string>>> ReliableBroadcast(
    Session& s, const std::set<Role>& all_senders, const std::optional<std::string>& my_message) {
  std::set<Role> senders;
  for (Role r : all_senders)
    if (!s.IsCorrupt(r)) senders.insert(r);
  if (senders.contains(s.my_role()) && !my_message)
    return absl::InvalidArgumentError("broadcast: I am a sender but have no message");
  const int n = s.n(), t = s.t();

  // ==== R1: senders send m ====
  Round1Send(s, senders, my_message);
  std::map<Role, std::string> received = Round1Receive(s, senders, my_message);
  s.net().NextRound();

  // ==== R2: echo the hashes of everything received in R1 ====
  std::map<Role, std::pair<HashBytes, std::string>> mine;  // what I received from each sender
  std::map<std::pair<Role, HashBytes>, int> echo_count;
  {
    kms::mpc::v1::BroadcastEcho echo;
    for (auto& [sender, m] : received) {
      HashBytes h = HashMessage(m);
      (*echo.mutable_hashes())[static_cast<uint32_t>(sender)] = h;
      ++echo_count[{sender, h}];
      mine[sender] = {h, std::move(m)};
    }
    s.net().SendToAll(net::MakePayload(echo.SerializeAsString()));
    for (auto& [from, payload] : s.net().ReceiveFromAll(s.HonestOthers())) {
      kms::mpc::v1::BroadcastEcho in;
      if (!in.ParseFromString(*payload)) continue;
      for (const auto& [sender_u, h] : in.hashes()) {
        Role sender = static_cast<Role>(sender_u);
        if (senders.contains(sender) && h.size() == 32) ++echo_count[{sender, h}];
      }
    }
    s.net().NextRound();
  }

  // ==== R3 .. R3+t: votes ====
  std::set<Role> voted_for_sender;
  std::map<std::pair<Role, HashBytes>, std::set<Role>> votes;
  std::set<std::pair<Role, HashBytes>> to_vote;
  for (const auto& [key, count] : echo_count)
    if (count >= n - t) to_vote.insert(key);
  for (int r = 1; r <= t + 1; ++r) {
    kms::mpc::v1::BroadcastVote out;
    for (const auto& key : to_vote) {
      // One vote per sender: the first qualifying hash (honest parties never see two).
      if (!voted_for_sender.insert(key.first).second) continue;
      (*out.mutable_hashes())[static_cast<uint32_t>(key.first)] = key.second;
      votes[key].insert(s.my_role());
    }
    s.net().SendToAll(net::MakePayload(out.SerializeAsString()));
    for (auto& [from, payload] : s.net().ReceiveFromAll(s.HonestOthers())) {
      kms::mpc::v1::BroadcastVote in;
      if (!in.ParseFromString(*payload)) continue;
      for (const auto& [sender_u, h] : in.hashes()) {
        Role sender = static_cast<Role>(sender_u);
        if (senders.contains(sender) && h.size() == 32) votes[{sender, h}].insert(from);
      }
    }
    s.net().NextRound();
    to_vote.clear();
    for (const auto& [key, who] : votes)
      if (static_cast<int>(who.size()) >= t + r) to_vote.insert(key);
  }

  // The accepted hash per sender (>= n - t votes; at most one can reach it).
  std::map<Role, HashBytes> accepted;
  for (const auto& [key, who] : votes)
    if (static_cast<int>(who.size()) >= n - t) accepted[key.first] = key.second;

  // ==== pull: ask for accepted messages I lack ====
  std::map<Role, std::string> output;
  kms::mpc::v1::BroadcastPull pull;
  for (const auto& [sender, h] : accepted) {
    auto it = mine.find(sender);
    if (it != mine.end() && it->second.first == h)
      output[sender] = it->second.second;
    else
      pull.add_senders(static_cast<uint32_t>(sender));
  }
  s.net().SendToAll(net::MakePayload(pull.SerializeAsString()));
  std::map<Role, net::Payload> pulls = s.net().ReceiveFromAll(s.HonestOthers());
  s.net().NextRound();

  // ==== push: answer the pulls ====
  for (Role r : s.net().Others()) {
    kms::mpc::v1::BroadcastPush push;
    auto it = pulls.find(r);
    kms::mpc::v1::BroadcastPull wanted;
    if (it != pulls.end() && wanted.ParseFromString(*it->second)) {
      for (uint32_t sender_u : wanted.senders()) {
        auto m = mine.find(static_cast<Role>(sender_u));
        if (m != mine.end()) (*push.mutable_messages())[sender_u] = m->second.second;
      }
    }
    s.net().SendTo(r, net::MakePayload(push.SerializeAsString()));
  }
  for (auto& [from, payload] : s.net().ReceiveFromAll(s.HonestOthers())) {
    kms::mpc::v1::BroadcastPush in;
    if (!in.ParseFromString(*payload)) continue;
    for (auto& [sender_u, m] : *in.mutable_messages()) {
      Role sender = static_cast<Role>(sender_u);
      auto acc = accepted.find(sender);
      if (acc != accepted.end() && !output.contains(sender) && HashMessage(m) == acc->second)
        output[sender] = std::move(m);
    }
  }
  s.net().NextRound();

  // ==== output ====
  std::map<Role, std::optional<std::string>> result;
  for (Role sender : all_senders) {
    auto it = output.find(sender);
    if (it != output.end()) {
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
