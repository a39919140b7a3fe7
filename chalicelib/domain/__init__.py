"""The pure domain: money, units, identifiers and the tax rules. No I/O, no boto3, no HTTP.

Entry points for the route and service layers:

- ``permits.compute_permit(PermitRequest, ReferenceTables, PermitRules) -> PermitResult``
  (``PermitRequest.parse(body)``, ``permit_response_body(result)``)
- ``patentes.compute_patente(PatenteRequest, ReferenceTables, PatenteRules) -> PatenteResult``
- ``aseo.compute_aseo(AseoRequest, ReferenceTables, AseoRules) -> AseoResult``
- ``rut.parse_rut``, ``plates.parse_plate``; seed data in ``reference_data``; rules in docs/domain.md.
"""
