#!/usr/bin/env python3
"""Known-answer vectors for crypto/prf.h, computed independently (AES-128 from the `cryptography`
package, i.e. OpenSSL's AES, not the project's AES-NI code).

  K_tweak = AES_{r_A}( AES_{r_A}(u128le(sid)) XOR B_tweak ),  B_tweak = "PRSS_KEY" || u64le(tweak)
  tweak 0 = psi, 1 = chi, 2 = phi
  psi(ctr)[i]    = AES_psi(u128le(ctr | i << 112))
  chi(ctr, j)[i] = AES_chi(u128le(ctr | j << 104 | i << 112))
  phi_Bd1(ctr)   = -Bd1 + (AES_phi(u128le(ctr)) mod 2*Bd1)

Run: python3 tests/crypto/kat/prss_prf_kat.py (prints the vectors of prf_test.cc).
"""
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MASK128 = (1 << 128) - 1


def aes(key, block_int):
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    out = enc.update(block_int.to_bytes(16, "little")) + enc.finalize()
    return int.from_bytes(out, "little")


def label_block(tweak):
    return int.from_bytes(b"PRSS_KEY" + tweak.to_bytes(8, "little"), "little")


def derive_key(r_a, tweak, sid):
    chain = aes(r_a, sid)
    return aes(r_a, chain ^ label_block(tweak)).to_bytes(16, "little")


def old_xor_key(r_a, tweak, sid):
    k = bytearray(r_a)
    k[0] ^= tweak
    for i in range(16):
        k[i] ^= (sid >> (8 * i)) & 0xFF
    return bytes(k)


def main():
    r = bytes((200 - i) & 0xFF for i in range(16))
    sid = (0x0123456789ABCDEF << 64) | 0x1122334455667788
    keys = [derive_key(r, t, sid) for t in range(3)]
    for name, k in zip(["psi", "chi", "phi"], keys):
        print(f'{name} key: "{k.hex()}"')
    # A second session and a zero key, for the key vectors.
    print('zero r_A, sid 0, psi key:', derive_key(bytes(16), 0, 0).hex())
    print('zero r_A, sid 1, phi key:', derive_key(bytes(16), 2, 1).hex())

    psi_key, chi_key, phi_key = keys
    psi = [aes(psi_key, (41 + k) | (i << 112)) for k in range(3) for i in range(4)]
    print("psi(41..43)[0..3]:")
    for v in psi:
        print(f'  "{v:032x}"')
    chi = [aes(chi_key, (7 + k) | (3 << 104) | (i << 112)) for k in range(2) for i in range(4)]
    print("chi(7..8, j=3)[0..3]:")
    for v in chi:
        print(f'  "{v:032x}"')
    bd1 = 1 << 84
    phi = [((aes(phi_key, k) % (2 * bd1)) - bd1) & MASK128 for k in range(4)]
    print("phi_{2^84}(0..3) as two's complement u128:")
    for v in phi:
        print(f'  "{v:032x}"')

    # The old derivation's relation, and that the new one does not have it.
    assert old_xor_key(r, 2, sid) == old_xor_key(r, 0, sid ^ 2)
    assert derive_key(r, 2, sid) != derive_key(r, 0, sid ^ 2)


if __name__ == "__main__":
    main()
