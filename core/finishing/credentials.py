"""C2PA content credentials: the exported film signed as a creation whose ingredients are its takes.

The manifest (built with ``c2pa-python``) says the film was created by shotreel as a composite, in IPTC's
digital source type vocabulary: ``compositeWithTrainedAlgorithmicMedia`` when a generative AI model made
any of it, ``compositeSynthetic`` when only software without a trained model did (the offline animatic,
eSpeak NG's voices), ``composite`` when nothing in it was made so. Each take the cut uses and each scratch
voice in the mix is an ingredient (``componentOf``) with a ``c2pa.placed`` action marked with its own
source type — ``trainedAlgorithmicMedia`` for a generative model's take, ``algorithmicMedia`` for an offline
animatic take and for eSpeak NG's speech — and naming its maker; the AI-use disclosure
(:mod:`shotreel.finishing.disclosure`, the same one the card, the credits and the file's tags show) is an
assertion of its own. It is signed with the user's
certificate chain and key (PEM), checked to belong together before anything is written. A test
certificate (:func:`make_test_signing`) is made locally only when asked; its subject says TEST and the manifest
carries a ``shotreel.signing`` assertion saying it proves nothing about who made the file.
:func:`read_credential` reads it back for ``shotreel verify``.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import ShotreelError
from .disclosure import ALGORITHMIC, SOURCE_TYPES, TRAINED, Disclosure
from .provenance import Generation

COMPOSITE = SOURCE_TYPES + "compositeWithTrainedAlgorithmicMedia"
"""The film when a generative AI model made some of it: a composite with trained algorithmic media."""
COMPOSITE_SYNTHETIC = SOURCE_TYPES + "compositeSynthetic"
"""The film when only software without a trained model made some of it: a composite with synthetic elements."""
COMPOSITE_PLAIN = SOURCE_TYPES + "composite"
"""The film when none of it was generated: a composite of elements."""
TEST_SUBJECT = "TEST CERTIFICATE - shotreel (not for publishing)"
MIME = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime"}


class CredentialError(ShotreelError):
    """A content credential cannot be made or read (a certificate that does not match its key …)."""


@dataclass
class Signing:
    """A certificate chain and its private key (PEM bytes), the algorithm, and who it names."""

    chain: bytes
    key: bytes
    alg: str
    subject: str
    test: bool = False


def _load_chain(data: bytes, where: str):
    from cryptography import x509
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CredentialError("is not a PEM certificate (-----BEGIN CERTIFICATE-----)", file=where) from None
    return certs


def _alg(key, where: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}.get(key.curve.name)
        if alg:
            return alg
    elif isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise CredentialError("is a key C2PA cannot sign with (use EC P-256/384/521, RSA or Ed25519)", file=where)


def load_signing(cert: str | os.PathLike, key: str | os.PathLike) -> Signing:
    """The certificate chain at ``cert`` and the private key at ``key`` (PEM), checked to belong together.

    Raises :class:`CredentialError` naming the file: unreadable, not PEM, or a certificate whose public
    key is not the key's (one line, before anything is written).
    """
    from cryptography.hazmat.primitives import serialization
    cert_path, key_path = Path(cert), Path(key)
    try:
        chain, key_data = cert_path.read_bytes(), key_path.read_bytes()
    except OSError as exc:
        raise CredentialError(f"cannot be read: {exc.strerror}", file=exc.filename) from None
    certs = _load_chain(chain, str(cert_path))
    try:
        private = serialization.load_pem_private_key(key_data, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialError(f"is not an unencrypted PEM private key ({str(exc).split('.')[0]})",
                              file=str(key_path)) from None
    alg = _alg(private, str(key_path))
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (certs[0].public_key().public_bytes(serialization.Encoding.DER, public)
            != private.public_key().public_bytes(serialization.Encoding.DER, public)):
        raise CredentialError(f"the certificate does not match the key {key_path.name} (its public key is "
                              "another's); give the certificate made for that key", file=str(cert_path))
    return Signing(chain, key_data, alg, certs[0].subject.rfc4514_string())


def make_test_signing() -> Signing:
    """A locally made certificate chain (a test root and a signing certificate, EC P-256, valid 30 days)
    and its key, in memory: for trying credentials out, never for publishing."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "shotreel TEST")])

    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = name("shotreel TEST root")

    def base(subject: x509.Name, public) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(root_name).public_key(public)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=30)))

    root = (base(root_name, root_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
            .sign(root_key, hashes.SHA256()))
    leaf = (base(name(TEST_SUBJECT), key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + root.public_bytes(pem)
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return Signing(chain, key_pem, "es256", leaf.subject.rfc4514_string(), test=True)


def film_source_type(disclosure: Disclosure) -> str:
    """The film's own digital source type, from what its disclosure says was made and how."""
    if disclosure.any:
        return COMPOSITE
    return COMPOSITE_SYNTHETIC if disclosure.sources else COMPOSITE_PLAIN


def _voice_source(disclosure: Disclosure):
    return next((s for s in disclosure.sources if s.kind == "voice"), None)


def _voice_entry(entry: tuple, disclosure: Disclosure) -> tuple[str, Path, str, bool]:
    """``(shot, clip, maker, trained)`` of a voice in the mix: given as such (each clip says who spoke it),
    or as ``(shot, clip)``, spoken by the disclosure's one voice source."""
    if len(entry) >= 4:
        return str(entry[0]), Path(entry[1]), str(entry[2]), bool(entry[3])
    source = _voice_source(disclosure)
    maker = ", ".join(source.makers) if source else "eSpeak NG"
    return str(entry[0]), Path(entry[1]), maker, bool(source is not None and source.trained)


def manifest(title: str, generation: Generation, disclosure: Disclosure, signing: Signing,
             voices: list[tuple] | None = None) -> dict:
    """The manifest definition: the film created from its takes and voices, the disclosure, the test label
    if any. ``voices`` are ``(shot, clip)`` of the scratch voices in the mix, or ``(shot, clip, maker,
    trained)`` where each clip says who spoke it (a hosted voice: trained)."""
    made = "generated and offline takes, voices, boards and cards" if disclosure.sources else "boards and cards"
    actions: list[dict] = [{"action": "c2pa.created", "digitalSourceType": film_source_type(disclosure),
                            "softwareAgent": {"name": "shotreel", "version": __version__},
                            "description": f"assembled by shotreel from {made}"}]
    for index, used in enumerate(generation.takes):
        how = "by" if used.trained else "without an AI model by"
        actions.append({"action": "c2pa.placed", "digitalSourceType": TRAINED if used.trained else ALGORITHMIC,
                        "softwareAgent": {"name": used.model, "version": used.provider},
                        "description": f"shot {used.shot}: take {used.take} {how} {used.model} ({used.provider})",
                        "parameters": {"ingredientIds": [f"take{index}"]}})
    for index, entry in enumerate(voices or []):
        shot, clip, maker, trained = _voice_entry(entry, disclosure)
        how = "" if trained else ", without an AI model"
        actions.append({"action": "c2pa.placed", "digitalSourceType": TRAINED if trained else ALGORITHMIC,
                        "softwareAgent": {"name": maker},
                        "description": f"shot {shot}: voice {clip.name} spoken by {maker}{how}",
                        "parameters": {"ingredientIds": [f"voice{index}"]}})
    assertions: list[dict] = [
        {"label": "c2pa.actions.v2", "data": {"actions": actions}},
        {"label": "shotreel.disclosure", "data": disclosure.to_dict()},
    ]
    if signing.test:
        assertions.append({"label": "shotreel.signing", "data": {
            "test_certificate": True,
            "note": "signed with a locally made TEST certificate: it proves nothing about who made this file"}})
    return {"claim_generator_info": [{"name": "shotreel", "version": __version__}], "title": title,
            "assertions": assertions}


def _ingredient(used, index: int) -> dict:
    return {"title": f"{used.shot}/{used.take}{used.path.suffix}", "relationship": "componentOf",
            "label": f"take{index}",
            "metadata": {"digitalSourceType": TRAINED if used.trained else ALGORITHMIC,
                         "shotreel:shot": used.shot, "shotreel:take": used.take,
                         "shotreel:provider": used.provider, "shotreel:model": used.model}}


def _voice_ingredient(entry: tuple, index: int, disclosure: Disclosure) -> dict:
    shot, clip, maker, trained = _voice_entry(entry, disclosure)
    return {"title": f"voices/{clip.name}", "relationship": "componentOf", "label": f"voice{index}",
            "metadata": {"digitalSourceType": TRAINED if trained else ALGORITHMIC, "shotreel:shot": shot,
                         "shotreel:provider": "hosted" if trained else "offline", "shotreel:model": maker}}


def embed_credential(source: Path, dest: Path, title: str, generation: Generation, disclosure: Disclosure,
                     signing: Signing, voices: list[tuple] | None = None) -> None:
    """Write ``source`` (an MP4 or MOV) to ``dest`` with the signed credential embedded (``dest`` is a
    scratch path the caller moves into place); ``voices`` are ``(shot, clip)`` of the scratch voices in the
    mix, each an ingredient. Raises :class:`CredentialError`."""
    import c2pa
    mime = MIME.get(source.suffix.lower())
    if mime is None:
        raise CredentialError("content credentials are embedded in MP4 and MOV files only", file=str(source))
    voices = list(voices or [])
    try:
        builder = c2pa.Builder(manifest(title, generation, disclosure, signing, voices))
        for index, used in enumerate(generation.takes):
            with open(used.path, "rb") as take:
                builder.add_ingredient(_ingredient(used, index), MIME.get(used.path.suffix.lower(), "video/mp4"),
                                       take)
        for index, entry in enumerate(voices):
            with open(entry[1], "rb") as sound:
                builder.add_ingredient(_voice_ingredient(entry, index, disclosure), "audio/wav", sound)
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(signing.alg.encode(), signing.chain, signing.key,
                                                           None))
        with open(source, "rb") as src, open(dest, "w+b") as out:
            builder.sign(signer, mime, src, out)
    except c2pa.C2paError as exc:
        raise CredentialError(f"the content credential could not be signed: {str(exc).splitlines()[0]}",
                              file=str(source)) from None


@dataclass
class Credential:
    """What a file's content credential says: signer, ingredients, the disclosure, validation."""

    path: Path
    title: str = ""
    signer: str = ""
    issuer: str = ""
    test: bool = False
    generator: str = ""
    created: str = ""
    ingredients: list[dict] = field(default_factory=list)
    disclosure: dict = field(default_factory=dict)
    state: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``valid`` / ``trusted`` (the signature and hashes hold), else ``invalid: …``."""
        state = (self.state or "unknown").lower()
        return state if not self.problems else f"{state}: {'; '.join(self.problems)}"


def read_credential(path: str | os.PathLike) -> Credential:
    """Read the content credential embedded in ``path``. Raises :class:`CredentialError` when it has none."""
    import c2pa
    path = Path(path)
    if not path.is_file():
        raise CredentialError("no such file", file=str(path))
    try:
        with c2pa.Reader(str(path)) as reader:
            data = json.loads(reader.json())
            state = reader.get_validation_state() or ""
    except c2pa.C2paError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "ManifestNotFound" in type(exc).__name__ or "not found" in text.lower():
            raise CredentialError("has no content credential (C2PA manifest)", file=str(path)) from None
        raise CredentialError(f"its content credential cannot be read: {text}", file=str(path)) from None
    active = data.get("manifests", {}).get(data.get("active_manifest"), {})
    info = active.get("signature_info", {})
    result = Credential(path, title=active.get("title", ""), signer=info.get("common_name", ""),
                        issuer=info.get("issuer", ""), state=state,
                        generator=", ".join(g.get("name", "") for g in active.get("claim_generator_info", [])))
    for assertion in active.get("assertions", []):
        label, body = assertion.get("label", ""), assertion.get("data", {})
        if label == "shotreel.disclosure":
            result.disclosure = body
        elif label == "shotreel.signing" and body.get("test_certificate"):
            result.test = True
        elif label.startswith("c2pa.actions"):
            created = [a for a in body.get("actions", []) if a.get("action") == "c2pa.created"]
            if created:
                result.created = created[0].get("digitalSourceType", "")
    for ingredient in active.get("ingredients", []):
        meta = ingredient.get("metadata", {})
        result.ingredients.append({"title": ingredient.get("title", ""),
                                   "relationship": ingredient.get("relationship", ""),
                                   "digital_source_type": meta.get("digitalSourceType", ""),
                                   "shot": meta.get("shotreel:shot", ""),
                                   "provider": meta.get("shotreel:provider", ""),
                                   "model": meta.get("shotreel:model", "")})
    untrusted = "signingCredential.untrusted"
    for entry in data.get("validation_status", []) or []:
        code = entry.get("code", "")
        if code == untrusted:
            result.problems.append("the signing certificate is not on a trust list" +
                                   (" (a shotreel TEST certificate)" if result.test else ""))
        else:
            result.problems.append(f"{code}: {entry.get('explanation', '')}".rstrip(": "))
    return result
