// Writes the ML-KEM known-answer vectors of tests/crypto/ml_kem_test.cc from an independent FIPS 203
// implementation, @noble/post-quantum (the exact version is pinned in package-lock.json):
//
//   cd tests/crypto/ml_kem_kat && npm ci && node generate.mjs > noble_vectors.txt
//
// The output is deterministic (inputs are SHAKE256 of fixed labels), so rerunning it must leave
// the committed file unchanged. The C++ test reads the committed file and never needs node.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ml_kem512, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';

const RECORDS = 8;            // per parameter set
const FULL_RECORD = 2;        // this record also carries ek, dk and ct in full
const SETS = [
  ['ML-KEM-512', ml_kem512],
  ['ML-KEM-1024', ml_kem1024],
];

const hex = (b) => Buffer.from(b).toString('hex');
const sha3 = (b) => createHash('sha3-256').update(b).digest('hex');
const shake = (label, len) =>
  new Uint8Array(createHash('shake256', { outputLength: len }).update(label).digest());

// Record 0 uses all-zero inputs, record 1 all-ones; the others are pseudo-random.
function inputs(set, i) {
  if (i === 0) return { seed: new Uint8Array(64), m: new Uint8Array(32) };
  if (i === 1) return { seed: new Uint8Array(64).fill(0xff), m: new Uint8Array(32).fill(0xff) };
  return {
    seed: shake(`kms ML-KEM KAT seed ${set} ${i}`, 64),
    m: shake(`kms ML-KEM KAT message ${set} ${i}`, 32),
  };
}

const version = JSON.parse(
  readFileSync(new URL('./node_modules/@noble/post-quantum/package.json', import.meta.url)),
).version;

const out = [];
out.push(`# ML-KEM (FIPS 203) known answers from @noble/post-quantum ${version}, written by`);
out.push('# tests/crypto/ml_kem_kat/generate.mjs; do not edit (rerun the script instead).');
out.push('# seed = d || z and m are the inputs of keygen(seed) and encapsulate(ek, m);');
out.push('# *_sha3_256 are SHA3-256 of ek, dk and ct; ss is the shared secret. The tampered');
out.push('# ciphertext is ct with byte tamper_index XORed with tamper_mask; reject_ss is what noble\'s');
out.push('# decapsulate returns for it (the implicit-rejection key J(z || c)). bad_ek records hold an');
out.push('# ek whose coefficient 0 of polynomial `poly` is set to `value` >= q; noble_rejects says');
out.push('# that noble\'s encapsulate refused it.');
for (const [name, kem] of SETS) {
  for (let i = 0; i < RECORDS; i++) {
    const { seed, m } = inputs(name, i);
    const { publicKey: ek, secretKey: dk } = kem.keygen(seed);
    const { cipherText: ct, sharedSecret: ss } = kem.encapsulate(ek, m);
    if (hex(kem.decapsulate(ct, dk)) !== hex(ss)) throw new Error('noble round trip failed');
    const tamperIndex = (i * 97 + 5) % ct.length;
    const tamperMask = 1 << (i % 8);
    const tampered = Uint8Array.from(ct);
    tampered[tamperIndex] ^= tamperMask;
    const rejectSs = kem.decapsulate(tampered, dk);
    out.push('');
    out.push(`set = ${name}`);
    out.push(`count = ${i}`);
    out.push(`seed = ${hex(seed)}`);
    out.push(`m = ${hex(m)}`);
    out.push(`ek_sha3_256 = ${sha3(ek)}`);
    out.push(`dk_sha3_256 = ${sha3(dk)}`);
    out.push(`ct_sha3_256 = ${sha3(ct)}`);
    out.push(`ss = ${hex(ss)}`);
    out.push(`tamper_index = ${tamperIndex}`);
    out.push(`tamper_mask = ${tamperMask}`);
    out.push(`reject_ss = ${hex(rejectSs)}`);
    if (i === FULL_RECORD) {
      out.push(`ek = ${hex(ek)}`);
      out.push(`dk = ${hex(dk)}`);
      out.push(`ct = ${hex(ct)}`);
    }
  }
  // An ek with one coefficient >= q (12-bit little-endian packing: coefficient 0 of a
  // polynomial is byte 0 and the low nibble of byte 1).
  for (const [poly, value] of [[0, 3329], [1, 4095]]) {
    const { publicKey } = kem.keygen(inputs(name, 2).seed);
    const ek = Uint8Array.from(publicKey);
    const o = 384 * poly;
    ek[o] = value & 0xff;
    ek[o + 1] = (ek[o + 1] & 0xf0) | (value >> 8);
    let rejected = false;
    try {
      kem.encapsulate(ek, new Uint8Array(32));
    } catch {
      rejected = true;
    }
    if (!rejected) throw new Error('noble accepted an ek with a coefficient >= q');
    out.push('');
    out.push(`set = ${name}`);
    out.push('bad_ek = from count 2');
    out.push(`poly = ${poly}`);
    out.push(`value = ${value}`);
    out.push(`ek = ${hex(ek)}`);
    out.push(`noble_rejects = ${rejected}`);
  }
}
process.stdout.write(out.join('\n') + '\n');
