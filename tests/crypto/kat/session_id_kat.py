#!/usr/bin/env python3
"""Known-answer vectors for crypto/session_id.h, computed independently with hashlib.

  DeriveSessionId(domain, index) = LE u128 of the first 16 bytes of
      SHAKE256("HASH_LST" || "SESS_DOM" || u64le(3) || u64le(operation) || request_id[32] ||
               u64le(index))

Run: python3 tests/crypto/kat/session_id_kat.py (prints the vectors of session_id_test.cc).
"""
import hashlib
import struct

OPERATIONS = {
    "kPrssInit": 1,
    "kPreprocessing": 2,
    "kKeyGen": 3,
    "kInsecureKeyGen": 4,
    "kPublicDecryption": 5,
    "kUserDecryption": 6,
}


def u64le(v):
    return struct.pack("<Q", v)


def derive_session_id(operation, request_id, index):
    assert len(request_id) == 32
    elements = [u64le(operation), request_id, u64le(index)]
    data = b"HASH_LST" + b"SESS_DOM" + u64le(len(elements)) + b"".join(elements)
    return int.from_bytes(hashlib.shake_256(data).digest(32)[:16], "little")


def reference_session_id_from_bytes(x):
    """The reference's SessionId::new(bincode(x)) (crypto-spec B §3), for the kept vector."""
    data = b"SESSN_ID" + u64le(len(x)) + x
    return int.from_bytes(hashlib.shake_256(data).digest(32)[:16], "little")


def main():
    ref = reference_session_id_from_bytes(b"known-answer-test-vector")
    assert ref == 144183619070594751274649460517890251705, ref
    print("reference SessionId::new(b'known-answer-test-vector') =", ref)
    request_ids = {
        "counting": bytes(range(32)),  # 00 01 02 ... 1f
        "ones": bytes(31) + b"\x01",  # the default epoch id 00..01
    }
    cases = [
        ("counting", "kPrssInit", 0),
        ("counting", "kPreprocessing", 0),
        ("counting", "kPreprocessing", 1),
        ("counting", "kKeyGen", 0),
        ("counting", "kInsecureKeyGen", 0),
        ("counting", "kPublicDecryption", 0),
        ("counting", "kUserDecryption", 0),
        ("counting", "kUserDecryption", 7),
        ("ones", "kPrssInit", 0),
    ]
    for rid, op, index in cases:
        sid = derive_session_id(OPERATIONS[op], request_ids[rid], index)
        print(f'{{"{rid}", SessionOperation::{op}, {index}, "{sid}"}},')


if __name__ == "__main__":
    main()
