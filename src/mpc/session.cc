#include "mpc/session.h"

#include <cassert>

namespace kms::mpc {

Session::Session(net::RoundChannel& channel, int threshold)
    : channel_(channel), threshold_(threshold) {
  assert(3 * threshold < static_cast<int>(channel.roles().size()));
}

void Session::MarkCorrupt(Role r, std::string_view reason) {
  if (corrupt_.contains(r)) return;
  corrupt_.insert(r);
  corruption_log_.push_back("party " + std::to_string(r) + ": " + std::string(reason));
}

}  // namespace kms::mpc
