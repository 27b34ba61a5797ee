"""HTTP routes of the patrons context: search, register, change, block, export and erase.

A field that cannot be accepted answers 422 (a card number already issued: 409), with
FastAPI's error shape, `loc` naming the field; the PIN hash never leaves the server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlmodel import Session

from contracts import Name
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.config import ServerSettings
from server.deps import SessionDep, SettingsDep
from server.patrons import categories, privacy, service, validation
from server.patrons.models import Patron, PatronBlock, PatronCard, PatronCategory
from server.patrons.validation import CardTaken, PatronInvalid

router = APIRouter(prefix="/api", tags=["patrons"])

Reader = Annotated[Account, Depends(requires(Permission.PATRONS_READ))]
Writer = Annotated[Account, Depends(requires(Permission.PATRONS_WRITE))]
Privacy = Annotated[Account, Depends(requires(Permission.PATRONS_PRIVACY))]


def _today() -> date:
    return datetime.now(UTC).date()


def phone_region(settings: ServerSettings) -> str:
    return settings.phone_region


class PatronFields(BaseModel):
    """Checks shared by Create and Update; each error names its field."""

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else validation.name(value)

    @field_validator("email", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return validation.email(value)

    @field_validator("birth_date", check_fields=False)
    @classmethod
    def _birth_date(cls, value: date | None) -> date | None:
        return validation.birth_date(value, _today())

    @field_validator("pin", check_fields=False)
    @classmethod
    def _pin(cls, value: str | None) -> str | None:
        return validation.pin(value)


class PatronCreate(PatronFields):
    name: str = Field(max_length=400)
    category: str = Field(max_length=32)
    home_branch: Name
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    birth_date: date | None = None
    cards: list[str] = Field(default_factory=list, max_length=10)
    pin: str | None = None
    registered_on: date | None = None
    expires_on: date | None = None

    @field_validator("cards")
    @classmethod
    def _cards(cls, value: list[str]) -> list[str]:
        return validation.cards(value)

    @field_validator("expires_on")
    @classmethod
    def _expiry(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None:
            return None
        return validation.expiry(value, info.data.get("registered_on") or _today())


class PatronUpdate(PatronFields):
    name: str | None = Field(default=None, max_length=400)
    category: str | None = Field(default=None, max_length=32)
    home_branch: Name | None = None
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    birth_date: date | None = None
    expires_on: date | None = None
    pin: str | None = None
    unlock_pin: bool = False


class PatronPublic(BaseModel):
    id: int
    name: str
    email: str | None
    phone: str | None
    birth_date: date | None
    category: str
    home_branch: str
    registered_on: date
    expires_on: date
    pin_set: bool
    pin_locked: bool
    anonymised_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, patron: Patron) -> PatronPublic:
        return cls(
            **patron.model_dump(exclude={"pin_hash", "pin_failures", "pin_locked_at"}),
            pin_set=patron.pin_hash is not None,
            pin_locked=patron.pin_locked_at is not None,
        )


class CardPublic(BaseModel):
    number: str
    issued_at: datetime
    retired_at: datetime | None
    retired_reason: str


class ManualBlockPublic(BaseModel):
    id: int
    reason: str
    created_by: str
    created_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None


class BlockPublic(BaseModel):
    kind: str
    reason: str
    since: date | None
    block_id: int | None


class PatronDetail(PatronPublic):
    cards: list[CardPublic]
    manual_blocks: list[ManualBlockPublic]
    blocks: list[BlockPublic]  # in force today


class PatronsPage(BaseModel):
    items: list[PatronPublic]
    total: int
    page: int
    per_page: int


class CardAdd(BaseModel):
    number: str = Field(max_length=64)


class CardRetire(BaseModel):
    reason: str = Field(default="lost", max_length=200)


class BlockAdd(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class CategoryCreate(BaseModel):
    code: str = Field(max_length=32)
    name: str = Field(min_length=1, max_length=80)
    needs_pin: bool = True
    card_validity_days: int = Field(default=365, ge=1, le=3650)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return validation.category_code(value)


class CategoryUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=80)
    needs_pin: bool | None = None
    card_validity_days: int | None = Field(default=None, ge=1, le=3650)


class CategoryPublic(BaseModel):
    code: str
    name: str
    needs_pin: bool
    card_validity_days: int


class PatronExport(BaseModel):
    """Everything held on one patron; other contexts add sections (loans, holds, ...)."""

    model_config = ConfigDict(extra="allow")

    format: str
    exported_at: datetime
    patron: dict[str, Any]
    category: dict[str, Any] | None
    cards: list[dict[str, Any]]
    blocks: list[dict[str, Any]]
    audit: list[dict[str, Any]]


def refused(error: Exception) -> HTTPException:
    """The service's refusal as an HTTP answer: field errors in FastAPI's 422 shape."""
    if isinstance(error, PatronInvalid):
        detail = [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
        code = 409 if isinstance(error, CardTaken) else 422
        return HTTPException(code, detail)
    if isinstance(error, service.PatronNotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(error))
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


REFUSALS = (PatronInvalid, service.PatronNotFound, service.PatronConflict)


async def answer_refusal(request: Request, error: Exception) -> Response:
    """Registered on the app for REFUSALS, so routes let the service's refusals through."""
    return await http_exception_handler(request, refused(error))


def detail(session: Session, patron: Patron) -> PatronDetail:
    patron_id = patron.id or 0
    return PatronDetail(
        **PatronPublic.of(patron).model_dump(),
        cards=[
            CardPublic.model_validate(card, from_attributes=True)
            for card in service.cards_of(session, patron_id)
        ],
        manual_blocks=[
            ManualBlockPublic.model_validate(block, from_attributes=True)
            for block in service.blocks_rows(session, patron_id)
        ],
        blocks=[
            BlockPublic(kind=b.kind, reason=b.reason, since=b.since, block_id=b.block_id)
            for b in service.blocks_now(session, patron, _today())
        ],
    )


@router.get("/patrons", response_model=PatronsPage)
def search(
    session: SessionDep,
    _reader: Reader,
    q: str = Query("", max_length=200),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(25, ge=1, le=service.MAX_PAGE),
    include_anonymised: bool = False,
) -> PatronsPage:
    found = service.search_patrons(
        session, q, page=page, per_page=per_page, include_anonymised=include_anonymised
    )
    return PatronsPage(
        items=[PatronPublic.of(p) for p in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.post("/patrons", response_model=PatronDetail, status_code=status.HTTP_201_CREATED)
def create(
    form: PatronCreate, session: SessionDep, settings: SettingsDep, writer: Writer
) -> PatronDetail:
    patron = service.create_patron(
        session,
        **form.model_dump(),
        actor=writer.username,
        now=datetime.now(UTC),
        phone_region=phone_region(settings),
    )
    return detail(session, patron)


@router.get("/patrons/{patron_id}", response_model=PatronDetail)
def read(patron_id: int, session: SessionDep, _reader: Reader) -> PatronDetail:
    return detail(session, service.get_patron(session, patron_id))


@router.patch("/patrons/{patron_id}", response_model=PatronDetail)
def update(
    patron_id: int, form: PatronUpdate, session: SessionDep, settings: SettingsDep, writer: Writer
) -> PatronDetail:
    fields = form.model_dump(exclude_unset=True)
    for required in ("name", "category", "home_branch", "expires_on"):
        if required in fields and fields[required] is None:
            raise PatronInvalid(required, f"{required} cannot be empty")
    patron = service.update_patron(
        session,
        patron_id,
        actor=writer.username,
        now=datetime.now(UTC),
        phone_region=phone_region(settings),
        **fields,
    )
    return detail(session, patron)


@router.post(
    "/patrons/{patron_id}/cards", response_model=CardPublic, status_code=status.HTTP_201_CREATED
)
def add_card(patron_id: int, form: CardAdd, session: SessionDep, writer: Writer) -> PatronCard:
    return service.add_card(
        session, patron_id, form.number, actor=writer.username, now=datetime.now(UTC)
    )


@router.post("/patrons/{patron_id}/cards/{number}/retire", response_model=CardPublic)
def retire_card(
    patron_id: int, number: str, session: SessionDep, writer: Writer, form: CardRetire | None = None
) -> PatronCard:
    reason = (form or CardRetire()).reason
    return service.retire_card(
        session, patron_id, number, reason, actor=writer.username, now=datetime.now(UTC)
    )


@router.post(
    "/patrons/{patron_id}/blocks",
    response_model=ManualBlockPublic,
    status_code=status.HTTP_201_CREATED,
)
def add_block(patron_id: int, form: BlockAdd, session: SessionDep, writer: Writer) -> PatronBlock:
    return service.add_block(
        session, patron_id, form.reason, actor=writer.username, now=datetime.now(UTC)
    )


@router.post("/patrons/{patron_id}/blocks/{block_id}/lift", response_model=ManualBlockPublic)
def lift_block(patron_id: int, block_id: int, session: SessionDep, writer: Writer) -> PatronBlock:
    return service.lift_block(
        session, patron_id, block_id, actor=writer.username, now=datetime.now(UTC)
    )


@router.get("/patrons/{patron_id}/export", response_model=PatronExport)
def export(patron_id: int, session: SessionDep, officer: Privacy) -> dict[str, Any]:
    """Everything held on the patron, for a subject access request."""
    return privacy.export_patron(session, patron_id, actor=officer.username, now=datetime.now(UTC))


@router.post("/patrons/{patron_id}/anonymise", response_model=PatronPublic)
def anonymise(patron_id: int, session: SessionDep, officer: Privacy) -> PatronPublic:
    """Erase the patron's personal data; the anonymous row stays for statistics."""
    patron = privacy.anonymise_patron(
        session, patron_id, actor=officer.username, now=datetime.now(UTC)
    )
    return PatronPublic.of(patron)


@router.get("/patron-categories", response_model=list[CategoryPublic])
def list_categories(session: SessionDep, _reader: Reader) -> list[PatronCategory]:
    return categories.list_categories(session)


@router.post(
    "/patron-categories", response_model=CategoryPublic, status_code=status.HTTP_201_CREATED
)
def create_category(form: CategoryCreate, session: SessionDep, writer: Writer) -> PatronCategory:
    return categories.create_category(
        session, **form.model_dump(), actor=writer.username, now=datetime.now(UTC)
    )


@router.patch("/patron-categories/{code}", response_model=CategoryPublic)
def update_category(
    code: str, form: CategoryUpdate, session: SessionDep, writer: Writer
) -> PatronCategory:
    fields = {k: v for k, v in form.model_dump(exclude_unset=True).items() if v is not None}
    return categories.update_category(
        session, code, actor=writer.username, now=datetime.now(UTC), **fields
    )
