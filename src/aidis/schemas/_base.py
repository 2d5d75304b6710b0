"""The base of every output model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """Base of every output model."""

    model_config = ConfigDict(from_attributes=True)
