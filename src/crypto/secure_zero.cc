#include "crypto/secure_zero.h"

#include <openssl/crypto.h>

namespace kms::crypto {

void SecureZero(void* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

}  // namespace kms::crypto
