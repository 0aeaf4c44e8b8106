// node-tfhe side of tests/interop/tfhe_expand_interop_test.cc (compact-list expansion and
// computation on node-tfhe's keys). One command per run (node-tfhe's state is process-global):
//
//   node tfhe_expand.js VERSION PROFILE COMMAND ARGS...
//     VERSION  14 (node-tfhe 1.4.0-alpha.3) | 17 (node-tfhe 1.7.0)
//     PROFILE  kms-test | kms-default (the JS configurations of tfhe_interop.js:
//              with_custom_parameters(block).use_dedicated_compact_public_key_parameters(pke))
//
//   keys OUT                     a fresh ClientKey and its CompressedServerKey (with the casting
//                                key); writes OUT.ClientKey.bin, OUT.CompressedServerKey.bin
//   encrypt CK OUT BOOL U8 U64   loads CK, makes its CompactPublicKey, a build() and a
//                                build_packed() list of [BOOL, U8, U64] and FheUint8(U8),
//                                FheUint64(U64), FheBool(BOOL) with the client key; writes
//                                OUT.{CompactPublicKey,build,packed,FheUint8,FheUint64,FheBool}.bin
//   cpk CK OUT                   loads CK and writes its CompactPublicKey to OUT
//   expand CK NAME:FILE:KINDS... loads CK, sets a server key made from it (TfheServerKey.new:
//                                node-tfhe cannot decompress a CompressedServerKey),
//                                safe_deserializes each FILE as a CompactCiphertextList whose
//                                values are KINDS (comma-separated bool | u8 | u64), expands
//                                it and decrypts every value; prints NAME_0, NAME_1, … (0/1
//                                for Booleans, hex for integers)
//   decrypt CK NAME:TYPE:FILE... safe_deserialize each FILE as TYPE (FheUint8 | FheUint64 |
//                                FheBool) and decrypt it with CK; prints `NAME = value` (hex for
//                                integers, 0/1 for Booleans)
//
// Output: `name = value` lines on stdout; any failure throws (exit status 1, message on stderr).
'use strict';
const fs = require('fs');

const [version, profile, command, ...args] = process.argv.slice(2);
const tfhe = require(version === '14' ? 'tfhe14' : version === '17' ? 'tfhe17' : 'no-such-version');
const LIMIT = 1n << 31n;  // the KMS's 2 GiB safe_serialize limit

function config() {
  const {Shortint, ShortintParameters, ShortintParametersName, ShortintEncryptionKeyChoice,
         ShortintCompactPublicKeyEncryptionParameters,
         ShortintCompactPublicKeyEncryptionParametersName} = tfhe;
  let block, pke;
  if (profile === 'kms-test') {
    const tu0 = () => Shortint.try_new_t_uniform(0);
    block = Shortint.new_parameters(1, 1, 256, tu0(), tu0(), 24, 1, 37, 1, 4n, 4n, 5n, -64, 64,
                                    ShortintEncryptionKeyChoice.Big);
    pke = ShortintCompactPublicKeyEncryptionParameters.new_parameters(
        512, tu0(), 4n, 4n, 64, 37, 1, ShortintEncryptionKeyChoice.Small);
  } else if (profile === 'kms-default') {
    block = new ShortintParameters(ShortintParametersName.PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128);
    pke = new ShortintCompactPublicKeyEncryptionParameters(
        ShortintCompactPublicKeyEncryptionParametersName
            .V1_4_PARAM_PKE_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128);
  } else {
    throw new Error(`unknown profile ${profile}`);
  }
  return tfhe.TfheConfigBuilder.with_custom_parameters(block)
      .use_dedicated_compact_public_key_parameters(pke)
      .build();
}

const read = (f) => new Uint8Array(fs.readFileSync(f));
const out = (name, value) => console.log(`${name} = ${value}`);
const loadClientKey = (f) => tfhe.TfheClientKey.safe_deserialize(read(f), LIMIT);

function keys(outPrefix) {
  const ck = tfhe.TfheClientKey.generate(config());
  const csk = tfhe.TfheCompressedServerKey.new(ck);
  fs.writeFileSync(`${outPrefix}.ClientKey.bin`, ck.safe_serialize(LIMIT));
  fs.writeFileSync(`${outPrefix}.CompressedServerKey.bin`, csk.safe_serialize(LIMIT));
  out('keys', 1);
}

function encrypt(ckFile, outPrefix, b, u8, u64) {
  const ck = loadClientKey(ckFile);
  const cpk = tfhe.TfheCompactPublicKey.new(ck);
  fs.writeFileSync(`${outPrefix}.CompactPublicKey.bin`, cpk.safe_serialize(LIMIT));
  for (const packed of [false, true]) {
    const builder = tfhe.CompactCiphertextList.builder(cpk);
    builder.push_boolean(b === '1');
    builder.push_u8(Number(u8));
    builder.push_u64(BigInt(u64));
    const list = packed ? builder.build_packed() : builder.build();
    fs.writeFileSync(`${outPrefix}.${packed ? 'packed' : 'build'}.bin`, list.safe_serialize(LIMIT));
  }
  const write = (name, ct) => fs.writeFileSync(`${outPrefix}.${name}.bin`, ct.safe_serialize(LIMIT));
  write('FheUint8', tfhe.FheUint8.encrypt_with_client_key(Number(u8), ck));
  write('FheUint64', tfhe.FheUint64.encrypt_with_client_key(BigInt(u64), ck));
  write('FheBool', tfhe.FheBool.encrypt_with_client_key(b === '1', ck));
  out('encrypted', 1);
}

function cpk(ckFile, outFile) {
  const ck = loadClientKey(ckFile);
  fs.writeFileSync(outFile, tfhe.TfheCompactPublicKey.new(ck).safe_serialize(LIMIT));
  out('cpk', 1);
}

function expand(ckFile, ...items) {
  const ck = loadClientKey(ckFile);
  tfhe.set_server_key(tfhe.TfheServerKey.new(ck));
  for (const item of items) {
    const [name, file, kinds] = item.split(':');
    const e = tfhe.CompactCiphertextList.safe_deserialize(read(file), LIMIT).expand();
    kinds.split(',').forEach((kind, i) => {
      if (kind === 'bool') out(`${name}_${i}`, e.get_bool(i).decrypt(ck) ? 1 : 0);
      else if (kind === 'u8') out(`${name}_${i}`, '0x' + BigInt(e.get_uint8(i).decrypt(ck)).toString(16));
      else if (kind === 'u64') out(`${name}_${i}`, '0x' + BigInt(e.get_uint64(i).decrypt(ck)).toString(16));
      else throw new Error(`bad kind ${kind}`);
    });
  }
}

function decrypt(ckFile, ...items) {
  const ck = loadClientKey(ckFile);
  for (const item of items) {
    const [name, type, file] = item.split(':');
    if (!['FheUint8', 'FheUint64', 'FheBool'].includes(type)) throw new Error(`bad type ${type}`);
    const v = tfhe[type].safe_deserialize(read(file), LIMIT).decrypt(ck);
    out(name, type === 'FheBool' ? (v ? 1 : 0) : '0x' + BigInt(v).toString(16));
  }
}

const commands = {keys, encrypt, cpk, expand, decrypt};
if (!commands[command]) throw new Error(`unknown command ${command}`);
commands[command](...args);
