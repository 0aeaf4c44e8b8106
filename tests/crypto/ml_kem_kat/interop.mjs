// The @noble/post-quantum side of tests/crypto/ml_kem_interop_test.cc. One operation per call;
// keys and ciphertexts are hex on the command line, results are `name = hex` lines on stdout.
//
//   node interop.mjs keygen SET                 -> ek, dk     (random seed)
//   node interop.mjs encaps SET EK              -> ct, ss     (random m)
//   node interop.mjs decaps SET DK CT           -> ss
//
// SET is ML-KEM-512 or ML-KEM-1024. Exits non-zero, with noble's error on stderr, when noble
// refuses an input.
import { ml_kem512, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';

const KEMS = { 'ML-KEM-512': ml_kem512, 'ML-KEM-1024': ml_kem1024 };
const [op, set, ...args] = process.argv.slice(2);
const kem = KEMS[set];
if (!kem) {
  console.error(`unknown parameter set '${set}'`);
  process.exit(2);
}
const hex = (b) => Buffer.from(b).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h, 'hex'));

try {
  if (op === 'keygen') {
    const { publicKey, secretKey } = kem.keygen();
    console.log(`ek = ${hex(publicKey)}\ndk = ${hex(secretKey)}`);
  } else if (op === 'encaps') {
    const { cipherText, sharedSecret } = kem.encapsulate(bytes(args[0]));
    console.log(`ct = ${hex(cipherText)}\nss = ${hex(sharedSecret)}`);
  } else if (op === 'decaps') {
    console.log(`ss = ${hex(kem.decapsulate(bytes(args[1]), bytes(args[0])))}`);
  } else {
    console.error(`unknown operation '${op}'`);
    process.exit(2);
  }
} catch (e) {
  console.error(`noble: ${e.message}`);
  process.exit(1);
}
