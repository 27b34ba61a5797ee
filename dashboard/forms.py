"""Posted forms for the pages: what a person typed, and each refusal keyed by its field.

A page route takes `typed: Posted` instead of one `Form(...)` parameter per input, then
validates the dict with the same pydantic shape the JSON API uses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from pydantic import ValidationError

MAX_VALUE = 4000  # characters in one input; the shapes' own limits are tighter


async def posted(request: Request) -> dict[str, str]:
    """The text inputs of a posted form, as typed (a name given twice: the last one)."""
    form = await request.form()
    typed: dict[str, str] = {}
    for name, value in form.items():
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name}: not a short text")
        typed[name] = value
    return typed


Posted = Annotated[dict[str, str], Depends(posted)]


def errors_of(refusal: Exception, fields: tuple[str, ...]) -> dict[str, str]:
    """Each field's first refusal: pydantic's, or a service's "field: why" message.

    A message naming no field of the form is kept under "form", for the whole form.
    """
    if isinstance(refusal, ValidationError):
        found: dict[str, str] = {}
        for problem in refusal.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "form"
            found.setdefault(field, str(problem["msg"]).removeprefix("Value error, "))
        return found
    field, _, why = str(refusal).partition(": ")
    return {field: why} if field in fields and why else {"form": str(refusal)}
