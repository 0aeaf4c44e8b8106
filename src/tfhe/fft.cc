#include "tfhe/fft.h"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>

namespace kms::tfhe {

Fft64Plan::Fft64Plan(size_t polynomial_size) : n_(polynomial_size), m_(polynomial_size / 2) {
  twist_re_.resize(m_);
  twist_im_.resize(m_);
  for (size_t j = 0; j < m_; ++j) {
    const double angle = std::numbers::pi * static_cast<double>(j) / static_cast<double>(n_);
    twist_re_[j] = std::cos(angle);
    twist_im_[j] = std::sin(angle);
  }
  // Per stage of half-length h (1, 2, …, M/2), the h roots e^{−iπj/h} at offset h − 1.
  root_re_.assign(m_ > 1 ? m_ - 1 : 1, 1.0);
  root_im_.assign(m_ > 1 ? m_ - 1 : 1, 0.0);
  for (size_t h = 1; h < m_; h <<= 1) {
    for (size_t j = 0; j < h; ++j) {
      const double angle = -std::numbers::pi * static_cast<double>(j) / static_cast<double>(h);
      root_re_[h - 1 + j] = std::cos(angle);
      root_im_[h - 1 + j] = std::sin(angle);
    }
  }
}

const Fft64Plan& Fft64Plan::For(size_t polynomial_size) {
  static std::mutex mu;
  static std::map<size_t, std::unique_ptr<Fft64Plan>> plans;
  std::lock_guard<std::mutex> lock(mu);
  auto& p = plans[polynomial_size];
  if (!p) p = std::make_unique<Fft64Plan>(polynomial_size);
  return *p;
}

void Fft64Plan::DifInPlace(double* re, double* im) const {
  for (size_t half = m_ >> 1; half >= 1; half >>= 1) {
    const double* __restrict wr = root_re_.data() + half - 1;
    const double* __restrict wi = root_im_.data() + half - 1;
    for (size_t s = 0; s < m_; s += 2 * half) {
      double* __restrict xr = re + s;
      double* __restrict xi = im + s;
      double* __restrict yr = re + s + half;
      double* __restrict yi = im + s + half;
      for (size_t j = 0; j < half; ++j) {
        const double ur = xr[j], ui = xi[j], vr = yr[j], vi = yi[j];
        xr[j] = ur + vr;
        xi[j] = ui + vi;
        const double dr = ur - vr, di = ui - vi;
        yr[j] = dr * wr[j] - di * wi[j];
        yi[j] = dr * wi[j] + di * wr[j];
      }
    }
  }
}

void Fft64Plan::DitInverseInPlace(double* re, double* im) const {
  for (size_t half = 1; half < m_; half <<= 1) {
    const double* __restrict wr = root_re_.data() + half - 1;
    const double* __restrict wi = root_im_.data() + half - 1;
    for (size_t s = 0; s < m_; s += 2 * half) {
      double* __restrict xr = re + s;
      double* __restrict xi = im + s;
      double* __restrict yr = re + s + half;
      double* __restrict yi = im + s + half;
      for (size_t j = 0; j < half; ++j) {
        // v = y·conj(w)
        const double vr = yr[j] * wr[j] + yi[j] * wi[j];
        const double vi = yi[j] * wr[j] - yr[j] * wi[j];
        const double ur = xr[j], ui = xi[j];
        xr[j] = ur + vr;
        xi[j] = ui + vi;
        yr[j] = ur - vr;
        yi[j] = ui - vi;
      }
    }
  }
}

void Fft64Plan::Forward(std::span<const uint64_t> a, FourierSpan out) const {
  for (size_t j = 0; j < m_; ++j) {
    const double x = static_cast<double>(static_cast<int64_t>(a[j]));
    const double y = static_cast<double>(static_cast<int64_t>(a[j + m_]));
    out.re[j] = x * twist_re_[j] - y * twist_im_[j];
    out.im[j] = x * twist_im_[j] + y * twist_re_[j];
  }
  DifInPlace(out.re, out.im);
}

namespace {

// round(v) mod 2^64 for any finite double v.
inline uint64_t TorusFromDouble(double v) {
  constexpr double kTwo64 = 18446744073709551616.0;
  constexpr double kTwo63 = 9223372036854775808.0;
  double r = std::nearbyint(v);
  r -= kTwo64 * std::nearbyint(r / kTwo64);  // exact: r and the multiple are close
  if (r >= kTwo63) r -= kTwo64;
  if (r < -kTwo63) r += kTwo64;
  return static_cast<uint64_t>(static_cast<int64_t>(r));
}

}  // namespace

void Fft64Plan::BackwardAdd(FourierSpan in, std::span<uint64_t> out) const {
  DitInverseInPlace(in.re, in.im);
  const double scale = 1.0 / static_cast<double>(m_);
  for (size_t j = 0; j < m_; ++j) {
    const double zr = in.re[j] * scale, zi = in.im[j] * scale;
    // multiply by conj(twist)
    const double x = zr * twist_re_[j] + zi * twist_im_[j];
    const double y = zi * twist_re_[j] - zr * twist_im_[j];
    out[j] += TorusFromDouble(x);
    out[j + m_] += TorusFromDouble(y);
  }
}

void Fft64Plan::BackwardReal(FourierSpan in, std::span<double> out) const {
  DitInverseInPlace(in.re, in.im);
  const double scale = 1.0 / static_cast<double>(m_);
  for (size_t j = 0; j < m_; ++j) {
    const double zr = in.re[j] * scale, zi = in.im[j] * scale;
    out[j] = zr * twist_re_[j] + zi * twist_im_[j];
    out[j + m_] = zi * twist_re_[j] - zr * twist_im_[j];
  }
}

void Fft64Plan::MulAdd(FourierSpan acc, ConstFourierSpan a, ConstFourierSpan b) const {
  for (size_t j = 0; j < m_; ++j) {
    const double ar = a.re[j], ai = a.im[j], br = b.re[j], bi = b.im[j];
    acc.re[j] += ar * br - ai * bi;
    acc.im[j] += ar * bi + ai * br;
  }
}

std::vector<uint64_t> FftNegacyclicProduct(std::span<const uint64_t> a,
                                           std::span<const uint64_t> b) {
  const Fft64Plan& plan = Fft64Plan::For(a.size());
  const size_t m = plan.fourier_size();
  std::vector<double> buf(4 * m), acc(2 * m, 0.0);
  FourierSpan fa{buf.data(), buf.data() + m}, fb{buf.data() + 2 * m, buf.data() + 3 * m};
  plan.Forward(a, fa);
  plan.Forward(b, fb);
  FourierSpan fc{acc.data(), acc.data() + m};
  plan.MulAdd(fc, {fa.re, fa.im}, {fb.re, fb.im});
  std::vector<uint64_t> out(a.size(), 0);
  plan.BackwardAdd(fc, out);
  return out;
}

}  // namespace kms::tfhe
