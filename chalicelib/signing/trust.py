"""Trust anchors other than the platform CA: FirmaGob's published certificate chain, shipped as
configuration (`SEM_FIRMAGOB_CHAIN_PATH`, its source in `SEM_FIRMAGOB_CHAIN_SOURCE`;
docs/signatures.md), which FirmaGob-signed documents are verified against.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""`chalicelib/`: relative chain paths are read from here (they travel in the Lambda package)."""


def read_chain(path: str) -> bytes:
    """The PEM at `path` (relative to `chalicelib/` or absolute); empty when `path` is empty.
    A configured path that is missing or holds no certificate is an error: the process must not
    run believing it verifies FirmaGob signatures when it cannot."""
    from chalicelib.signing.certificates import split_pem

    if not path:
        return b""
    file = Path(path) if Path(path).is_absolute() else PACKAGE_ROOT / path
    pem = file.read_bytes()
    if b"-----BEGIN CERTIFICATE-----" not in pem or not split_pem(pem):
        raise ValueError(f"no certificate in the FirmaGob chain file {file.name}")
    return pem


def issuer_name(chain_pem: bytes) -> str:
    """The common name of the chain's first certificate (the CA that issues signers'
    certificates); empty when there is no chain."""
    from asn1crypto import x509

    from chalicelib.signing.certificates import split_pem

    certificates = split_pem(chain_pem) if chain_pem.strip() else []
    if not certificates:
        return ""
    return str(x509.Certificate.load(certificates[0]).subject.native.get("common_name", ""))
