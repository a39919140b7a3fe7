"""Electronic signatures: the platform CA and signer certificates (keys in KMS), PAdES signing of
receipts and their validation.

Import cost is nil except in `kms_signer` (pyHanko at module level, imported lazily by `pades`):
asn1crypto, pyHanko and botocore are imported inside the functions that use them.
"""
