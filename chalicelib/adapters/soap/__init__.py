"""SOAP clients of the permit prerequisites: AACH (insurance), MTT (inspections), SRCeI (registry).

Importing this package does not import zeep: each client builds its zeep proxy on first use.

    insurance = AachInsuranceClient.at("https://…/aach", SoapConfig(read_timeout_s=3))
    record = insurance.insurance("BBBB10")
"""

from chalicelib.adapters.soap.aach import AACH, AachInsuranceClient
from chalicelib.adapters.soap.client import SoapConfig, SoapEndpoint, SoapServiceSpec
from chalicelib.adapters.soap.mtt import MTT, MttInspectionClient
from chalicelib.adapters.soap.srcei import SRCEI, SrceiRegistryClient

__all__ = [
    "AACH",
    "MTT",
    "SRCEI",
    "AachInsuranceClient",
    "MttInspectionClient",
    "SoapConfig",
    "SoapEndpoint",
    "SoapServiceSpec",
    "SrceiRegistryClient",
]
