// node-tfhe side of tests/interop/tfhe_node_interop_test.cc. One command per run (node-tfhe's
// server key and WASM state are process-global, so every step runs in its own process):
//
//   node tfhe_interop.js VERSION PROFILE COMMAND ARGS...
//     VERSION  14 (node-tfhe 1.4.0-alpha.3) | 17 (node-tfhe 1.7.0)
//     PROFILE  kms-test | kms-default (the JS parameters of ../../../../shared/golden/tfhe-1.4)
//
//   load-keys CK CPK             safe_deserialize both, the CPK also conformantly; re-serializes
//                                them (prints `ck_same`, `cpk_same`: 1 when byte-identical)
//   load-cpk CPK                 the CPK alone, as a wallet loads a KMS's key (`cpk_same`,
//                                `cpk_conformant_same`)
//   encrypt-list CPK OUT BOOL U8 U64
//                                push_boolean, push_u8, push_u64 under our CPK; writes
//                                OUT.build.bin and OUT.packed.bin
//   encrypt-u8-pair CPK OUT X Y  push_u8 X, push_u8 Y under our CPK (conformantly loaded); writes
//                                OUT.bin (build())
//   decrypt CK U64_FILE BOOL_FILE
//                                loads our FheUint64 and FheBool, decrypts with our ClientKey
//   generate OUT U64 BOOL        a fresh ClientKey (dedicated CPK parameters), FheUint64/FheBool
//                                encrypt_with_client_key, a CPK, a CompressedCompactPublicKey and
//                                its decompress(), and a build() list of U64; writes
//                                OUT.{ClientKey,FheUint64,FheBool,CompactPublicKey,list}.bin,
//                                OUT.CompressedCompactPublicKey.bin and
//                                OUT.CompactPublicKey.from_compressed.bin
//
// Output: `name = value` lines on stdout; any failure throws (exit status 1, message on stderr).
'use strict';
const fs = require('fs');

const [version, profile, command, ...args] = process.argv.slice(2);
const tfhe = require(version === '14' ? 'tfhe14' : version === '17' ? 'tfhe17' : 'no-such-version');
const LIMIT = 1n << 31n;  // the KMS's 2 GiB safe_serialize limit

function parameters() {
  const {Shortint, ShortintParameters, ShortintParametersName, ShortintEncryptionKeyChoice,
         ShortintCompactPublicKeyEncryptionParameters,
         ShortintCompactPublicKeyEncryptionParametersName} = tfhe;
  if (profile === 'kms-test') {
    const tu0 = () => Shortint.try_new_t_uniform(0);
    return {
      block: Shortint.new_parameters(1, 1, 256, tu0(), tu0(), 24, 1, 37, 1, 4n, 4n, 5n, -64, 64,
                                     ShortintEncryptionKeyChoice.Big),
      pke: () => ShortintCompactPublicKeyEncryptionParameters.new_parameters(
          512, tu0(), 4n, 4n, 64, 37, 1, ShortintEncryptionKeyChoice.Small),
    };
  }
  if (profile === 'kms-default') {
    return {
      block: new ShortintParameters(ShortintParametersName.PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128),
      pke: () => new ShortintCompactPublicKeyEncryptionParameters(
          ShortintCompactPublicKeyEncryptionParametersName
              .V1_4_PARAM_PKE_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128),
    };
  }
  throw new Error(`unknown profile ${profile}`);
}

const read = (f) => new Uint8Array(fs.readFileSync(f));
const same = (a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0 ? 1 : 0);
const out = (name, value) => console.log(`${name} = ${value}`);

function loadCpk(cpkFile) {
  const cpkBytes = read(cpkFile);
  const cpk = tfhe.TfheCompactPublicKey.safe_deserialize(cpkBytes, LIMIT);
  const conformant =
      tfhe.TfheCompactPublicKey.safe_deserialize_conformant(cpkBytes, LIMIT, parameters().pke());
  out('cpk_same', same(cpk.safe_serialize(LIMIT), cpkBytes));
  out('cpk_conformant_same', same(conformant.safe_serialize(LIMIT), cpkBytes));
}

function loadKeys(ckFile, cpkFile) {
  const ckBytes = read(ckFile);
  const ck = tfhe.TfheClientKey.safe_deserialize(ckBytes, LIMIT);
  out('ck_same', same(ck.safe_serialize(LIMIT), ckBytes));
  loadCpk(cpkFile);
}

function encryptList(cpkFile, outPrefix, b, u8, u64) {
  const cpk = tfhe.TfheCompactPublicKey.safe_deserialize_conformant(read(cpkFile), LIMIT,
                                                                    parameters().pke());
  for (const packed of [false, true]) {
    const builder = tfhe.CompactCiphertextList.builder(cpk);
    builder.push_boolean(b === '1');
    builder.push_u8(Number(u8));
    builder.push_u64(BigInt(u64));
    const list = packed ? builder.build_packed() : builder.build();
    fs.writeFileSync(`${outPrefix}.${packed ? 'packed' : 'build'}.bin`, list.safe_serialize(LIMIT));
    out(packed ? 'packed_len' : 'build_len', list.len());
  }
}

function encryptU8Pair(cpkFile, outFile, x, y) {
  const cpk = tfhe.TfheCompactPublicKey.safe_deserialize_conformant(read(cpkFile), LIMIT,
                                                                    parameters().pke());
  const builder = tfhe.CompactCiphertextList.builder(cpk);
  builder.push_u8(Number(x));
  builder.push_u8(Number(y));
  const list = builder.build();
  fs.writeFileSync(outFile, list.safe_serialize(LIMIT));
  out('len', list.len());
}

function decrypt(ckFile, u64File, boolFile) {
  const ck = tfhe.TfheClientKey.safe_deserialize(read(ckFile), LIMIT);
  const u64 = tfhe.FheUint64.safe_deserialize(read(u64File), LIMIT);
  const b = tfhe.FheBool.safe_deserialize(read(boolFile), LIMIT);
  out('u64', '0x' + u64.decrypt(ck).toString(16));
  out('bool', b.decrypt(ck) ? 1 : 0);
}

function generate(outPrefix, u64, b) {
  const p = parameters();
  const config = tfhe.TfheConfigBuilder.with_custom_parameters(p.block)
                     .use_dedicated_compact_public_key_parameters(p.pke())
                     .build();
  const ck = tfhe.TfheClientKey.generate(config);
  const cpk = tfhe.TfheCompactPublicKey.new(ck);
  fs.writeFileSync(`${outPrefix}.ClientKey.bin`, ck.safe_serialize(LIMIT));
  fs.writeFileSync(`${outPrefix}.CompactPublicKey.bin`, cpk.safe_serialize(LIMIT));
  const ccpk = tfhe.TfheCompressedCompactPublicKey.new(ck);
  fs.writeFileSync(`${outPrefix}.CompressedCompactPublicKey.bin`, ccpk.safe_serialize(LIMIT));
  fs.writeFileSync(`${outPrefix}.CompactPublicKey.from_compressed.bin`,
                   ccpk.decompress().safe_serialize(LIMIT));
  fs.writeFileSync(`${outPrefix}.FheUint64.bin`,
                   tfhe.FheUint64.encrypt_with_client_key(BigInt(u64), ck).safe_serialize(LIMIT));
  fs.writeFileSync(`${outPrefix}.FheBool.bin`,
                   tfhe.FheBool.encrypt_with_client_key(b === '1', ck).safe_serialize(LIMIT));
  const builder = tfhe.CompactCiphertextList.builder(cpk);
  builder.push_u64(BigInt(u64));
  fs.writeFileSync(`${outPrefix}.list.bin`, builder.build().safe_serialize(LIMIT));
  out('generated', 1);
}

const commands = {
  'load-keys': loadKeys,
  'load-cpk': loadCpk,
  'encrypt-list': encryptList,
  'encrypt-u8-pair': encryptU8Pair,
  decrypt,
  generate,
};
if (!commands[command]) throw new Error(`unknown command ${command}`);
commands[command](...args);
