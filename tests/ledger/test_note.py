"""Signed notes, checkpoints and cosignatures match the C2SP specs and other implementations."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wenyuan.core.errors import InvalidInput
from wenyuan.ledger._note import (
    ALG_COSIGNATURE_V1,
    MAX_SIGNATURES,
    Checkpoint,
    CosignatureVerifier,
    KeyFormatError,
    NoteError,
    NoteSigner,
    NoteVerifier,
    Signature,
    SignatureError,
    Verifier,
    cosign,
    cosignature_message,
    cosignature_timestamp,
    is_valid_key_name,
    key_id,
    open_note,
    parse_vkey,
    sign_note,
    split_note,
)

# -- known answers --------------------------------------------------------------------------

# c2sp.org/signed-note, section "Verifier keys / Example".
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2"
    "ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# golang.org/x/mod/sumdb/note, note_test.go (TestNewSigner, TestSign, TestOpen).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpR"
    "Zb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33"
    "WWd1RvMc+QQ=\n"
)

# A checkpoint of the staging CT log arche2025h1.staging.ct.transparency.dev as served with the
# cosignatures of four public witnesses (Go implementations), as captured in a public test
# suite; the vkeys are those the log and witness operators publish (transparency.dev/witnesses,
# remora.n621.de, witness.stagemole.eu, witness1.smartit.nu). The first signature line is an
# RFC 6962 tree head signature (type 0x05), which we do not verify and must ignore.
REAL_CHECKPOINT = """arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
"""  # noqa: E501
REAL_LOG_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
REAL_WITNESS_VKEYS = [
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
]

# c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature examples.
SPEC_CHECKPOINT_BODY = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)


@pytest.fixture
def log_signer() -> NoteSigner:
    """A log's signing key."""
    return NoteSigner.generate("example.com/log")


@pytest.fixture
def witness_signer() -> NoteSigner:
    """A witness's signing key."""
    return NoteSigner.generate("witness.example/w1")


def test_spec_example_note_verifies() -> None:
    """The signed-note spec's example note opens with the spec's vkey."""
    verifier = NoteVerifier.from_vkey(SPEC_VKEY)
    opened = open_note(SPEC_NOTE, [verifier])
    assert opened.text == "This is an example message.\n"
    assert [(s.name, s.key_id) for s in opened.signatures] == [("example.com/foo", 0x530D903A)]
    assert verifier.public_key == bytes.fromhex(
        "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4"
    )


def test_go_signer_key_gives_go_vkey_and_signature() -> None:
    """Our signer key parse, vkey and signature equal golang.org/x/mod/sumdb/note's bytes."""
    signer = NoteSigner.from_signer_key(PETER_SKEY)
    assert signer.vkey() == PETER_VKEY
    assert signer.signer_key() == PETER_SKEY
    assert sign_note(GO_TEXT, [signer]) == GO_TEXT + "\n" + PETER_SIG


def test_go_note_opens_with_one_or_both_keys() -> None:
    """Signatures from unknown keys are kept unverified; known ones are verified."""
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    peter, enoch = NoteVerifier.from_vkey(PETER_VKEY), NoteVerifier.from_vkey(ENOCH_VKEY)
    one = open_note(note, [peter])
    assert [s.name for s in one.signatures] == ["PeterNeumann"]
    assert [s.name for s in one.unverified] == ["EnochRoot"]
    both = open_note(note, [peter, enoch])
    assert [s.name for s in both.signatures] == ["PeterNeumann", "EnochRoot"]
    assert both.unverified == ()
    assert both.signed_by(enoch) is not None


def test_real_checkpoint_verifies_with_log_and_four_witnesses() -> None:
    """A real CT log checkpoint and its four witnesses' cosignature/v1 lines verify."""
    verifiers: list[Verifier] = [NoteVerifier.from_vkey(REAL_LOG_VKEY)]
    verifiers += [CosignatureVerifier.from_vkey(k) for k in REAL_WITNESS_VKEYS]
    opened = open_note(REAL_CHECKPOINT, verifiers)
    assert len(opened.signatures) == 5
    assert len(opened.unverified) == 1  # the RFC 6962 signature (type 0x05)
    assert [cosignature_timestamp(s) for s in opened.signatures[1:]] == [1779573024] * 4
    checkpoint = Checkpoint.parse(opened.text)
    assert (checkpoint.origin, checkpoint.size) == (
        "arche2025h1.staging.ct.transparency.dev",
        1432088532,
    )
    assert checkpoint.body() == opened.text


def test_real_checkpoint_with_changed_size_fails() -> None:
    """Changing the size of the real checkpoint breaks every cosignature."""
    forged = REAL_CHECKPOINT.replace("1432088532", "1432088533")
    for vkey in REAL_WITNESS_VKEYS:
        with pytest.raises(SignatureError):
            open_note(forged, [CosignatureVerifier.from_vkey(vkey)])


def test_cosignature_message_is_the_spec_example() -> None:
    """The cosigned message is header, time line, then the checkpoint body (tlog-cosignature)."""
    expected = (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    assert cosignature_message(SPEC_CHECKPOINT_BODY, 1679315147) == expected


def test_spec_cosignature_line_timestamp() -> None:
    """The spec's example cosignature carries key id 0x8d66cf3f and time 1679315147."""
    line = (
        "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
        "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    signature = Signature.parse_line(line)
    assert signature.key_id == 0x8D66CF3F
    assert cosignature_timestamp(signature) == 1679315147


def test_transparency_dev_timestamp_vectors() -> None:
    """transparency-dev/formats note_cosigv1_test.go: a cosignature's time; a plain sig is none."""
    cosig = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJ"
        "XORmnFBOBA=="
    )
    assert cosignature_timestamp(Signature("x", 0, cosig[4:])) == 1727964367
    plain = base64.b64decode(
        "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
    )
    with pytest.raises(NoteError, match="cosignature-length"):
        cosignature_timestamp(Signature("x", 0, plain[4:]))


@pytest.mark.parametrize(
    "vkey",
    [
        "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    ],
    ids=["ed25519-key-with-plus-in-base64", "cosignature-v1-key"],
)
def test_transparency_dev_vkeys_parse_and_round_trip(vkey: str) -> None:
    """Vkeys from transparency-dev/formats tests parse (key ids check) and re-encode exactly."""
    assert parse_vkey(vkey).vkey() == vkey


def test_cosignature_key_id_uses_type_0x04(witness_signer: NoteSigner) -> None:
    """A cosigner's key id hashes the type byte 0x04, so it differs from its note key id."""
    verifier = witness_signer.cosignature_verifier()
    expected = hashlib.sha256(
        witness_signer.name.encode() + b"\n\x04" + witness_signer.public_key
    ).digest()[:4]
    assert verifier.key_id == int.from_bytes(expected, "big")
    assert verifier.key_id != witness_signer.key_id
    assert key_id(witness_signer.name, ALG_COSIGNATURE_V1, witness_signer.public_key) == (
        verifier.key_id
    )


# -- key text ---------------------------------------------------------------------------------


def _manglings(text: str) -> set[str]:
    """Every proper substring and every one-character increment (after the Go tests)."""
    out = {text[i:j] for i in range(len(text) + 1) for j in range(i + 1, len(text) + 1)}
    out |= {text[:i] + chr(ord(text[i]) + 1) + text[i + 1 :] for i in range(len(text))}
    out.discard(text)
    return out


def test_every_mangled_vkey_is_rejected() -> None:
    """No substring or one-character change of a vkey parses (sumdb/note TestNewVerifier)."""
    for mangled in _manglings(PETER_VKEY):
        with pytest.raises(KeyFormatError):
            NoteVerifier.from_vkey(mangled)


def test_every_mangled_signer_key_is_rejected_without_echo() -> None:
    """No mangled signer key parses, and no error quotes it (sumdb/note TestNewSigner)."""
    for mangled in _manglings(PETER_SKEY):
        with pytest.raises(KeyFormatError) as caught:
            NoteSigner.from_signer_key(mangled)
        assert "AYEKFALV" not in str(caught.value)


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "base64"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "type"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hex"),
    ],
    ids=["wrong-length", "unknown-type", "uppercase-hex"],
)
def test_vkey_rejections(vkey: str, reason: str) -> None:
    """Wrong key length, unknown type and non-lowercase key ids are refused."""
    with pytest.raises(KeyFormatError, match=reason):
        NoteVerifier.from_vkey(vkey)


def test_note_verifier_refuses_cosignature_vkey(witness_signer: NoteSigner) -> None:
    """A 0x04 cosigner vkey is not a note vkey, and the reverse."""
    with pytest.raises(KeyFormatError, match="0x04"):
        NoteVerifier.from_vkey(witness_signer.cosignature_verifier().vkey())
    with pytest.raises(KeyFormatError, match="0x01"):
        CosignatureVerifier.from_vkey(witness_signer.vkey())


def test_signer_repr_hides_the_key(log_signer: NoteSigner) -> None:
    """A signer's repr names the key but never holds the secret seed."""
    secret = log_signer.signer_key().split("+", 4)[4]  # PRIVATE+KEY+name+id+base64 (may hold "+")
    assert len(secret) == 44
    assert secret not in repr(log_signer)
    assert "example.com/log" in repr(log_signer)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("example.com/log", True),
        ("名前", True),
        ("", False),
        ("a b", False),
        ("a+b", False),
        ("a\u00a0b", False),
        ("a\u3000b", False),
        ("a\tb", False),
    ],
    ids=["url", "cjk", "empty", "space", "plus", "nbsp", "ideographic-space", "tab"],
)
def test_key_name_rules(name: str, valid: bool) -> None:
    """Key names are non-empty, without Unicode spaces or '+'."""
    assert is_valid_key_name(name) is valid


# -- note rules -------------------------------------------------------------------------------

_PETER = NoteVerifier.from_vkey(PETER_VKEY)


@pytest.mark.parametrize(
    ("note", "rule"),
    [
        (GO_TEXT, "blank-line"),
        (GO_TEXT + "\n", "signatures"),
        (GO_TEXT + "\n" + PETER_SIG[:-1], "signature-newline"),
        ("\x01" + GO_TEXT + "\n" + PETER_SIG, "characters"),
        (b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode(), "utf-8"),
        ("\ud800" + GO_TEXT + "\n" + PETER_SIG, "characters"),
        (GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"), "key-name"),
        (GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"), "key-name"),
        (GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "signature-line"),
        (GO_TEXT + "\n" + PETER_SIG.replace("— ", "- "), "signature-line"),
        (GO_TEXT + "\n" + PETER_SIG.replace("— ", "—"), "signature-line"),
        (GO_TEXT + "\n" + PETER_SIG.replace("AM=", "AM"), "signature-base64"),
        (GO_TEXT + "\n" + PETER_SIG.replace("AM=", "AN="), "signature-base64"),
        (GO_TEXT + "\n" + PETER_SIG.replace("x08g", "x0_g"), "signature-base64"),
        (GO_TEXT + "\n— PeterNeumann x08gow==\n", "signature-length"),
        (GO_TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), "too-many-signatures"),
        (GO_TEXT + "\n" + PETER_SIG + "\r\n", "characters"),
    ],
    ids=[
        "no-blank-line",
        "no-signatures",
        "no-final-newline",
        "control-character",
        "invalid-utf8",
        "lone-surrogate",
        "space-in-name",
        "plus-in-name",
        "unexpected-line",
        "hyphen-not-em-dash",
        "no-space-after-dash",
        "missing-padding",
        "non-canonical-base64",
        "bad-base64-character",
        "signature-too-short",
        "101-signatures",
        "carriage-return",
    ],
)
def test_malformed_notes_are_refused(note: str | bytes, rule: str) -> None:
    """Each rule of c2sp.org/signed-note is enforced, and the error names it."""
    with pytest.raises(NoteError) as caught:
        open_note(note, [_PETER])
    assert caught.value.rule == rule
    assert isinstance(caught.value, InvalidInput)


def test_error_names_the_line() -> None:
    """A bad signature line is reported with its line number in the note."""
    note = GO_TEXT + "\n" + PETER_SIG + "— Bad Name AAAA\n"
    with pytest.raises(NoteError) as caught:
        open_note(note, [_PETER])
    assert caught.value.line == 5
    assert "line 5" in str(caught.value)


def test_sign_note_requires_final_newline(log_signer: NoteSigner) -> None:
    """A note text must end in a newline."""
    with pytest.raises(NoteError, match="text-ends-in-newline"):
        sign_note("abc", [log_signer])


def test_sign_note_requires_a_signer() -> None:
    """A note without signatures cannot be produced."""
    with pytest.raises(NoteError, match="signatures"):
        sign_note("abc\n", [])


def test_known_key_with_bad_signature_rejects_note() -> None:
    """A known key's failing signature rejects the whole note (TestOpen 'Invalid signature')."""
    note = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(SignatureError, match="signature-verifies"):
        open_note(note, [_PETER])


def test_no_known_signature_rejects_note() -> None:
    """A note signed only by unknown keys does not open."""
    with pytest.raises(SignatureError, match="known-signature"):
        open_note(GO_TEXT + "\n" + ENOCH_SIG, [_PETER])


def test_duplicates_are_dropped() -> None:
    """Repeated signature lines appear once, verified or not (TestOpen duplicated)."""
    note = GO_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG
    opened = open_note(note, [_PETER])
    assert len(opened.signatures) == 1
    assert len(opened.unverified) == 1


def test_second_bad_signature_from_a_known_key_rejects() -> None:
    """Every signature of a known key is verified, not just its first."""
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(SignatureError):
        open_note(GO_TEXT + "\n" + PETER_SIG + bad, [_PETER])


class _Impostor:
    """A verifier claiming Peter's name and key id but holding another key."""

    name = "PeterNeumann"
    key_id = 0xC74F20A3

    def verify(self, text: bytes, signature: bytes) -> bool:
        return True


def test_ambiguous_verifiers_are_refused() -> None:
    """Two different verifiers for one name and key id make the note ambiguous."""
    with pytest.raises(NoteError, match="ambiguous-key"):
        open_note(GO_TEXT + "\n" + PETER_SIG, [_PETER, _Impostor()])
    opened = open_note(GO_TEXT + "\n" + PETER_SIG, [_PETER, _PETER])
    assert len(opened.signatures) == 1


def test_sixteen_signatures_are_accepted(log_signer: NoteSigner) -> None:
    """A verifier accepts at least 16 signatures (the spec's floor), and up to 100."""
    signers = [NoteSigner.generate(f"w{i}") for i in range(MAX_SIGNATURES - 1)]
    note = sign_note("text\n", [log_signer, *signers])
    opened = open_note(note, [log_signer.verifier()])
    assert len(opened.unverified) == MAX_SIGNATURES - 1


def test_text_may_hold_blank_lines_and_dash_lines(log_signer: NoteSigner) -> None:
    """The last blank line separates text from signatures, whatever the text holds."""
    text = "a\n\n— looks like a signature AAAA\n\n"
    opened = open_note(sign_note(text, [log_signer]), [log_signer.verifier()])
    assert opened.text == text


_note_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], min_codepoint=0x20) | st.just("\n"),
    max_size=200,
).map(lambda s: s + "\n")


@given(text=_note_text)
def test_sign_then_open_round_trips(text: str) -> None:
    """Any valid text, signed, opens to the same text under the signer's key."""
    signer = NoteSigner.from_signer_key(PETER_SKEY)
    note = sign_note(text, [signer])
    opened = open_note(note, [_PETER])
    assert opened.text == text
    assert split_note(note.encode())[0] == text


@given(index=st.integers(min_value=0, max_value=200), bit=st.integers(min_value=0, max_value=7))
def test_any_changed_byte_of_the_text_is_caught(index: int, bit: int) -> None:
    """Flipping a bit of the signed text fails or breaks the note; it never opens as is."""
    raw = bytearray((GO_TEXT + "\n" + PETER_SIG).encode())
    position = index % len(GO_TEXT)
    raw[position] ^= 1 << bit
    with pytest.raises(NoteError):
        open_note(bytes(raw), [_PETER])


# -- checkpoints ------------------------------------------------------------------------------


def test_spec_checkpoint_parses() -> None:
    """The tlog-checkpoint spec example parses and re-serialises byte for byte."""
    checkpoint = Checkpoint.parse(SPEC_CHECKPOINT_BODY)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.body() == SPEC_CHECKPOINT_BODY


_ROOT = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (f"o\n5\n{_ROOT}", "text-ends-in-newline"),
        ("o\n5\n", "checkpoint-lines"),
        (f"\n5\n{_ROOT}\n", "checkpoint-line"),
        (f"o\n05\n{_ROOT}\n", "tree-size"),
        (f"o\n+5\n{_ROOT}\n", "tree-size"),
        (f"o\n 5\n{_ROOT}\n", "tree-size"),
        (f"o\n٥\n{_ROOT}\n", "tree-size"),
        (f"o\n1_0\n{_ROOT}\n", "tree-size"),
        (f"o\n{2**64}\n{_ROOT}\n", "tree-size"),
        ("o\n5\nAAAA\n", "root-hash"),
        (f"o\n5\n{_ROOT[:-2]}J=\n", "root-hash"),
        (f"o\n5\n{_ROOT}\n\n", "checkpoint-line"),
        (f"o\n5\n{_ROOT}\next\n\nmore\n", "checkpoint-line"),
        (f"o\x7f\x01\n5\n{_ROOT}\n", "characters"),
    ],
    ids=[
        "no-final-newline",
        "two-lines",
        "empty-origin",
        "leading-zero",
        "plus-sign",
        "leading-space",
        "non-ascii-digit",
        "underscore",
        "size-over-uint64",
        "short-root",
        "non-canonical-root",
        "empty-trailing-line",
        "empty-extension-line",
        "control-character",
    ],
)
def test_malformed_checkpoints_are_refused(text: str, rule: str) -> None:
    """Checkpoint text is parsed strictly: every line rule of tlog-checkpoint."""
    with pytest.raises(NoteError) as caught:
        Checkpoint.parse(text)
    assert caught.value.rule == rule


def test_size_zero_and_extensions_parse() -> None:
    """Size 0 is '0', and extension lines are kept in order."""
    checkpoint = Checkpoint.parse(f"o\n0\n{_ROOT}\nx 1\ny\n")
    assert checkpoint.size == 0
    assert checkpoint.extensions == ("x 1", "y")


_line = st.text(alphabet=st.characters(exclude_categories=["Cs"], min_codepoint=0x20), min_size=1)


@given(
    origin=_line,
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_line, max_size=3),
)
def test_checkpoint_round_trips(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    """parse(body()) gives back the same checkpoint."""
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))
    assert Checkpoint.parse(checkpoint.body()) == checkpoint


# -- cosignatures -----------------------------------------------------------------------------


def test_cosign_then_verify(log_signer: NoteSigner, witness_signer: NoteSigner) -> None:
    """A cosignature line verifies with the witness's cosignature key and gives its time."""
    body = Checkpoint("example.com/log", 7, bytes(32), ("ext",)).body()
    note = sign_note(body, [log_signer])
    line = cosign(body, witness_signer, 1700000000)
    cosigner = witness_signer.cosignature_verifier()
    opened = open_note(note + line, [log_signer.verifier(), cosigner])
    signature = opened.signed_by(cosigner)
    assert signature is not None
    assert cosignature_timestamp(signature) == 1700000000
    assert cosigner.verify_line(body, line) == 1700000000
    raw = base64.b64decode(line.split(" ")[2])
    assert raw[4:12] == (1700000000).to_bytes(8, "big")
    assert len(raw) == 4 + 8 + 64


def test_cosignature_covers_extension_lines(witness_signer: NoteSigner) -> None:
    """Changing an extension line breaks the cosignature."""
    body = Checkpoint("example.com/log", 7, bytes(32), ("ext",)).body()
    line = cosign(body, witness_signer, 1700000000)
    with pytest.raises(SignatureError):
        witness_signer.cosignature_verifier().verify_line(body.replace("ext", "exu"), line)


def test_cosignature_is_not_a_note_signature(witness_signer: NoteSigner) -> None:
    """A plain note signature by the witness key is not accepted as a cosignature."""
    body = Checkpoint("example.com/log", 7, bytes(32)).body()
    note = sign_note(body, [witness_signer])
    with pytest.raises(SignatureError):
        open_note(note, [witness_signer.cosignature_verifier()])


def test_verify_line_refuses_another_key(witness_signer: NoteSigner) -> None:
    """A line from another cosigner is named as such."""
    body = Checkpoint("example.com/log", 7, bytes(32)).body()
    other = NoteSigner.generate("witness.example/w2")
    with pytest.raises(NoteError, match="cosigner-key"):
        witness_signer.cosignature_verifier().verify_line(body, cosign(body, other, 5))


@pytest.mark.parametrize("timestamp", [-1, 2**63], ids=["negative", "over-2^63-1"])
def test_cosign_refuses_out_of_range_time(witness_signer: NoteSigner, timestamp: int) -> None:
    """Cosignature timestamps are in 0..2^63-1."""
    body = Checkpoint("example.com/log", 7, bytes(32)).body()
    with pytest.raises(NoteError, match="timestamp"):
        cosign(body, witness_signer, timestamp)


def test_cosign_refuses_non_checkpoint(witness_signer: NoteSigner) -> None:
    """Only checkpoint bodies are cosigned."""
    with pytest.raises(NoteError):
        cosign("hello\n", witness_signer, 5)
