// Writes acvp_vectors.txt: a few official NIST ACVP vectors for ML-KEM (revision FIPS203) in the
// format of noble_vectors.txt. The inputs are the ACVP-Server JSON files of version v1.1.0.40
// (usnistgov/ACVP-Server, gen-val/json-files/ML-KEM-keyGen-FIPS203 and
// ML-KEM-encapDecap-FIPS203, prompt.json + expectedResults.json), e.g. as copied into
// pq-code-package/mlkem-native@a00cc0de:test/acvp_data/acvp_v1.1.0.40_*.json:
//
//   node extract_acvp.mjs keyGen_prompt.json keyGen_expectedResults.json \
//        encapDecap_prompt.json encapDecap_expectedResults.json > acvp_vectors.txt
//
// Uses node:crypto only (no npm package), so it runs before `npm ci`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [keyGenPrompt, keyGenExpected, encapPrompt, encapExpected] = process.argv
  .slice(2)
  .map((f) => JSON.parse(readFileSync(f, 'utf8')));
if (!encapExpected) {
  console.error('usage: node extract_acvp.mjs KEYGEN_PROMPT KEYGEN_EXPECTED ENCAP_PROMPT ENCAP_EXPECTED');
  process.exit(2);
}
const SETS = ['ML-KEM-512', 'ML-KEM-1024'];
const PER_SET = { 'ML-KEM-512': 2, 'ML-KEM-1024': 1 };  // keyGen and encapsulation vectors
const lower = (h) => h.toLowerCase();
const J = (z, c) =>
  createHash('shake256', { outputLength: 32 }).update(Buffer.concat([z, c])).digest('hex');

// [prompt group, expected group] pairs, with the expected tests indexed by tcId.
function groups(prompt, expected) {
  return prompt.testGroups.map((g) => {
    const e = expected.testGroups.find((x) => x.tgId === g.tgId);
    return [g, new Map(e.tests.map((t) => [t.tcId, t]))];
  });
}

const out = [];
out.push('# NIST ACVP known answers for ML-KEM (revision FIPS203), ACVP-Server v1.1.0.40, written by');
out.push('# tests/crypto/ml_kem_kat/extract_acvp.mjs; do not edit. kind = keyGen (d, z -> ek, dk),');
out.push('# encapsulation (ek, m -> c, k), decapsulation (dk, c -> k; `rejected` says k = J(z || c)),');
out.push('# encapsulationKeyCheck / decapsulationKeyCheck (ek or dk -> passed).');
const record = (fields) => {
  out.push('');
  for (const [k, v] of Object.entries(fields)) out.push(`${k} = ${v}`);
};

for (const [g, expected] of groups(keyGenPrompt, keyGenExpected)) {
  if (!SETS.includes(g.parameterSet)) continue;
  for (const t of g.tests.slice(0, PER_SET[g.parameterSet])) {
    const e = expected.get(t.tcId);
    record({ kind: 'keyGen', set: g.parameterSet, tcId: t.tcId, d: lower(t.d), z: lower(t.z),
             ek: lower(e.ek), dk: lower(e.dk) });
  }
}

for (const [g, expected] of groups(encapPrompt, encapExpected)) {
  if (!SETS.includes(g.parameterSet)) continue;
  if (g.function === 'encapsulation') {
    for (const t of g.tests.slice(0, PER_SET[g.parameterSet])) {
      const e = expected.get(t.tcId);
      record({ kind: 'encapsulation', set: g.parameterSet, tcId: t.tcId, ek: lower(t.ek),
               m: lower(t.m), c: lower(e.c), k: lower(e.k) });
    }
  } else if (g.function === 'decapsulation') {
    // One accepted and one implicitly rejected ciphertext per set.
    const picked = { false: 0, true: 0 };
    for (const t of g.tests) {
      const e = expected.get(t.tcId);
      const dk = Buffer.from(t.dk, 'hex');
      const rejected = J(dk.subarray(dk.length - 32), Buffer.from(t.c, 'hex')) === lower(e.k);
      if (picked[rejected]++ >= 1) continue;
      record({ kind: 'decapsulation', set: g.parameterSet, tcId: t.tcId, dk: lower(t.dk),
               c: lower(t.c), k: lower(e.k), rejected });
    }
  } else {
    // Key checks: two failing cases and one passing case per set.
    const key = g.function === 'encapsulationKeyCheck' ? 'ek' : 'dk';
    const picked = { false: 0, true: 0 };
    for (const t of g.tests) {
      const e = expected.get(t.tcId);
      if (picked[e.testPassed]++ >= (e.testPassed ? 1 : 2)) continue;
      record({ kind: g.function, set: g.parameterSet, tcId: t.tcId, [key]: lower(t[key]),
               passed: e.testPassed });
    }
  }
}
process.stdout.write(out.join('\n') + '\n');
