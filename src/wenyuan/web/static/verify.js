// Wenyuan: check a ledger receipt in the browser, step by step.
//
// The asset page lists an asset's statements, each with a "verify" button. A click fetches
// that entry's receipt bundle from /api/ledger/entries/{index}/receipt (with ?log=ORIGIN for
// an entry of an earlier log of the hand-over chain) and checks it here, in the numbered
// steps of wenyuan.ledger._verify.verify_receipt:
//
//   1. read the bundle            (JSON shape, base64, the entry asked for)
//   2. open the signed note       (C2SP signed note: the log's Ed25519 signature by the vkey
//                                  of the row's own log, and every line of a witness key on
//                                  the page must verify: a bad one fails here, as in Python)
//   3. read the checkpoint        (origin, size, root hash lines)
//   4. witness cosignatures       (distinct witnesses of the page whose C2SP cosignature/v1
//                                  verifies, against the quorum)
//   5. the issuer's signature     (Ed25519 over the RFC 8785 bytes of the statement)
//   6. readable statement = leaf  (the bundle's copies match what the leaf holds)
//   7. the inclusion proof        (RFC 9162 from SHA-256(0x00 ‖ leaf) to the signed root)
//
// Crypto is @noble/ed25519 and @noble/hashes (vendored, see vendor/README.md), on every
// page, not WebCrypto: WebCrypto exists only in secure contexts (https, localhost), and a
// museum's intranet may serve plain http. One code path means one behaviour to test.
// Signatures are checked by Wenyuan's Ed25519 policy (wenyuan.core.keys, docs/ledger.md),
// rule for rule: canonical A and R, neither of small order, S < L, and the cofactorless
// equation [S]B = R + [k]A (noble's own verify is cofactored, so it is not used).
// The texts shown come from the page (#verify-messages), in the reader's language.
//
// A receipt not ready yet (no trusted checkpoint covers the entry: the witnesses are slow)
// is answered 202 with Retry-After; the script waits that long (at most MAX_WAIT seconds)
// and asks again, PENDING_TRIES times in all, before failing step 1 with "HTTP 202".

import * as ed from "./vendor/noble-ed25519/index.js";
import { sha256, sha512 } from "./vendor/noble-hashes/sha2.js";

ed.hashes.sha512 = sha512;

const RECEIPT_FORMAT = "wenyuan-receipt/v1";
const DASH = "\u2014 "; // a signature line starts with an em dash and a space
const KEY_NOTE = 0x01; // plain Ed25519 note signatures, the log's (c2sp.org/signed-note)
const KEY_COSIGNATURE = 0x04; // timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature)
const MAX_TIMESTAMP = (1n << 63n) - 1n;
const COSIGNATURE_HEADER = "cosignature/v1\n";
const PENDING_TRIES = 3; // fetches of a receipt that is not ready (202) before giving up
const MAX_WAIT = 5; // seconds waited at most between them, whatever Retry-After says
const utf8 = new TextEncoder();

/** A check that failed: `key` names the reason's text, `values` fill its %(placeholders)s. */
class StepError extends Error {
  constructor(key, values = {}) {
    super(key);
    this.key = key;
    this.values = values;
  }
}

function fail(key, values) {
  throw new StepError(key, values);
}

// -- bytes ------------------------------------------------------------------------------

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function b64encode(bytes) {
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
}

/** Strict standard base64 (padded, canonical), as the server writes it; else fail. */
function b64decode(text, name) {
  if (typeof text !== "string" || text.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    fail("verify_r_base64", { name });
  }
  let bytes;
  try {
    bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    fail("verify_r_base64", { name });
  }
  if (b64encode(bytes) !== text) fail("verify_r_base64", { name });
  return bytes;
}

// -- the Ed25519 policy ------------------------------------------------------------------

const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n; // L

function littleEndian(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** Why the policy refuses a 32-byte point encoding (a public key or a signature's R), or
 * null: it must be the canonical encoding of a curve point, not of small order. */
export function pointProblem(bytes) {
  let point;
  try {
    point = ed.Point.fromBytes(bytes, false); // strict RFC 8032: y < p, no "-0" x
  } catch {
    return "not the canonical encoding of a curve point";
  }
  return point.isSmallOrder() ? "a point of small order" : null;
}

/** Whether `sig` is a signature of `message` under the 32-byte `key` by every rule of the
 * policy. */
export function verifyEd25519(sig, message, key) {
  if (sig.length !== 64 || key.length !== 32) return false;
  const r = sig.subarray(0, 32);
  if (pointProblem(key) !== null || pointProblem(r) !== null) return false;
  const s = littleEndian(sig.subarray(32));
  if (s >= GROUP_ORDER) return false;
  const A = ed.Point.fromBytes(key, false);
  const R = ed.Point.fromBytes(r, false);
  const k = littleEndian(sha512(concat(r, key, message))) % GROUP_ORDER;
  return ed.Point.BASE.multiply(s, false).equals(R.add(A.multiply(k, false)));
}

// -- RFC 8785 (JCS) for the JSON a statement holds ----------------------------------------

/** A string as RFC 8785 writes it: the short escapes, \u00xx for other controls. */
function jcsString(text) {
  const short = { 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r" };
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (short[c]) out += short[c];
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new Error("a lone surrogate in a string");
      out += text[i] + text[i + 1];
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) throw new Error("a lone surrogate in a string");
    else out += text[i];
  }
  return out + '"';
}

/** The RFC 8785 text of `value`: objects (keys sorted by UTF-16 code units), arrays,
 * strings, safe integers, booleans and null. Anything else is not in a statement. */
export function canonicalJSON(value) {
  if (value === null || value === true || value === false) return String(value);
  if (typeof value === "string") return jcsString(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`the number ${value} is not an integer`);
    return String(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalJSON).join(",") + "]";
  if (typeof value === "object") {
    // Array.prototype.sort compares strings by UTF-16 code units, as RFC 8785 asks.
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => jcsString(k) + ":" + canonicalJSON(value[k])).join(",") + "}";
  }
  throw new Error(`a ${typeof value} is not JSON`);
}

// -- C2SP signed notes ---------------------------------------------------------------------

const KEY_KINDS = {
  [KEY_NOTE]: "an Ed25519 note key (type 0x01)",
  [KEY_COSIGNATURE]: "a cosignature key (type 0x04)",
};

/** `name+hexid+base64(type ‖ key)`: an Ed25519 verifier key of `type`, its id checked;
 * a malformed one fails with the reason `errorKey`. */
function parseVkey(vkey, type, errorKey) {
  if (typeof vkey !== "string") fail(errorKey, { detail: "no key" });
  // The name holds no "+", but the base64 key may: split at the first two only.
  const first = vkey.indexOf("+");
  const second = vkey.indexOf("+", first + 1);
  if (first < 1 || second < 0) fail(errorKey, { detail: "not name+keyid+key" });
  const name = vkey.slice(0, first);
  const hexId = vkey.slice(first + 1, second);
  const material = vkey.slice(second + 1);
  if (/[\s\u0000-\u001f]/u.test(name)) fail(errorKey, { detail: "the key name" });
  if (!/^[0-9a-f]{8}$/.test(hexId)) fail(errorKey, { detail: "the key id" });
  let raw;
  try {
    raw = b64decode(material, "vkey");
  } catch {
    fail(errorKey, { detail: "the key is not base64" });
  }
  if (raw.length !== 33 || raw[0] !== type) fail(errorKey, { detail: `not ${KEY_KINDS[type]}` });
  const problem = pointProblem(raw.slice(1));
  if (problem) fail(errorKey, { detail: `the key is ${problem}` });
  // The key id is the first 4 bytes of SHA-256(name ‖ "\n" ‖ type ‖ key).
  const id = sha256(concat(utf8.encode(name), Uint8Array.of(0x0a), raw)).slice(0, 4);
  if (toHex(id) !== hexId) fail(errorKey, { detail: "the key id does not match the key" });
  return { name, ident: `${name}+${hexId}`, type, key: raw.slice(1), vkey };
}

/** Whether `sig` is `key`'s plain Ed25519 signature of the note text. */
function verifyNoteSignature(key, text, sig) {
  try {
    return verifyEd25519(sig, utf8.encode(text), key.key);
  } catch {
    return false;
  }
}

/** The timestamp of a cosignature/v1 (8 bytes, big-endian), or null if out of range. */
function cosignatureTime(data) {
  let time = 0n;
  for (const byte of data.slice(0, 8)) time = (time << 8n) | BigInt(byte);
  return time > MAX_TIMESTAMP ? null : time;
}

/** Whether `data` (timestamp ‖ Ed25519 signature) is `key`'s cosignature/v1 of the note
 * text: a signature over "cosignature/v1\ntime T\n" and the checkpoint body. The spec
 * defines cosignatures over checkpoints only: on any other text none verifies. */
function verifyCosignature(key, text, data) {
  if (data.length !== 8 + 64) return false;
  const time = cosignatureTime(data);
  if (time === null) return false;
  try {
    parseCheckpoint(text);
  } catch {
    return false;
  }
  const message = utf8.encode(`${COSIGNATURE_HEADER}time ${time}\n${text}`);
  try {
    return verifyEd25519(data.slice(8), message, key.key);
  } catch {
    return false;
  }
}

/** Split a note into its text (ending in "\n") and signature lines {name, id, sig}. */
function splitNote(note) {
  const at = note.lastIndexOf("\n\n");
  if (at < 0) fail("verify_r_note", { detail: "no blank line before the signatures" });
  const text = note.slice(0, at + 1);
  const block = note.slice(at + 2);
  if (!block.endsWith("\n")) fail("verify_r_note", { detail: "no signature lines" });
  const signatures = block
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      if (!line.startsWith(DASH)) fail("verify_r_note", { detail: "a line without '— '" });
      const [name, encoded, ...rest] = line.slice(DASH.length).split(" ");
      if (!name || encoded === undefined || rest.length) {
        fail("verify_r_note", { detail: "a signature line is not '— name signature'" });
      }
      const data = b64decode(encoded, "signature");
      if (data.length < 5) fail("verify_r_note", { detail: "a signature is too short" });
      return { name, id: data.slice(0, 4), sig: data.slice(4) };
    });
  return { text, signatures };
}

// -- RFC 9162 inclusion proof --------------------------------------------------------------

const node = (left, right) => sha256(concat(Uint8Array.of(0x01), left, right));

/** The root `proof` leads to from `leafHash` at `index` in a tree of `size` (RFC 9162
 * 2.1.3.2). BigInt, because sizes go past the 32 bits JavaScript's bit operators use. */
function rootFromInclusionProof(leafHash, index, size, proof) {
  if (!(index >= 0 && index < size)) fail("verify_r_proof_shape", { detail: "index ≥ size" });
  proof.forEach((hash) => {
    if (hash.length !== 32) fail("verify_r_proof_shape", { detail: "a hash is not 32 bytes" });
  });
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let result = leafHash;
  for (const sibling of proof) {
    if (sn === 0n) fail("verify_r_proof_shape", { detail: "too many hashes" });
    if (fn & 1n || fn === sn) {
      result = node(sibling, result);
      if (!(fn & 1n)) {
        while (fn && !(fn & 1n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      result = node(result, sibling);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail("verify_r_proof_shape", { detail: "too few hashes" });
  return result;
}

// -- the steps -----------------------------------------------------------------------------
// Each step takes the shared state `s`, adds what later steps need, and returns an optional
// note to show beside its tick; a failed check throws StepError.

function readBundle(s) {
  const b = s.bundle;
  if (b === null || typeof b !== "object" || Array.isArray(b)) fail("verify_r_json");
  if ((b.format ?? RECEIPT_FORMAT) !== RECEIPT_FORMAT) {
    fail("verify_r_format", { detail: JSON.stringify(b.format) });
  }
  for (const name of ["leaf_index", "tree_size"]) {
    if (!Number.isSafeInteger(b[name]) || b[name] < 0) fail("verify_r_field", { name });
  }
  for (const name of ["checkpoint", "leaf"]) {
    if (typeof b[name] !== "string") fail("verify_r_field", { name });
  }
  if (!Array.isArray(b.inclusion_proof)) fail("verify_r_field", { name: "inclusion_proof" });
  if (b.leaf_index !== s.index) fail("verify_r_index", { detail: b.leaf_index, index: s.index });
  s.leaf = b64decode(b.leaf, "leaf");
  s.proof = b.inclusion_proof.map((p, i) => b64decode(p, `inclusion_proof[${i}]`));
}

function openNote(s) {
  if (typeof s.vkey !== "string") fail("verify_r_no_log_key", { log: s.log });
  const logKey = parseVkey(s.vkey, KEY_NOTE, "verify_r_vkey");
  // Distinct witnesses: the same vkey listed twice is one witness.
  const witnesses = [...new Set(s.witnessKeys)].map((vkey) =>
    parseVkey(vkey, KEY_COSIGNATURE, "verify_r_witness_key"),
  );
  const { text, signatures } = splitNote(s.bundle.checkpoint);
  // The keys the page knows, by name and key id; the same key twice counts once.
  const known = new Map();
  for (const key of [logKey, ...witnesses]) {
    const same = known.get(key.ident) ?? [];
    if (!same.some((k) => k.type === key.type && equal(k.key, key.key))) same.push(key);
    known.set(key.ident, same);
  }
  // Every signature line of a known key must verify (c2sp.org/signed-note); others are
  // ignored, as a verifier ignores keys it does not trust.
  const verified = new Set();
  for (const sig of signatures) {
    const ident = `${sig.name}+${toHex(sig.id)}`;
    const candidates = known.get(ident);
    if (!candidates) continue;
    if (candidates.length > 1) fail("verify_r_ambiguous_key", { name: ident });
    const [key] = candidates;
    if (key.type === KEY_NOTE) {
      if (!verifyNoteSignature(key, text, sig.sig)) fail("verify_r_bad_sig");
    } else if (!verifyCosignature(key, text, sig.sig)) {
      fail("verify_r_bad_cosig", { name: key.name });
    }
    verified.add(key);
  }
  if (!verified.has(logKey)) fail("verify_r_unsigned", { name: logKey.name });
  s.text = text;
  s.witnesses = witnesses;
  s.cosigned = witnesses.filter((w) => verified.has(w));
  return logKey.ident;
}

/** The origin, size text and root hash of a checkpoint body; else fail (step 3's reason). */
function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split("\n");
  if (!text.endsWith("\n") || lines.length < 3 || lines.some((line) => !line)) {
    fail("verify_r_checkpoint", { detail: "origin, size and root lines" });
  }
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || BigInt(sizeText) >= 1n << 64n) {
    fail("verify_r_checkpoint", { detail: "size" });
  }
  let root;
  try {
    root = b64decode(rootText, "root");
  } catch {
    fail("verify_r_checkpoint", { detail: "root hash" });
  }
  if (root.length !== 32) fail("verify_r_checkpoint", { detail: "root hash" });
  return { origin, sizeText, root };
}

function readCheckpoint(s) {
  const { origin, sizeText, root } = parseCheckpoint(s.text);
  if (sizeText !== String(s.bundle.tree_size)) {
    fail("verify_r_size", { detail: sizeText, size: s.bundle.tree_size });
  }
  for (const expected of [s.origin, s.bundle.origin ?? origin]) {
    if (origin !== expected) fail("verify_r_origin", { detail: origin, origin: expected });
  }
  s.root = root;
  return `${origin} · ${sizeText}`;
}

function countWitnesses(s) {
  const count = s.cosigned.length;
  const quorum = s.quorum;
  if (quorum > s.witnesses.length) {
    fail("verify_r_witness_keys", { quorum, count: s.witnesses.length });
  }
  if (count < quorum) fail("verify_r_quorum", { count, quorum });
  if (!count) return s.messages.verify_no_quorum;
  const names = s.cosigned.map((w) => w.name).join(", ");
  return format(s.messages, "verify_witnesses_ok", { count, quorum, names });
}

/** Every key a statement names (its issuer, `to`, `licensee`, the key of a `new_vkey`)
 * must pass the policy, as the server checks at submission. */
function checkStatementKeys(statement) {
  for (const name of ["issuer", "to", "licensee"]) {
    if (typeof statement[name] !== "string") continue;
    const problem = pointProblem(b64decode(statement[name], name));
    if (problem) fail("verify_r_policy", { name, detail: problem });
  }
  if (typeof statement.new_vkey === "string") {
    const material = statement.new_vkey.split("+").slice(2).join("+");
    const raw = b64decode(material, "new_vkey");
    const problem = raw.length === 33 ? pointProblem(raw.slice(1)) : null;
    if (problem) fail("verify_r_policy", { name: "new_vkey", detail: problem });
  }
}

function checkStatementSignature(s) {
  let envelope;
  try {
    envelope = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(s.leaf));
  } catch (error) {
    fail("verify_r_leaf", { detail: error.message });
  }
  const keys = envelope && typeof envelope === "object" ? Object.keys(envelope).sort() : [];
  if (keys.join() !== "key,sig,statement" || typeof envelope.statement !== "object") {
    fail("verify_r_leaf", { detail: 'not {"key", "sig", "statement"}' });
  }
  const statement = envelope.statement;
  const key = b64decode(envelope.key, "key");
  const sig = b64decode(envelope.sig, "sig");
  if (key.length !== 32 || sig.length !== 64) fail("verify_r_leaf", { detail: "key or sig size" });
  if (envelope.key !== statement.issuer) fail("verify_r_issuer");
  checkStatementKeys(statement);
  const problem = pointProblem(sig.subarray(0, 32));
  if (problem) fail("verify_r_policy", { name: "sig (R)", detail: problem });
  if (littleEndian(sig.subarray(32)) >= GROUP_ORDER) {
    fail("verify_r_policy", { name: "sig (S)", detail: "S ≥ L" });
  }
  let ok = false;
  try {
    ok = verifyEd25519(sig, utf8.encode(canonicalJSON(statement)), key);
  } catch {
    ok = false;
  }
  if (!ok) fail("verify_r_statement_sig");
  // One statement has one leaf: the leaf must be the canonical form of its envelope.
  if (!equal(utf8.encode(canonicalJSON(envelope)), s.leaf)) fail("verify_r_canonical");
  s.envelope = envelope;
  return `${statement.kind} · ${envelope.key.slice(0, 8)}…`;
}

function compareReadable(s) {
  const b = s.bundle;
  const leafStatement = canonicalJSON(s.envelope.statement);
  if ("statement" in b && canonicalJSON(b.statement) !== leafStatement) {
    fail("verify_r_readable", { name: "statement" });
  }
  if ("signature" in b && b.signature !== s.envelope.sig) {
    fail("verify_r_readable", { name: "signature" });
  }
  if ("issuer" in b && b.issuer !== s.envelope.statement.issuer) {
    fail("verify_r_readable", { name: "issuer" });
  }
}

function checkInclusion(s) {
  const leafHash = sha256(concat(Uint8Array.of(0x00), s.leaf));
  const computed = rootFromInclusionProof(
    leafHash,
    s.bundle.leaf_index,
    s.bundle.tree_size,
    s.proof,
  );
  if (!equal(computed, s.root)) fail("verify_r_root");
  return `${s.bundle.leaf_index} / ${s.bundle.tree_size}`;
}

const STEPS = [
  readBundle,
  openNote,
  readCheckpoint,
  countWitnesses,
  checkStatementSignature,
  compareReadable,
  checkInclusion,
];

// -- the page ------------------------------------------------------------------------------

/** The text `key` with `values` in its gettext placeholders, `%(name)s`. */
function format(messages, key, values = {}) {
  const text = messages[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
}

function showStep(list, number, state, label, note) {
  const item = document.createElement("li");
  item.className = state;
  item.dataset.step = String(number);
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.textContent = { passed: "✓", failed: "✗", skipped: "–" }[state];
  item.append(mark, label);
  if (note) {
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = ` — ${note}`;
    item.append(reason);
  }
  list.append(item);
}

/** The receipt's address: the open log's entries by index, an earlier log's with ?log=. */
function receiptUrl(index, log, page) {
  const url = `/api/ledger/entries/${index}/receipt`;
  return log === page.origin ? url : `${url}?log=${encodeURIComponent(log)}`;
}

/** Seconds a 202 asks to wait (Retry-After), within 1..MAX_WAIT. */
function retryAfter(response) {
  const seconds = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
  return Math.min(Math.max(Number.isNaN(seconds) ? 1 : seconds, 1), MAX_WAIT);
}

async function fetchBundle(url) {
  let response;
  for (let tries = 1; ; tries += 1) {
    try {
      response = await fetch(url, { headers: { accept: "application/json" } });
    } catch (error) {
      fail("verify_r_fetch", { detail: error.message });
    }
    if (response.status !== 202) break;
    const seconds = retryAfter(response);
    if (tries >= PENDING_TRIES) {
      fail("verify_r_fetch", { detail: `HTTP 202, Retry-After: ${seconds}` });
    }
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
  if (!response.ok) fail("verify_r_fetch", { detail: `HTTP ${response.status}` });
  try {
    return await response.json();
  } catch {
    fail("verify_r_json");
  }
}

/** Run the steps for entry `index` of `log`, showing each in `list` and the verdict in
 * `result`; the checkpoint must be that log's (origin) and signed by that log's key. */
async function verifyEntry(index, log, list, result, page) {
  const s = {
    messages: page.messages,
    witnessKeys: page.witnesses,
    quorum: page.quorum,
    index,
    log,
    origin: log,
    vkey: page.logs[log],
  };
  list.replaceChildren();
  result.className = "verify-result";
  result.textContent = page.messages.verify_running;
  let number = 0;
  try {
    number = 1;
    s.bundle = await fetchBundle(receiptUrl(index, log, page));
    for (const [position, step] of STEPS.entries()) {
      number = position + 1;
      const note = step(s);
      showStep(list, number, "passed", page.messages[`verify_step_${number}`], note);
    }
  } catch (error) {
    const reason =
      error instanceof StepError
        ? format(page.messages, error.key, error.values)
        : format(page.messages, "verify_r_error", { detail: error.message });
    showStep(list, number, "failed", page.messages[`verify_step_${number}`], reason);
    result.className = "verify-result failed";
    result.textContent = page.messages.verify_failed;
    return false;
  }
  result.className = "verify-result passed";
  result.textContent = page.messages.verify_ok;
  return true;
}

/** What the page hands the script: texts, each log's vkey, the witnesses and the quorum. */
function readPage(section) {
  const json = (id) => {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  };
  const messages = json("verify-messages");
  if (!messages) return null;
  const keys = json("verify-keys") ?? {};
  const origin = section.dataset.origin;
  return {
    origin,
    logs: keys.logs ?? { [origin]: section.dataset.vkey },
    witnesses: Array.isArray(keys.witnesses) ? keys.witnesses : [],
    quorum: Number(keys.quorum ?? section.dataset.quorum ?? 0),
    messages,
  };
}

function start() {
  const section = document.getElementById("history");
  const page = section && readPage(section);
  if (!page) return;
  for (const button of section.querySelectorAll("button.verify")) {
    const index = Number(button.dataset.index);
    const log = button.dataset.log || page.origin;
    // Two logs may both have an entry `index`: the row below the button is this one's.
    const row = button.closest("tr").nextElementSibling;
    button.hidden = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      row.hidden = false;
      try {
        const list = row.querySelector(".verify-steps");
        await verifyEntry(index, log, list, row.querySelector(".verify-result"), page);
      } finally {
        button.disabled = false;
      }
    });
  }
  section.dataset.ready = "true";
}

// Not in a page (a unit test under Node imports canonicalJSON): nothing to start.
if (typeof document !== "undefined") start();
