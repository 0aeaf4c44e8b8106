// File: algebra/robust_reconstruction.h
//
// When to attempt reconstruction and how many errors to correct (crypto-spec B §1.6), for one
// secret or a batch of secrets shared among the same senders. n parties, sharing degree D,
// threshold t; #bot = parties known bad or timed out, which count as "heard from".
//
//  - Sync (requires D + 2t < n): attempt once heard > D + 2t, correcting t - #bot errors.
//  - Async, D + 3t < n: the same attempt as sync.
//  - Async, D + 2t < n <= D + 3t (n = 3t + 1): once heard > D + t, correct
//    r = heard - (D + t + 1) errors and accept when more than D + t shares lie on the result;
//    otherwise wait for more shares (or fail once everyone has been heard).
//
// Batches take the fast path of A.1: with all shares on one polynomial of degree <= D, the
// secret is a fixed linear combination (cached per sender set) and no decoding runs. A sender
// caught off the decoded polynomial once is left out of the fast path for the rest of the batch,
// so a party that lies on every value costs one decoding, not one per value.
#ifndef KMS_ALGEBRA_ROBUST_RECONSTRUCTION_H_
#define KMS_ALGEBRA_ROBUST_RECONSTRUCTION_H_

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "algebra/error_correction.h"
#include "algebra/result.h"
#include "algebra/shamir.h"

namespace kms::algebra {

struct RobustParams {
  int n = 0;       // number of parties
  int t = 0;       // threshold: at most t corrupt
  int degree = 0;  // sharing degree D (t or 2t)
};

// The shares of a batch: values[i][k] is party parties[i]'s share of secret k.
template <typename R>
struct ShareColumns {
  std::vector<int> parties;
  std::vector<std::vector<R>> values;
};

enum class ReconstructStatus { kDone, kWaitForMore, kFailed };

template <typename R>
struct BatchOutcome {
  ReconstructStatus status = ReconstructStatus::kWaitForMore;
  std::vector<R> secrets;  // when kDone
  AlgebraError error;      // when kFailed (or the reason for waiting)
};

namespace robust_internal {

// Precomputed linear maps for one sender set: the secret and every other sender's share as
// combinations of the first D+1 senders' shares.
template <typename R>
struct FastPath {
  std::vector<R> to_zero;                // D+1 coefficients
  std::vector<std::vector<R>> to_other;  // per remaining sender, D+1 coefficients
};

template <typename R>
const FastPath<R>& GetFastPath(const std::vector<int>& parties, int degree) {
  static std::mutex mu;
  static std::map<std::pair<std::vector<int>, int>, FastPath<R>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_pair(parties, degree);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  FastPath<R> fp;
  std::span<const int> base(parties.data(), static_cast<size_t>(degree) + 1);
  fp.to_zero = LagrangeCoefficients<R>(base, R::Zero());
  for (size_t j = static_cast<size_t>(degree) + 1; j < parties.size(); ++j)
    fp.to_other.push_back(LagrangeCoefficients<R>(base, PartyPoint<R>(parties[j])));
  return cache.emplace(key, std::move(fp)).first->second;
}

template <typename R>
Result<bool> Validate(const RobustParams& p, const ShareColumns<R>& cols, int num_bot) {
  if (p.t < 0 || p.degree < 0) return InvalidInput("negative threshold or degree");
  if (cols.values.size() != cols.parties.size())
    return InvalidInput("share matrix has " + std::to_string(cols.values.size()) + " rows for " +
                        std::to_string(cols.parties.size()) + " parties");
  auto ids = ValidateParties<R>(cols.parties, p.n);
  if (!ids.ok()) return ids.error();
  if (num_bot < 0 || static_cast<int>(cols.parties.size()) + num_bot > p.n)
    return InvalidInput("more shares and missing parties than parties");
  for (size_t i = 1; i < cols.values.size(); ++i)
    if (cols.values[i].size() != cols.values[0].size())
      return InvalidInput("party " + std::to_string(cols.parties[i]) + " sent " +
                          std::to_string(cols.values[i].size()) + " shares, party " +
                          std::to_string(cols.parties[0]) + " sent " +
                          std::to_string(cols.values[0].size()));
  return true;
}

// Decodes secret k allowing max_errors errors; with `min_agree` > 0 additionally requires that
// many shares on the result (async case B). `off`, when given, receives the rows (indices into
// cols) whose shares are not on the decoded polynomial.
template <typename R>
Result<R> DecodeOne(const RobustParams& p, const ShareColumns<R>& cols, size_t k, int max_errors,
                    int min_agree, std::vector<size_t>* off = nullptr) {
  std::vector<IndexedShare<R>> shares;
  shares.reserve(cols.parties.size());
  for (size_t i = 0; i < cols.parties.size(); ++i)
    shares.push_back({cols.parties[i], cols.values[i][k]});
  auto poly = ErrorCorrect<typename R::Base, R::kDegree>(shares, p.degree, max_errors, p.n);
  if (!poly.ok()) return poly.error();
  if (poly.value().Degree() > p.degree) return DecodingFailed("decoded degree too high");
  int agree = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    if (poly.value().Eval(PartyPoint<R>(shares[i].party)) == shares[i].value) {
      ++agree;
    } else if (off != nullptr) {
      off->push_back(i);
    }
  }
  if (min_agree > 0 && agree < min_agree)
    return DecodingFailed(std::to_string(agree) + " shares agree, " + std::to_string(min_agree) +
                          " needed");
  return poly.value().coef(0);
}

// The fast path over rows `rows` of `sorted` (their parties ascending): the secret when every
// share of secret k lies on one polynomial of degree <= D, nullopt otherwise.
template <typename R>
std::optional<R> FastSecret(const FastPath<R>& fp, const ShareColumns<R>& sorted,
                            const std::vector<size_t>& rows, size_t base, size_t k) {
  for (size_t j = 0; j < fp.to_other.size(); ++j) {
    R predicted = R::Zero();
    for (size_t i = 0; i < base; ++i) predicted += fp.to_other[j][i] * sorted.values[rows[i]][k];
    if (predicted != sorted.values[rows[base + j]][k]) return std::nullopt;
  }
  R secret = R::Zero();
  for (size_t i = 0; i < base; ++i) secret += fp.to_zero[i] * sorted.values[rows[i]][k];
  return secret;
}

// Reconstructs every secret of the batch with `max_errors`, fast path first.
template <typename R>
Result<std::vector<R>> DecodeBatch(const RobustParams& p, ShareColumns<R> cols, int max_errors,
                                   int min_agree) {
  // Sort senders so the fast-path cache key does not depend on arrival order.
  std::vector<size_t> order(cols.parties.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return cols.parties[a] < cols.parties[b]; });
  ShareColumns<R> sorted;
  for (size_t i : order) {
    sorted.parties.push_back(cols.parties[i]);
    sorted.values.push_back(std::move(cols.values[i]));
  }
  const size_t count = sorted.values.empty() ? 0 : sorted.values[0].size();
  const size_t base = static_cast<size_t>(p.degree) + 1;
  if (sorted.parties.size() < base)
    return NotEnoughShares(std::to_string(sorted.parties.size()) + " shares for degree " +
                           std::to_string(p.degree));
  // Rows not (yet) caught sending a share off the decoded polynomial. Once decoding has caught
  // a sender, the fast path also runs without it: its shares of the other secrets need not
  // cost a decoding each. Sound because the rows left still hold at least D + 1 honest shares
  // (heard - max_errors of them, the caught senders being among the max_errors), so one
  // polynomial through all of them is the honest one, and the result is the one decoding gives.
  std::vector<size_t> all(sorted.parties.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<size_t> trusted;
  const FastPath<R>* trusted_fp = nullptr;
  const FastPath<R>& fp = GetFastPath<R>(sorted.parties, p.degree);
  std::vector<R> out(count);
  for (size_t k = 0; k < count; ++k) {
    std::optional<R> fast;
    if (static_cast<int>(all.size()) >= min_agree) fast = FastSecret(fp, sorted, all, base, k);
    if (!fast && trusted_fp != nullptr && static_cast<int>(trusted.size()) >= min_agree)
      fast = FastSecret(*trusted_fp, sorted, trusted, base, k);
    if (fast) {
      out[k] = *fast;
      continue;
    }
    std::vector<size_t> off;
    auto one = DecodeOne(p, sorted, k, max_errors, min_agree, &off);
    if (!one.ok()) {
      AlgebraError e = one.error();
      e.message = "secret " + std::to_string(k) + ": " + e.message;
      return e;
    }
    out[k] = one.value();
    bool caught_new = trusted_fp == nullptr && !off.empty();
    std::vector<size_t> next = trusted_fp == nullptr ? all : trusted;
    for (size_t row : off) {
      auto it = std::find(next.begin(), next.end(), row);
      if (it != next.end()) {
        next.erase(it);
        caught_new = true;
      }
    }
    if (caught_new && next.size() >= base) {
      trusted = std::move(next);
      std::vector<int> parties;
      for (size_t row : trusted) parties.push_back(sorted.parties[row]);
      trusted_fp = &GetFastPath<R>(parties, p.degree);
    }
  }
  return out;
}

}  // namespace robust_internal

// Synchronous rule: decide now. Fails with kNotEnoughShares when heard <= D + 2t, with
// kDecodingFailed when more than t - #bot shares are wrong (or more than t parties are bot).
template <typename R>
Result<std::vector<R>> ReconstructBatchSync(const RobustParams& p, ShareColumns<R> cols,
                                            int num_bot) {
  auto ok = robust_internal::Validate(p, cols, num_bot);
  if (!ok.ok()) return ok.error();
  if (p.degree + 2 * p.t >= p.n)
    return InvalidInput("sync reconstruction needs D + 2t < n (D=" + std::to_string(p.degree) +
                        ", t=" + std::to_string(p.t) + ", n=" + std::to_string(p.n) + ")");
  const int heard = static_cast<int>(cols.parties.size()) + num_bot;
  if (heard <= p.degree + 2 * p.t)
    return NotEnoughShares("heard from " + std::to_string(heard) + " parties, need " +
                           std::to_string(p.degree + 2 * p.t + 1));
  const int max_errors = p.t - num_bot;
  if (max_errors < 0)
    return DecodingFailed(std::to_string(num_bot) +
                          " parties missing or corrupt, more than t=" + std::to_string(p.t));
  return robust_internal::DecodeBatch(p, std::move(cols), max_errors, 0);
}

// Asynchronous rule, called again each time more shares arrive. kWaitForMore while the rule
// cannot decide yet; kFailed when it never will (everyone heard, no acceptable polynomial).
template <typename R>
BatchOutcome<R> TryReconstructBatchAsync(const RobustParams& p, ShareColumns<R> cols, int num_bot) {
  BatchOutcome<R> out;
  auto fail = [&](AlgebraError e) {
    out.status = ReconstructStatus::kFailed;
    out.error = std::move(e);
    return out;
  };
  auto ok = robust_internal::Validate(p, cols, num_bot);
  if (!ok.ok()) return fail(ok.error());
  if (p.degree + 2 * p.t >= p.n) return fail(InvalidInput("async reconstruction needs D + 2t < n"));
  const int heard = static_cast<int>(cols.parties.size()) + num_bot;
  const int received = static_cast<int>(cols.parties.size());
  Result<std::vector<R>> decoded = NotEnoughShares("waiting for shares");
  if (p.degree + 3 * p.t < p.n) {  // case A
    if (heard <= p.degree + 2 * p.t) {
      out.error = NotEnoughShares("waiting for shares");
      return out;
    }
    if (p.t - num_bot < 0)
      return fail(DecodingFailed(std::to_string(num_bot) + " parties missing or corrupt"));
    decoded = robust_internal::DecodeBatch(p, std::move(cols), p.t - num_bot, 0);
  } else {  // case B
    if (heard <= p.degree + p.t) {
      out.error = NotEnoughShares("waiting for shares");
      return out;
    }
    int r = heard - (p.degree + p.t + 1);
    r = std::min(r, (received - p.degree - 1) / 2);  // stay inside the decoding radius
    if (r < 0) {
      if (heard >= p.n) return fail(NotEnoughShares("too few shares received from the parties"));
      out.error = NotEnoughShares("waiting for shares");
      return out;
    }
    decoded = robust_internal::DecodeBatch(p, std::move(cols), r, p.degree + p.t + 1);
  }
  if (decoded.ok()) {
    out.status = ReconstructStatus::kDone;
    out.secrets = std::move(decoded).value();
    return out;
  }
  if (decoded.error().kind == ErrorKind::kInvalidInput || heard >= p.n)
    return fail(decoded.error());
  out.error = decoded.error();
  return out;
}

// Single-secret conveniences.
template <typename R>
Result<R> ReconstructSync(const RobustParams& p, std::span<const IndexedShare<R>> shares,
                          int num_bot) {
  ShareColumns<R> cols;
  for (const auto& s : shares) {
    cols.parties.push_back(s.party);
    cols.values.push_back({s.value});
  }
  auto r = ReconstructBatchSync(p, std::move(cols), num_bot);
  if (!r.ok()) return r.error();
  return r.value()[0];
}

template <typename R>
BatchOutcome<R> TryReconstructAsync(const RobustParams& p, std::span<const IndexedShare<R>> shares,
                                    int num_bot) {
  ShareColumns<R> cols;
  for (const auto& s : shares) {
    cols.parties.push_back(s.party);
    cols.values.push_back({s.value});
  }
  return TryReconstructBatchAsync(p, std::move(cols), num_bot);
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_ROBUST_RECONSTRUCTION_H_
