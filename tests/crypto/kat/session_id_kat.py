#!/usr/bin/env python3
"""Known-answer vectors for crypto/session_id.h, computed independently with hashlib.

  DeriveSessionId(domain, index) = LE u128 of the first 16 bytes of
      SHAKE256("HASH_LST" || "SESS_DOM" || u64le(L) || u64le(operation) || request_id[32] ||
               u64le(index) [|| u64le(1) || u64le(32) || key_id[32]]
               [|| u64le(2) || u64le(32) || content_digest[32]])

with L = 3 + the number of optional fields set (key id tag 1, content digest tag 2).

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


def tagged(tag, value):
    assert len(value) == 32
    return u64le(tag) + u64le(len(value)) + value


def derive_session_id(operation, request_id, index, key_id=None, content_digest=None):
    assert len(request_id) == 32
    elements = [u64le(operation), request_id, u64le(index)]
    if key_id is not None:
        elements.append(tagged(1, key_id))
    if content_digest is not None:
        elements.append(tagged(2, content_digest))
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
    # Optional fields: key id = 0x11 * 32, content digest = 0x22 * 32 (request id "counting").
    key_id = b"\x11" * 32
    digest = b"\x22" * 32
    optional_cases = [
        ("kUserDecryption", 3, key_id, None),
        ("kUserDecryption", 3, None, digest),
        ("kUserDecryption", 3, key_id, digest),
        ("kPublicDecryption", 0, key_id, digest),
        ("kPreprocessing", 1, None, digest),
    ]
    for op, index, k, d in optional_cases:
        sid = derive_session_id(OPERATIONS[op], request_ids["counting"], index, k, d)
        print(f'{{SessionOperation::{op}, {index}, {"true" if k else "false"}, '
              f'{"true" if d else "false"}, "{sid}"}},')
    # service/session_content.h: the PRSS init of the default epoch (run id = epoch id 00..01) on
    # 4 parties with t = 1. Content digest = HashList("SESS_CNT", [u64le(1), epoch, u64le(4),
    # u64le(1)]).
    epoch = request_ids["ones"]
    content = [u64le(OPERATIONS["kPrssInit"]), epoch, u64le(4), u64le(1)]
    digest = hashlib.shake_256(
        b"HASH_LST" + b"SESS_CNT" + u64le(len(content)) + b"".join(content)).digest(32)
    sid = derive_session_id(OPERATIONS["kPrssInit"], epoch, 0, None, digest)
    print(f'PrssInitDomain(00..01, 00..01, 4, 1): digest {digest.hex()}, sid "{sid}"')


if __name__ == "__main__":
    main()
