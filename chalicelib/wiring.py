"""The composition root: builds adapters from the settings, lazily, once per process.

Routes and worker handlers ask here for what their service needs; services never ask it (what a
service needs is handed to it in its context). This is the only module that builds adapters and
contexts (docs/architecture.md). Nothing is built at import time; `reset()` forgets everything
(tests and the local runner switch environments).
"""

from __future__ import annotations

import dataclasses
import threading
import time as _time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from chalicelib.adapters.annulments_repo import AnnulmentRepository
from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.aws_clients import aws_client, aws_client_with_credentials, forget_clients
from chalicelib.adapters.citizens_repo import CitizenRepository
from chalicelib.adapters.claveunica import ClaveUnicaClient
from chalicelib.adapters.cmf_client import CmfClient
from chalicelib.adapters.cognito_tokens import CognitoTokenVerifier, JwksCache
from chalicelib.adapters.cognito_users import CognitoUsers
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.adapters.email_events_repo import EmailEventsRepository
from chalicelib.adapters.http_probe import HttpProbe
from chalicelib.adapters.idempotency_repo import IdempotencyRepository
from chalicelib.adapters.job_queue import JobQueue
from chalicelib.adapters.kms_keys import KmsKeys, KmsSecrets
from chalicelib.adapters.mailer import Mailer
from chalicelib.adapters.municipal_logos import MunicipalLogos
from chalicelib.adapters.municipalities_repo import MunicipalityRepository, PortalKeyRepository
from chalicelib.adapters.municipality_admin_repo import MunicipalityAdminRepository
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.adapters.officials_admin_repo import OfficialsAdminRepository
from chalicelib.adapters.officials_repo import OfficialRepository
from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.adapters.rate_limit_repo import RateCounters
from chalicelib.adapters.receipt_signer import ReceiptSigner
from chalicelib.adapters.receipts_repo import ReceiptRepository
from chalicelib.adapters.reconciliation_repo import ReconciliationRepository
from chalicelib.adapters.reference_repo import ReferenceRepository
from chalicelib.adapters.refunds_repo import RefundRepository
from chalicelib.adapters.retention_repo import RetentionRepository
from chalicelib.adapters.rights_repo import RightsRepository
from chalicelib.adapters.rolls_repo import RollRepository
from chalicelib.adapters.settlement_inbox import SettlementInbox
from chalicelib.adapters.signatures_repo import SignaturesRepository
from chalicelib.adapters.stats_repo import StatsRepository
from chalicelib.adapters.tenant_credentials import ScopedCredentials, TenantCredentials
from chalicelib.adapters.tgr_client import TgrClient
from chalicelib.domain.chile_time import SANTIAGO
from chalicelib.services import signatures
from chalicelib.services.admin_central import CentralAdminContext
from chalicelib.services.admin_officials import OfficialsAdminContext
from chalicelib.services.admin_payments import PaymentsAdminContext
from chalicelib.services.admin_rolls import RollsAdminContext
from chalicelib.services.admin_settings import SettingsAdminContext
from chalicelib.services.agreements import AgreementsContext
from chalicelib.services.annulments import AnnulmentsContext
from chalicelib.services.auth import Official, SecondFactor, Sessions
from chalicelib.services.batches import BatchesContext
from chalicelib.services.citizens import CitizenContext
from chalicelib.services.fleets import FleetContext
from chalicelib.services.health import Probe
from chalicelib.services.payments import PaymentContext
from chalicelib.services.rate_limit import FailureLimits, RateLimiter
from chalicelib.services.receipt_signer_admin import ReceiptSignerAdminContext
from chalicelib.services.receipts import ReceiptContext
from chalicelib.services.reconciliation import ReconciliationContext
from chalicelib.services.refunds import RefundsContext
from chalicelib.services.reminders import ReminderContext
from chalicelib.services.reminders import permit_taken as reminders_permit_taken
from chalicelib.services.reports import ReportsContext
from chalicelib.services.retention import RetentionContext
from chalicelib.services.rights_requests import RightsContext
from chalicelib.services.signatures import SignaturesContext
from chalicelib.services.vehicle_checks import DemoRegistryChecks, RegistryChecks, SoapRegistryChecks
from chalicelib.services.verification import VerificationContext
from chalicelib.settings import DEMO_SIGNER_RUN, get_settings, reset_settings
from chalicelib.signing.otp import OtpPolicy
from chalicelib.signing.port import PlatformCaSigning, SigningPort
from chalicelib.signing.receipt_tokens import ReceiptTokenSigner


@cache
def data_table() -> DynamoTable:
    """The platform's DynamoDB table."""
    return DynamoTable(aws_client("dynamodb"), get_settings().table_name)


@cache
def receipts_store() -> ObjectStore:
    """The bucket of signed receipts."""
    return ObjectStore(aws_client("s3"), get_settings().receipts_bucket)


@cache
def uploads_store() -> ObjectStore:
    """The bucket where rolls and settlement files are uploaded."""
    return ObjectStore(aws_client("s3"), get_settings().uploads_bucket)


@cache
def assets_store() -> ObjectStore:
    """The bucket of municipalities' logos and templates."""
    return ObjectStore(aws_client("s3"), get_settings().assets_bucket)


@cache
def receipts_queue() -> JobQueue:
    """The queue of receipt jobs."""
    return JobQueue(aws_client("sqs"), get_settings().receipts_queue_url)


@cache
def municipalities() -> MunicipalityRepository:
    """Municipalities' configuration (cached briefly per process)."""
    return MunicipalityRepository(data_table())


def cmf_client() -> CmfClient:
    """The CMF API client (UTM and IPC imports), from the current settings."""
    settings = get_settings()
    return CmfClient(settings.cmf_url, settings.cmf_api_key.get_secret_value())


@cache
def references() -> ReferenceRepository:
    """The UTM and IPC tables (cached briefly per process)."""
    return ReferenceRepository(data_table())


@cache
def token_verifier() -> CognitoTokenVerifier:
    """Verifies officials' ID tokens against the user pool's keys."""
    settings = get_settings()
    return CognitoTokenVerifier(issuer=settings.cognito_issuer, client_id=settings.cognito_client_id,
                                jwks=JwksCache(settings.cognito_jwks))


@cache
def officials() -> OfficialRepository:
    return OfficialRepository(data_table())


@cache
def audit_log() -> AuditLog:
    return AuditLog(data_table())


@cache
def payments_repo() -> PaymentRepository:
    return PaymentRepository(data_table())


@cache
def portal_keys() -> PortalKeyRepository:
    return PortalKeyRepository(data_table())


@cache
def registry() -> RegistryChecks:
    """Vehicle data and prerequisite checks: the SOAP services (one checker, and so one circuit
    breaker per service, per process), or the demo table."""
    settings = get_settings()
    if settings.vehicle_registry == "demo":
        return DemoRegistryChecks(data_table())
    from chalicelib.adapters.soap import AachInsuranceClient, MttInspectionClient, SoapConfig, SrceiRegistryClient
    from chalicelib.services.prerequisites import PrerequisiteChecker

    config = SoapConfig(connect_timeout_s=settings.soap_connect_timeout_s, read_timeout_s=settings.soap_read_timeout_s,
                        max_attempts=settings.soap_max_attempts, retry_backoff_s=settings.soap_retry_backoff_s,
                        breaker_threshold=settings.soap_breaker_threshold,
                        breaker_reset_s=settings.soap_breaker_reset_s)
    checker = PrerequisiteChecker(AachInsuranceClient.at(settings.soap_aach_url, config),
                                  MttInspectionClient.at(settings.soap_mtt_url, config),
                                  SrceiRegistryClient.at(settings.soap_srcei_url, config),
                                  timeout_s=settings.prerequisites_timeout_s)
    return SoapRegistryChecks(checker)


def payment_context() -> PaymentContext:
    """What the payment use cases need, built from the settings."""
    settings = get_settings()
    secret = settings.access_token_secret.get_secret_value()
    if not secret:
        raise RuntimeError("SEM_ACCESS_TOKEN_SECRET is not set")
    return PaymentContext(
        payments=payments_repo(), idempotency=IdempotencyRepository(data_table()), debts=DebtRepository(data_table()),
        references=references(), registry=registry(), gateway=TgrClient(settings.tgr_url),
        receipts_queue=receipts_queue(), receipts_store=receipts_store(),
        clock=lambda: datetime.now(SANTIAGO), token_secret=secret,
        notify_url=f"{settings.public_api_url.rstrip('/')}/v1/gateways/tgr/notifications",
        payment_ttl=timedelta(minutes=settings.payment_ttl_minutes),
        allow_estimated=settings.allow_estimated_amounts, receipt_recheck=timedelta(seconds=settings.receipt_recheck_s),
        public_api_url=settings.public_api_url,
        citizen_index_secret=settings.citizen_index_secret.get_secret_value())


def health_probes() -> dict[str, Probe]:
    """Every dependency the health route asks, by name."""
    settings = get_settings()
    table = data_table()
    probes: dict[str, Probe] = {
        "table": lambda: table.get("00000#HEALTH", "PING"),
        "receipts_bucket": receipts_store().ping,
        "uploads_bucket": uploads_store().ping,
        "assets_bucket": assets_store().ping,
        "receipts_queue": receipts_queue().depth,
    }
    for name, url in settings.health_probes.items():
        probes[name] = HttpProbe(str(url), timeout_s=settings.health_probe_timeout_s).ping
    return probes


def reset() -> None:
    """Forget settings, clients and adapters."""
    for builder in (data_table, receipts_store, uploads_store, assets_store, receipts_queue,
                    municipalities, references, token_verifier, officials, audit_log, payments_repo,
                    portal_keys, registry, receipts_repo, kms_keys, mailer, receipt_signer, municipal_logos,
                    second_factor, email_events_repo, receipt_token_signer, claveunica, firmagob_chain_pem):
        builder.cache_clear()
    with _tenant_lock:
        _tenant_credentials.clear()
        _tenant_repos.clear()
    forget_clients()
    reset_settings()


@cache
def receipts_repo() -> ReceiptRepository:
    """Receipt folios and records, and the receipt pipeline's conditional writes."""
    return ReceiptRepository(data_table())


@cache
def kms_keys() -> KmsKeys:
    """The asymmetric KMS keys that sign certificates and receipts."""
    return KmsKeys(aws_client("kms"))


@cache
def mailer() -> Mailer:
    """SES, with the SDK's own retries off: a resent SendRawEmail is a second e-mail, so the
    receipts pipeline owns retries (only the mailer builds an SES client)."""
    settings = get_settings()
    return Mailer(aws_client("ses", settings.model_copy(update={"aws_max_attempts": 1})),
                  settings.ses_configuration_set)


@cache
def email_events_repo() -> EmailEventsRepository:
    """SES's e-mail events per payment and day, and the complaint suppression list."""
    return EmailEventsRepository(data_table())


@cache
def receipt_signer() -> ReceiptSigner:
    """Signs receipts through the configured signing backend (`SEM_SIGNING_BACKEND`); with the
    platform CA, caches each municipality's signing credentials for the process."""
    settings = get_settings()
    refused = frozenset({DEMO_SIGNER_RUN}) if settings.production else frozenset()
    if settings.signing_backend == "firmagob":
        port = signing_port()
        return ReceiptSigner(kms_keys(), receipts_store(), default_run=settings.receipt_default_signer_run,
                             refused_runs=refused, port=port, kind=port.kind)
    return ReceiptSigner(kms_keys(), receipts_store(), default_run=settings.receipt_default_signer_run,
                         refused_runs=refused)


@cache
def firmagob_chain_pem() -> bytes:
    """FirmaGob's published chain (`SEM_FIRMAGOB_CHAIN_PATH`); empty when not configured."""
    from chalicelib.signing.trust import read_chain

    return read_chain(get_settings().firmagob_chain_path)


def trust_roots_pem() -> bytes:
    """Every chain a receipt's signature may validate against: the platform CA's and, where
    configured, FirmaGob's (`signing/verify.verify_receipt_pdf`)."""
    from chalicelib.domain.errors import NotFound
    from chalicelib.signing.ca import ca_chain_pem

    try:
        platform = ca_chain_pem(receipts_store())
    except NotFound:  # nothing was ever signed with the platform CA (a FirmaGob deployment)
        platform = b""
    return platform + b"\n" + firmagob_chain_pem()


def firmagob_issuer() -> str:
    """The common name of FirmaGob's issuing CA (the chain's first certificate)."""
    from chalicelib.signing.trust import issuer_name

    return issuer_name(firmagob_chain_pem())


@cache
def municipal_logos() -> MunicipalLogos:
    return MunicipalLogos(assets_store())


def receipt_context() -> ReceiptContext:
    """What issuing a receipt needs, built from the settings."""
    settings = get_settings()
    return ReceiptContext(
        payments=payments_repo(), receipts=receipts_repo(), municipalities=municipalities(),
        store=receipts_store(), logos=municipal_logos(), signer=receipt_signer(), mailer=mailer(),
        clock=lambda: datetime.now(SANTIAGO), public_api_url=settings.public_api_url,
        email_lease=timedelta(seconds=settings.receipt_email_lease_s),
        email_events_grace=timedelta(seconds=settings.receipt_email_events_grace_s),
        email_events=email_events_repo(),
        default_signer_run=settings.receipt_default_signer_run, tokens=receipt_token_signer())


@cache
def receipt_token_signer() -> ReceiptTokenSigner:
    """Signs the offline-verifiable tokens in receipts' QR codes; caches each municipality's JWK."""
    return ReceiptTokenSigner(kms_keys())


def verification_context() -> VerificationContext:
    """What the public verification routes (receipt page, plate look-up) read."""
    return VerificationContext(receipts=receipts_repo(), payments=payments_repo(), municipalities=municipalities(),
                               store=receipts_store(), limiter=rate_limiter(),
                               public_api_url=get_settings().public_api_url, today=today_in_chile())


# -- the officials' console (admin API) -----------------------------------------------------------
# Nothing below is cached: each builder wraps the cached clients and table above, which `reset()`
# already forgets.


ROLL_PROCESS_BUDGET_S = 20.0
"""How long one `…/process` request loads debts before answering `processing` (API Gateway: 29 s)."""


def today_in_chile() -> date:
    """Today in Chile: the default day of officials' searches."""
    return datetime.now(SANTIAGO).date()


def cognito_users() -> CognitoUsers:
    """Officials' accounts in the user pool."""
    return CognitoUsers(aws_client("cognito-idp"), get_settings().cognito_user_pool_id)


@cache
def second_factor() -> SecondFactor:
    """Whether officials have a TOTP app enrolled; positive answers kept a minute per process."""
    return SecondFactor(cognito_users())


def sessions() -> Sessions:
    """Ends officials' sessions everywhere (the record's cut-off, then Cognito's global sign-out)."""
    return Sessions(officials(), cognito_users())


def payments_admin() -> PaymentsAdminContext:
    return PaymentsAdminContext(table=data_table(), payments=payments_repo(), receipts_store=receipts_store(),
                         receipts_queue=receipts_queue(), audit=audit_log(), today=today_in_chile)


def rolls_admin() -> RollsAdminContext:
    """Built per request: the processing deadline starts now."""
    deadline = _time.monotonic() + ROLL_PROCESS_BUDGET_S
    return RollsAdminContext(rolls=RollRepository(data_table()), uploads=uploads_store(), audit=audit_log(),
                      clock=lambda: datetime.now(SANTIAGO), deadline=lambda: _time.monotonic() > deadline)


def settings_admin() -> SettingsAdminContext:
    return SettingsAdminContext(admin=MunicipalityAdminRepository(data_table()), municipalities=municipalities(),
                         portal_keys=portal_keys(), table=data_table(), uploads=uploads_store(),
                         assets=assets_store(), clock=lambda: datetime.now(SANTIAGO))


def receipt_signer_admin() -> ReceiptSignerAdminContext:
    return ReceiptSignerAdminContext(admin=MunicipalityAdminRepository(data_table()),
                              officials=OfficialsAdminRepository(data_table()), municipalities=municipalities(),
                              clock=lambda: datetime.now(SANTIAGO))


def officials_admin() -> OfficialsAdminContext:
    return OfficialsAdminContext(officials=OfficialsAdminRepository(data_table()), cognito=cognito_users(),
                                 clock=lambda: datetime.now(SANTIAGO), on_change=official_changed)


def official_changed(code: str, email: str, official: Mapping[str, Any], actor: Official) -> None:
    """The officials' administration's hook into signing, its contexts built when it runs."""
    signatures.official_changed(code, email, official, actor, signer_admin=receipt_signer_admin(),
                                ctx=signatures_context())


def central_admin() -> CentralAdminContext:
    return CentralAdminContext(admin=MunicipalityAdminRepository(data_table()), municipalities=municipalities(),
                        officials=officials_admin(), clock=lambda: datetime.now(SANTIAGO),
                        token_keys=receipt_token_signer())


# -- officials' advanced electronic signature (docs/signatures.md) ---------------------------------
# Nothing cached: each builder wraps the cached clients and table above.


def signatures_repo() -> SignaturesRepository:
    return SignaturesRepository(data_table())


def signing_port() -> SigningPort:
    """The configured signing adapter: the platform CA (default) or FirmaGob."""
    settings = get_settings()
    clock = lambda: datetime.now(SANTIAGO)  # noqa: E731
    if settings.signing_backend == "firmagob":
        from chalicelib.adapters.firmagob import FirmaGobConfig, FirmaGobSigning

        return FirmaGobSigning(FirmaGobConfig(
            url=settings.firmagob_url, api_token_key=settings.firmagob_api_token_key.get_secret_value(),
            secret=settings.firmagob_secret.get_secret_value(), entities=dict(settings.firmagob_entities),
            timeout_s=settings.firmagob_timeout_s, issuer=firmagob_issuer()), clock)
    return PlatformCaSigning(KmsSecrets(aws_client("kms")), receipts_store(), signatures_repo(),
                             KmsSecrets(aws_client("kms")), signing_otp_policy(), clock)


def signing_otp_policy() -> OtpPolicy:
    settings = get_settings()
    return OtpPolicy(key_alias=settings.signing_otp_key_alias, max_failures=settings.signing_otp_max_failures,
                     lock=timedelta(seconds=settings.signing_otp_lock_s), attempts=otp_day_limiter())


def signatures_context() -> SignaturesContext:
    return SignaturesContext(repo=signatures_repo(), kms=KmsSecrets(aws_client("kms")), store=receipts_store(),
                             municipalities=municipalities(), port=signing_port(), policy=signing_otp_policy(),
                             clock=lambda: datetime.now(SANTIAGO), officials=officials())


def batches_context() -> BatchesContext:
    return BatchesContext(table=data_table(), documents=receipts_store(), drafts=uploads_store(),
                          municipalities=municipalities(), signatures=signatures_context(),
                          clock=lambda: datetime.now(SANTIAGO), refunds=RefundRepository(data_table()))


def refunds_context() -> RefundsContext:
    settings = get_settings()
    return RefundsContext(payments=payments_repo(), debts=DebtRepository(data_table()),
                          refunds=RefundRepository(data_table()), receipts=receipts_repo(),
                          gateway=TgrClient(settings.tgr_url), documents=receipts_store(),
                          municipalities=municipalities(), signatures=signatures_context(),
                          clock=lambda: datetime.now(SANTIAGO),
                          notify_url=f"{settings.public_api_url.rstrip('/')}/v1/gateways/tgr/refund-notifications",
                          jobs=receipts_queue())


def annulments_context() -> AnnulmentsContext:
    receipts = receipt_context()
    return AnnulmentsContext(payments=payments_repo(), annulments=AnnulmentRepository(data_table()),
                             municipalities=municipalities(), store=receipts_store(), signer=receipts.signer,
                             mailer=mailer(), clock=lambda: datetime.now(SANTIAGO))


# -- work done for one municipality with credentials fenced to it (docs/security.md) --------------
# When `SEM_TENANT_DATA_ROLE_ARN` is set (prod: the receipts worker), the table adapters of a
# receipt job are built on a DynamoDB client whose credentials come from that role assumed with
# the session tag `municipality=<cut>` (adapters/tenant_credentials.py): IAM then refuses any key
# not beginning with `<cut>#`. Unset (locally and in tests, where moto enforces no IAM), the job
# uses `receipt_context()` as it is. Everything else of the context (bucket, KMS, SES) is shared.

_tenant_lock = threading.Lock()
_tenant_credentials: dict[str, TenantCredentials] = {}
_tenant_repos: dict[str, tuple[ScopedCredentials, PaymentRepository, ReceiptRepository, MunicipalityRepository]] = {}


def tenant_credentials() -> TenantCredentials | None:
    """The tenant role's credential cache, or ``None`` when no tenant role is configured."""
    role_arn = get_settings().tenant_data_role_arn
    if not role_arn:
        return None
    with _tenant_lock:
        found = _tenant_credentials.get(role_arn)
        if found is None:
            found = _tenant_credentials[role_arn] = TenantCredentials(aws_client("sts"), role_arn)
        return found


def scoped_client(service: str, creds: ScopedCredentials) -> Any:
    """A client for `service` signed with `creds`, configured as `aws_client` makes them."""
    return aws_client_with_credentials(service, access_key_id=creds.access_key_id,
                                       secret_access_key=creds.secret_access_key, session_token=creds.session_token)


def fenced_receipt_context(code: str) -> ReceiptContext:
    """`receipt_context()` with its table adapters fenced to municipality `code`."""
    ctx = receipt_context()
    cache = tenant_credentials()
    if cache is None:
        return ctx
    creds = cache.for_municipality(code)
    with _tenant_lock:
        found = _tenant_repos.get(code)
        if found is None or found[0] is not creds:
            table = DynamoTable(scoped_client("dynamodb", creds), get_settings().table_name)
            found = (creds, PaymentRepository(table), ReceiptRepository(table), MunicipalityRepository(table))
            _tenant_repos[code] = found
    _, payments, receipts, municipalities_ = found
    return dataclasses.replace(ctx, payments=payments, receipts=receipts, municipalities=municipalities_,
                               email_events=EmailEventsRepository(receipts.table))


def fenced_annulments_context(code: str) -> AnnulmentsContext:
    """`annulments_context()` with its table adapters fenced to municipality `code`."""
    fenced = fenced_receipt_context(code)
    return dataclasses.replace(annulments_context(), payments=fenced.payments,
                               annulments=AnnulmentRepository(fenced.receipts.table),
                               municipalities=fenced.municipalities)


def agreements_context() -> AgreementsContext:
    return AgreementsContext(documents=receipts_store(), municipalities=municipalities(),
                             signatures=signatures_context(), clock=lambda: datetime.now(SANTIAGO))


def rate_limiter() -> RateLimiter:
    """Failure counters for guessable values (payment tokens, receipt codes), from the settings."""
    settings = get_settings()
    return RateLimiter(RateCounters(data_table()), window_s=settings.rate_limit_window_s, now=_time.time,
                       limits=FailureLimits(per_payment=settings.rate_limit_failures_per_payment,
                                            per_source=settings.rate_limit_failures_per_source))


def otp_day_limiter() -> RateLimiter:
    """Wrong one-time signing codes per official per day (on top of the lock of signing/otp.py)."""
    return RateLimiter(RateCounters(data_table()), window_s=86_400, now=_time.time,
                       limits=FailureLimits(per_official_otp=get_settings().signing_otp_daily_max_failures))


def reconciliation_context() -> ReconciliationContext:
    """The consolidation and reconciliation use cases (the officials' routes, the settlements worker)."""
    table = data_table()
    return ReconciliationContext(
        table=table, recon=ReconciliationRepository(table), stats=StatsRepository(table),
        payments=payments_repo(), inbox=SettlementInbox(aws_client("s3"), get_settings().uploads_bucket),
        audit=audit_log(), clock=lambda: datetime.now(SANTIAGO), refunds=RefundRepository(table))


def reports_context() -> ReportsContext:
    """The operation reports (a municipality's and the central one), as of today in Chile."""
    return ReportsContext(stats=StatsRepository(data_table()), today=today_in_chile())


def retention_context() -> RetentionContext:
    """The personal-data retention job (docs/personal-data.md)."""
    return RetentionContext(RetentionRepository(data_table()), audit_log(), clock=lambda: datetime.now(SANTIAGO))


def rights_context() -> RightsContext:
    """Personal-data rights requests (docs/personal-data.md)."""
    return RightsContext(RightsRepository(data_table()), RetentionRepository(data_table()), audit_log(),
                         clock=lambda: datetime.now(SANTIAGO))


# -- the citizen's own space (docs/citizens.md) ----------------------------------------------------
# The ClaveÚnica client (and its JWKS cache) is kept per process.


@cache
def claveunica() -> ClaveUnicaClient:
    """The relying party registered with ClaveÚnica for this stage (the simulator locally)."""
    settings = get_settings()
    return ClaveUnicaClient(issuer=settings.claveunica_issuer, client_id=settings.claveunica_client_id,
                            client_secret=settings.claveunica_client_secret.get_secret_value(),
                            redirect_uri=settings.claveunica_redirect_uri)


def citizen_context() -> CitizenContext:
    """What the citizen's space needs, built from the settings."""
    settings = get_settings()
    session_secret = settings.citizen_session_secret.get_secret_value()
    index_secret = settings.citizen_index_secret.get_secret_value()
    if not session_secret or not index_secret:
        raise RuntimeError("SEM_CITIZEN_SESSION_SECRET and SEM_CITIZEN_INDEX_SECRET must be set")
    return CitizenContext(repo=CitizenRepository(data_table()), claveunica=claveunica(), payments=payments_repo(),
                          debts=DebtRepository(data_table()), municipalities=municipalities(),
                          receipts_store=receipts_store(), session_secret=session_secret, index_secret=index_secret,
                          session_minutes=settings.citizen_session_minutes, now=_time.time, today=today_in_chile,
                          public_api_url=settings.public_api_url)


def reminder_context() -> ReminderContext:
    """What the reminders worker needs (SES through the one mailer)."""
    settings = get_settings()
    index_secret = settings.citizen_index_secret.get_secret_value()
    if not index_secret:
        raise RuntimeError("SEM_CITIZEN_INDEX_SECRET must be set")
    return ReminderContext(citizens=CitizenRepository(data_table()), debts=DebtRepository(data_table()),
                           municipalities=municipalities(), mailer=mailer(), index_secret=index_secret,
                           public_api_url=settings.public_api_url, clock=lambda: datetime.now(SANTIAGO),
                           suppressed=email_events_repo().is_suppressed,
                           permit_paid=reminders_permit_taken(payments_repo()))


def citizen_repo() -> CitizenRepository:
    return CitizenRepository(data_table())


# -- fleets (docs/citizens.md, "Flotas") ------------------------------------------------------------
# Appended as one block: the citizen's space, the payment flow and the representation records.


def fleet_context() -> FleetContext:
    """What fleets need: the fleet page is beside "Mis pagos" (`<console>/flotas/`), where TGR sends
    the representative back."""
    from urllib.parse import urljoin, urlsplit

    from chalicelib.adapters.fleets_repo import FleetRepository

    page = urljoin(get_settings().claveunica_redirect_uri.split("?")[0], "../flotas/")
    parts = urlsplit(page)
    return FleetContext(repo=FleetRepository(data_table()), citizens=citizen_context(), payments=payment_context,
                        clock=lambda: datetime.now(SANTIAGO), page_origin=f"{parts.scheme}://{parts.netloc}",
                        return_url=page)
