"""Response shapes of the rolls' routes: CSV uploads of patentes and aseo debts
(chalicelib/api/admin_rolls.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import Cursor, IsoDateTime, Out


class RollUploadOut(Out):
    upload_id: str
    status: Literal["awaiting_file", "processing", "done", "failed"] | None
    filename: str | None
    content_length: int | None
    created_by: str | None
    created_at: IsoDateTime | None
    updated_at: IsoDateTime | None
    finished_at: IsoDateTime | None
    data_lines: int | None
    valid_lines: int | None
    written: int | None
    error_count: int | None
    failure: str | None = Field(description="Por qué falló el archivo completo (es-CL).")
    progress_percent: int
    errors_truncated: bool = Field(description="true: hay más errores que los guardados.")


class RollUploadStartedOut(Out):
    """A new upload and where to PUT its CSV (exactly `content_length` bytes, text/csv)."""

    upload: RollUploadOut
    upload_url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_at: IsoDateTime


class RollUploadsPageOut(Out):
    items: list[RollUploadOut]
    cursor: Cursor


class RollLineErrorOut(Out):
    line: int
    field: str | None
    message: str


class RollUploadStatusOut(Out):
    upload: RollUploadOut
    errors: list[RollLineErrorOut]
    cursor: Cursor
