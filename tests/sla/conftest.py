"""Service-level tests use the API's clients (tokens issued through the web page)."""

from tests.api.conftest import admin_api, api_for, client_api, desk_api  # noqa: F401
