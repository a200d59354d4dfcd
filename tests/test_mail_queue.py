"""Mail through Redis and a real rq worker; a Redis outage delays mail but loses none."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import OutboxMessage, OutboxStatus
from servicedesk.notifications import delivery
from tests.conftest import free_port, post_form, require_service


@pytest.fixture
def redis_url():
    """The Redis named by TEST_REDIS_URL, reachable, or a skip (a failure in CI)."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        require_service("redis", "TEST_REDIS_URL is not set")
    from redis import Redis

    Redis.from_url(url).ping()
    return url


@pytest.fixture
def queued_app(app, redis_url):
    """Point the app at Redis with a queue name of this test's own."""
    from redis import Redis
    from rq import Queue

    app.config.update(REDIS_URL=redis_url, RQ_QUEUE=f"sd-test-{uuid.uuid4().hex[:8]}")
    yield app
    Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(redis_url)).delete(delete_jobs=True)
    app.config.update(REDIS_URL="", RQ_QUEUE="servicedesk-mail")


def run_worker(app) -> None:
    """Drain this test's queue with a real rq worker in burst mode."""
    from redis import Redis
    from rq import SimpleWorker

    conn = Redis.from_url(app.config["REDIS_URL"])
    SimpleWorker([app.config["RQ_QUEUE"]], connection=conn).work(burst=True)


def test_reset_mail_goes_through_rq_exactly_once(queued_app, client, client_user, mailbox):
    post_form(client, "/password/forgot", {"email": client_user.email})
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == OutboxStatus.QUEUED
    assert mailbox.messages == []  # nothing left on the request path
    run_worker(queued_app)
    assert len(mailbox.to(client_user.email)) == 1
    assert mailbox.messages[0]["Message-ID"] == message.message_id
    db.session.refresh(message)
    assert message.status == OutboxStatus.SENT
    # A second relay and worker run never send it again.
    delivery.relay([message.id])
    run_worker(queued_app)
    assert len(mailbox.to(client_user.email)) == 1


def test_redis_down_keeps_mail_pending_until_the_relay(queued_app, client, client_user, mailbox):
    good = queued_app.config["REDIS_URL"]
    queued_app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    response = post_form(client, "/password/forgot", {"email": client_user.email})
    assert response.status_code == 302
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == OutboxStatus.PENDING
    queued_app.config["REDIS_URL"] = good
    assert delivery.relay(delivery.pending_ids()) == 1
    run_worker(queued_app)
    assert len(mailbox.to(client_user.email)) == 1


def test_rolled_back_change_sends_nothing(app, client_user, mailbox):
    from servicedesk.auth.service import request_reset

    with app.test_request_context():
        request_reset(client_user.email)
        db.session.rollback()
        from servicedesk.unit_of_work import commit

        commit()
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert mailbox.messages == []
