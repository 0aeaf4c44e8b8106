// Driven by tests/interop/tkms_node_interop_test.cc: runs node-tkms 0.12.8 and ethers on JSON
// written by the C++ test and prints `name = value` lines.
//   keygen                 -> pk = <869-byte enc_key hex>, sk = <bincode dk hex>
//   roundtrip_pk <hex>     -> pk = ml_kem_pke_pk_to_u8vec(u8vec_to_ml_kem_pke_pk(hex))
//   pke_decrypt <json>     -> pt = ml_kem_pke_decrypt(ct, sk)          {ct, sk}
//   decrypt <json>         -> plaintext_i = <fhe_type>:<big-endian hex> | error = <message>
//   verify_typed <json>    -> signer = ethers.verifyTypedData(domain, types, value, sig)
'use strict';
const fs = require('fs');
const tkms = require('node-tkms');
const { ethers } = require('ethers');

const hex = (u8) => Buffer.from(u8).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const [cmd, arg] = process.argv.slice(2);

if (cmd === 'keygen') {
  const sk = tkms.ml_kem_pke_keygen();
  const pk = tkms.ml_kem_pke_get_pk(sk);
  console.log(`pk = ${hex(tkms.ml_kem_pke_pk_to_u8vec(pk))}`);
  console.log(`sk = ${hex(tkms.ml_kem_pke_sk_to_u8vec(sk))}`);
} else if (cmd === 'roundtrip_pk') {
  const pk = tkms.u8vec_to_ml_kem_pke_pk(bytes(arg));
  console.log(`pk = ${hex(tkms.ml_kem_pke_pk_to_u8vec(pk))}`);
} else if (cmd === 'pke_decrypt') {
  const j = JSON.parse(fs.readFileSync(arg, 'utf8'));
  const sk = tkms.u8vec_to_ml_kem_pke_sk(bytes(j.sk));
  console.log(`pt = ${hex(tkms.ml_kem_pke_decrypt(bytes(j.ct), sk))}`);
} else if (cmd === 'decrypt') {
  const j = JSON.parse(fs.readFileSync(arg, 'utf8'));
  try {
    const client = tkms.new_client(j.servers.map((s) => tkms.new_server_id_addr(s.id, s.address)),
                                   j.request.client_address, 'default');
    const sk = tkms.u8vec_to_ml_kem_pke_sk(bytes(j.sk));
    const pk = tkms.u8vec_to_ml_kem_pke_pk(bytes(j.pk));
    const domain = { ...j.domain, chain_id: new Uint8Array(j.domain.chain_id), salt: null };
    const out = tkms.process_user_decryption_resp_from_js(client, j.request, domain, j.agg_resp,
                                                          pk, sk, true);
    out.forEach((p, i) => console.log(`plaintext_${i} = ${p.fhe_type}:${hex(p.bytes)}`));
    console.log(`count = ${out.length}`);
  } catch (e) {
    console.log(`error = ${String(e && e.message ? e.message : e).replace(/\n/g, ' ')}`);
  }
} else if (cmd === 'verify_typed') {
  const j = JSON.parse(fs.readFileSync(arg, 'utf8'));
  for (const [i, c] of j.cases.entries()) {
    const value = JSON.parse(JSON.stringify(c.value));
    console.log(`signer_${i} = ${ethers.verifyTypedData(c.domain, c.types, value, c.signature)}`);
    console.log(`digest_${i} = ${ethers.TypedDataEncoder.hash(c.domain, c.types, value)}`);
  }
} else {
  console.error(`unknown command ${cmd}`);
  process.exit(2);
}
