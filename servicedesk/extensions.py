"""Unbound extension instances, bound to the app in create_app()."""

from typing import TYPE_CHECKING

from flask import Flask, current_app
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)

# Models subclass Model. At run time it is Flask-SQLAlchemy's subclass of Base (engine binds,
# table names); mypy cannot see a base class made at run time, so it checks against Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()


def running_app() -> Flask:
    """The app behind current_app: threads and jobs need the object, not the proxy."""
    return current_app._get_current_object()  # type: ignore[attr-defined]


login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
babel = Babel()
bootstrap = Bootstrap5()
