"""The platform's settings: one validated model, read from the environment once, lazily.

Lambda (and `chalice local`, and the Chalice test client) put the stage's environment variables
from `.chalice/config.json` in place only when the app runs, so nothing here is read at import
time: call `get_settings()` where a value is needed. Every variable has the `SEM_` prefix, except
the AWS SDK's own (`AWS_ENDPOINT_URL`, `AWS_REGION` / `AWS_DEFAULT_REGION`), which are honoured as
the SDK names them so the same code runs against moto and against AWS unchanged.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, HttpUrl, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SIGNER_RUN = "12345678-5"
"""The invented RUN of the demo data and of the default receipt signer: never used to sign on prod."""


class Settings(BaseSettings):
    """Everything configurable, validated once per process."""

    model_config = SettingsConfigDict(env_prefix="SEM_", extra="ignore", frozen=True)

    stage: str = Field(default="local", pattern=r"^[a-z][a-z0-9-]{0,20}$")
    region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("SEM_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    aws_endpoint_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SEM_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL"),
        description="Where every AWS client points; unset on AWS, the moto server locally.",
    )

    # Resources created by infra/resources.yaml (names come from its outputs).
    table_name: str = "sem-data"
    receipts_bucket: str = "sem-receipts"
    uploads_bucket: str = "sem-uploads"
    assets_bucket: str = "sem-assets"
    console_bucket: str = "sem-console"
    receipts_queue_url: str = ""
    # The role the receipts worker assumes, tagged with the job's municipality, for its table access
    # (infra/resources.yaml: TenantDataRole; dynamodb:LeadingKeys). Empty: the process's own
    # credentials (locally, where moto enforces no IAM).
    tenant_data_role_arn: str = ""

    # AWS SDK behaviour: bounded waits so a slow dependency becomes a 503, not a hung request.
    aws_connect_timeout_s: float = Field(default=2.0, gt=0, le=30)
    aws_read_timeout_s: float = Field(default=5.0, gt=0, le=60)
    aws_max_attempts: int = Field(default=3, ge=1, le=10)

    # Extra HTTP dependencies the health route probes, name -> URL answering 200 when well
    # (locally: the simulators). JSON in the environment: SEM_HEALTH_PROBES='{"tgr": "http://…"}'.
    health_probes: dict[str, HttpUrl] = Field(default_factory=dict)
    health_probe_timeout_s: float = Field(default=1.5, gt=0, le=10)

    # Officials' sign-in (Cognito). The issuer keeps AWS's form even locally; the JWKS address
    # is separate because moto serves it under its own endpoint.
    cognito_user_pool_id: str = ""
    cognito_client_id: str = ""
    cognito_jwks_url: str | None = None

    # Payments and the TGR gateway. Secrets come from the environment (Secrets Manager or SSM in
    # production, generated at start-up locally); none has a usable default.
    tgr_url: str = "http://127.0.0.1:8101"
    tgr_webhook_secrets: list[SecretStr] = Field(default_factory=list)
    access_token_secret: SecretStr = SecretStr("")
    payment_ttl_minutes: int = Field(default=90, ge=5, le=24 * 60)
    allow_estimated_amounts: bool = Field(
        default=False, description="Charge amounts computed from projected UTM/IPC (demo and test stages only).")
    vehicle_registry: str = Field(default="soap", pattern=r"^(demo|soap)$",
                                  description="soap: the Registro Civil and check services; demo: the demo table")

    # The CMF's public API (UTM and IPC imports; locally: devstack/simulators/cmf.py). The key is a secret.
    cmf_url: str = "http://127.0.0.1:8104"
    cmf_api_key: SecretStr = SecretStr("")

    # The prerequisite services (SOAP). Addresses of the real services go here in production.
    soap_aach_url: str = "http://127.0.0.1:8102/aach"
    soap_mtt_url: str = "http://127.0.0.1:8102/mtt"
    soap_srcei_url: str = "http://127.0.0.1:8102/srcei"
    soap_connect_timeout_s: float = Field(default=1.0, gt=0, le=10)
    soap_read_timeout_s: float = Field(default=3.0, gt=0, le=30)
    soap_max_attempts: int = Field(default=2, ge=1, le=5)
    soap_retry_backoff_s: float = Field(default=0.1, ge=0, le=5)
    soap_breaker_threshold: int = Field(default=5, ge=1, le=100)
    soap_breaker_reset_s: float = Field(default=30.0, gt=0, le=600)
    prerequisites_timeout_s: float = Field(default=8.0, gt=0, le=25)

    # Public base URL of this API (used in receipts' QR codes and links). Locally, the runner sets it.
    public_api_url: str = "http://127.0.0.1:8000"

    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    # Receipts. A claim to send a receipt's e-mail holds this long: longer than the worker's
    # Lambda timeout (60 s), so a claim that has run out belongs to a worker that is gone.
    receipt_email_lease_s: int = Field(default=120, ge=30, le=900)
    # A paid payment whose receipt or e-mail is still unfinished this long after its job was queued
    # is queued again by the sweep, so a job that reached the dead-letter queue (five failed
    # receives: 30 minutes at the queue's 360 s visibility) is retried without an operator.
    receipt_recheck_s: int = Field(default=2700, ge=10, le=86_400)
    # RUN printed in the default signer's certificate when a municipality has not designated its
    # receipt-signing official (`receipt_signer` in its configuration). The built-in value is a
    # demo RUN: on prod it is refused here (the process does not start) and by the receipt signer
    # (it never signs with it), so production municipalities designate theirs.
    receipt_default_signer_run: str = Field(default=DEMO_SIGNER_RUN, pattern=r"^\d{7,8}-[\dkK]$")

    # SES events (docs/email-events.md): every e-mail goes out under this configuration set, whose
    # event destination publishes to the SNS topic below; the events worker accepts only
    # notifications of that topic. An e-mail whose first attempt's outcome is unknown (the worker
    # died after SES's answer, or the answer was lost) is sent again only when no SES event of that
    # attempt arrived within this many seconds after its claim's lease ended.
    ses_configuration_set: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,64}$")
    ses_events_topic_arn: str = ""
    ses_events_queue_url: str = ""
    receipt_email_events_grace_s: int = Field(default=300, ge=5, le=3_600)

    @field_validator("receipt_default_signer_run")
    @classmethod
    def _no_demo_signer_in_prod(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("stage") == "prod" and value.upper() == DEMO_SIGNER_RUN:
            raise ValueError("SEM_RECEIPT_DEFAULT_SIGNER_RUN is the built-in demo RUN; it is refused on prod "
                             "(each municipality designates its receipt signer)")
        return value

    # Officials' advanced electronic signature (docs/signatures.md). `platform`: the platform CA
    # with keys in KMS (default; local runs); `firmagob`: the government's signing service.
    signing_backend: str = Field(default="platform", pattern=r"^(platform|firmagob)$")
    signing_otp_key_alias: str = Field(default="alias/sem/signing-otp", pattern=r"^alias/[A-Za-z0-9/_-]{1,200}$",
                                       description="Symmetric KMS key that encrypts officials' TOTP secrets.")
    signing_otp_max_failures: int = Field(default=5, ge=1, le=20)
    signing_otp_lock_s: int = Field(default=900, ge=60, le=86_400)
    # FirmaGob (only with signing_backend=firmagob): the environment's base URL (the adapter posts
    # to `<url>/firma/v2/files/tickets`), the institution's api token key and JWT secret, and the
    # registered entity name of each municipality (JSON: {"13101": "Ilustre Municipalidad de …"}).
    firmagob_url: str = ""
    firmagob_api_token_key: SecretStr = SecretStr("")
    firmagob_secret: SecretStr = SecretStr("")
    firmagob_entities: dict[str, str] = Field(default_factory=dict)
    firmagob_timeout_s: float = Field(default=20.0, gt=0, le=25)
    # FirmaGob's published certificate chain (issuing CA first, then the root; PEM) that its
    # signatures are verified against, and where it was taken from (docs/signatures.md): a file
    # path, relative to the package (`chalicelib/assets/trust/`) or absolute.
    firmagob_chain_path: str = ""
    firmagob_chain_source: str = ""

    @field_validator("firmagob_chain_source")
    @classmethod
    def _firmagob_complete(cls, value: str, info: ValidationInfo) -> str:
        """With FirmaGob, its URL, its chain and the chain's source are required: a legend must
        name the certificate's issuer and a verification must know what to trust."""
        if info.data.get("signing_backend") == "firmagob":
            missing = [name for name, given in (("SEM_FIRMAGOB_URL", info.data.get("firmagob_url")),
                                                ("SEM_FIRMAGOB_CHAIN_PATH", info.data.get("firmagob_chain_path")),
                                                ("SEM_FIRMAGOB_CHAIN_SOURCE", value)) if not given]
            if missing:
                raise ValueError(f"SEM_SIGNING_BACKEND=firmagob needs {', '.join(missing)} (docs/signatures.md)")
        return value

    # Citizens' sign-in with ClaveÚnica (docs/citizens.md). The issuer's address gives the
    # endpoints (`<issuer>/authorize`, `/token`, `/userinfo`, `/jwks`), as accounts.claveunica.gob.cl
    # lays them out; locally the simulator's. The redirect URI is the "Mis pagos" page's callback,
    # registered with ClaveÚnica per stage. The session secret signs citizens' own short sessions;
    # the index secret keys the hash of a RUN in the national index of their payments.
    claveunica_issuer: str = "https://accounts.claveunica.gob.cl/openid"
    claveunica_client_id: str = ""
    claveunica_client_secret: SecretStr = SecretStr("")
    claveunica_redirect_uri: str = ""
    citizen_session_secret: SecretStr = SecretStr("")
    citizen_index_secret: SecretStr = SecretStr("")
    citizen_session_minutes: int = Field(default=30, ge=5, le=120)

    # Fault injection for `make chaos` and its test (chalicelib/adapters/fault_injection.py): JSON,
    # service or "service:Operation" -> share of calls answered with throttling. Never on prod.
    faults: dict[str, float] = Field(default_factory=dict)

    @field_validator("faults")
    @classmethod
    def _no_faults_in_prod(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        if value and info.data.get("stage") == "prod":
            raise ValueError("SEM_FAULTS is for dev and test stages only; it is refused on prod")
        if any(not 0 <= share <= 1 for share in value.values()):
            raise ValueError("SEM_FAULTS shares must be between 0 and 1")
        return value

    # Rate limits on guessable values (services/rate_limit.py): fixed windows counted in DynamoDB.
    # Wrong payment access tokens per payment, and wrong tokens / receipt codes per source address
    # and municipality, within one window; past the limit the route answers 429 with Retry-After.
    rate_limit_window_s: int = Field(default=600, ge=10, le=86_400)
    rate_limit_failures_per_payment: int = Field(default=10, ge=1, le=1_000)
    rate_limit_failures_per_source: int = Field(default=50, ge=1, le=10_000)
    # Upper bound on the life of every presigned S3 link the API hands out (ObjectStore refuses more).
    presigned_url_max_s: int = Field(default=900, ge=300, le=3_600)  # the citizen's receipt link lasts 300 s
    # Wrong one-time signing codes an official may send per day, whatever the locks in between.
    signing_otp_daily_max_failures: int = Field(default=20, ge=5, le=1_000)


    @property
    def production(self) -> bool:
        return self.stage == "prod"

    @property
    def cognito_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.cognito_user_pool_id}"

    @property
    def cognito_jwks(self) -> str:
        return self.cognito_jwks_url or f"{self.cognito_issuer}/.well-known/jwks.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, validated on first use."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the local runner change the environment)."""
    get_settings.cache_clear()
