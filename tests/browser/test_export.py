"""An administrator runs a large export, watches its progress bar and downloads the file."""

from __future__ import annotations

import io

import openpyxl
import pytest

from servicedesk.models import Status
from tests.browser.test_admin_types import sign_in
from tests.factories import make_ticket

pytestmark = pytest.mark.browser


def test_large_export_with_progress_and_download(
    app, browser, live_server, admin, client_user, soporte, artifacts_dir
):
    for n in range(30):
        make_ticket(
            client_user,
            soporte,
            f"Solicitud {n}",
            status=Status.OPEN,
            data={"ubicacion": f"Depto {n}", "categoria": "agua"},
        )
    app.config["EXPORT_INLINE_MAX"] = 10  # 30 tickets count as "large" here
    try:
        page = browser.new_context(base_url=live_server, accept_downloads=True).new_page()
        sign_in(page, admin.email)
        page.goto("/tablero/?view=historial")
        page.get_by_test_id("dashboard-excel").click()
        page.get_by_test_id("export-start").click()
        page.wait_for_url("**/informes/exportaciones/**")
        assert page.locator("progress#export-progress").count() == 1
        page.locator("#export-download:not(.d-none)").wait_for(timeout=20_000)
        assert page.locator("progress#export-progress").get_attribute("max") == "30"
        page.screenshot(path=str(artifacts_dir / "export-progress.png"), full_page=True)
        with page.expect_download() as info:
            page.locator("#export-download").click()
        content = info.value.path().read_bytes()
    finally:
        app.config["EXPORT_INLINE_MAX"] = 5000
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.max_row == 31
