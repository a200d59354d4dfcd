"""The desk's own settings that administrators change from the app (key and text value)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class Setting(Model):
    """One setting of the whole desk, such as the organisation's time zone."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
