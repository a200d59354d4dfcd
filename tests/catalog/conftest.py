"""Fixtures for the catalog's HTTP tests."""

from __future__ import annotations

import pytest

from tests.conftest import login


@pytest.fixture
def admin_client(client, admin):
    """A test client signed in as the administrator."""
    login(client, admin.email)
    return client
