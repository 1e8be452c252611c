"""The mail path against a real SMTP server (aiosmtpd): delivery, outages, refusals.

Embedded: the request's mail outbox, relayed in the process to the mailer. Distributed:
the mailer consuming RabbitMQ, with the broker's delay queues and dead letters.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY

from projectconnect.auth.models import MailOutboxMessage as AuthMail
from projectconnect.devserver import create_embedded_app
from projectconnect.infra.bus import InProcessBus
from projectconnect.infra.db import Database
from projectconnect.infra.inbox import Dispatcher
from projectconnect.infra.mail import MailMessage, mail_relay, mail_requested
from projectconnect.infra.mailer import Mailer, MailSettings, SmtpTarget, SmtpTransport
from projectconnect.infra.outbox import Outbox, OutboxColumns
from projectconnect.infra.rabbitmq import (
    RabbitConsumer,
    RabbitPublisher,
    Topology,
    list_dead_letters,
    replay_dead_letters,
)
from projectconnect.projects.models import MailOutboxMessage as ProjectsMail
from tests.conftest import _in_process, embedded_settings
from tests.support.accounts import PASSWORD, login, register, unique_email
from tests.support.embedded import prepared_data_dir
from tests.support.mail import SmtpSink, link_token, mail_to
from tests.support.services import ThrowawayBroker
from tests.support.waiting import eventually

NEW_PASSWORD = "quartz-lantern-meadow-77"


def _count(name: str, category: str) -> float:
    return REGISTRY.get_sample_value(name, {"category": category}) or 0.0


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """An SMTP server's port, not listening yet: tests start it (and stop it) themselves."""
    server = SmtpSink()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def embedded(tmp_path: Path, sink: SmtpSink) -> AsyncIterator[httpx.AsyncClient]:
    """The embedded app delivering its mail to `sink` over SMTP."""
    data = await prepared_data_dir(tmp_path / "data")
    app = create_embedded_app(
        *embedded_settings(data.auth_url, data.projects_url, data.signing_key),
        mail=MailSettings(smtp_url=sink.url),
    )
    async for client in _in_process(app):
        yield client


async def test_a_forgotten_password_comes_back_through_a_real_mail(
    embedded: httpx.AsyncClient, sink: SmtpSink
) -> None:
    sink.start()
    email = unique_email("forgetful")
    await register(embedded, email)
    forgot = await embedded.post("/auth/password/forgot", json={"email": email})
    assert forgot.status_code == 202

    mail = await mail_to(sink, email, "Reset your Project Connect password")
    assert [email] in sink.recipients()
    assert str(mail["Message-ID"]).endswith("@projectconnect>")
    assert mail.get_body(("html",)) is not None
    token = link_token(mail, "/reset-password")
    reset = await embedded.post(
        "/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 204
    assert (await login(embedded, email, PASSWORD)).status_code == 401
    assert (await login(embedded, email, NEW_PASSWORD)).status_code == 200


async def test_mail_waits_out_an_smtp_outage_in_the_embedded_mode(
    embedded: httpx.AsyncClient, sink: SmtpSink
) -> None:
    """The server is down when the mail is asked for; it arrives once it is back, each once."""
    retried = _count("mail_retries_total", "email_verification")
    emails = [unique_email("patient") for _ in range(3)]
    for email in emails:
        await register(embedded, email)  # each registration asks for a verification mail
    await eventually(
        lambda: _count("mail_retries_total", "email_verification") > retried,
        message="no delivery was attempted and retried",
    )
    assert sink.messages() == []
    sink.start()
    for email in emails:
        await mail_to(sink, email, "Confirm your email address", within=30)
    ids = [str(m["Message-ID"]) for m in sink.messages()]
    assert len(ids) == len(set(ids)) == 3


async def test_forgot_is_throttled_per_client_address(tmp_path: Path) -> None:
    data = await prepared_data_dir(tmp_path / "data")
    auth, projects = embedded_settings(data.auth_url, data.projects_url, data.signing_key)
    app = create_embedded_app(
        auth.model_copy(update={"mail_links_per_ip": "2 per hour"}),
        projects,
        mail=MailSettings(dir=data.mail_dir),
    )
    async with LifespanManager(app) as manager:
        for address in ("10.0.0.1", "10.0.0.2"):
            transport = httpx.ASGITransport(app=manager.app, client=(address, 50000))
            async with httpx.AsyncClient(transport=transport, base_url="https://pc.test") as api:
                statuses = [
                    (await api.post("/auth/password/forgot", json={"email": unique_email()}))
                    for _ in range(3)
                ]
            assert [s.status_code for s in statuses] == [202, 202, 429], address
            assert int(statuses[-1].headers["Retry-After"]) > 0


# --- the distributed mailer: RabbitMQ, delay queues, dead letters ---


@pytest.fixture
async def topology() -> AsyncIterator[Topology]:
    """A namespace of the test's own, with short retry delays; deleted afterwards."""
    broker = ThrowawayBroker()
    await broker.check()
    mine = Topology(namespace=broker.topology.namespace, retry_delays=(0.2, 0.5, 1.0))
    try:
        yield mine
    finally:
        connection = await aio_pika.connect(broker.url, timeout=5)
        async with connection:
            await mine.delete(await connection.channel())


@pytest.fixture
async def mailer(topology: Topology, sink: SmtpSink) -> AsyncIterator[RabbitConsumer]:
    transport = SmtpTransport(SmtpTarget.parse(sink.url), timeout=5)
    delivery = Mailer(transport, sender="Project Connect <no-reply@pc.test>")
    consumer = RabbitConsumer(ThrowawayBroker().url, topology, "mailer", delivery.dispatcher())
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.close()


async def _request(topology: Topology, *categories: str) -> list[str]:
    """Publish `mail.requested` events as the auth service's relay does; their addresses."""
    publisher = RabbitPublisher(ThrowawayBroker().url, topology)
    addresses = []
    try:
        for category in categories:
            address = unique_email(category.replace("_", "-"))
            message = MailMessage(
                to=[address],
                subject=f"Hello {category}",
                text=f"Open https://pc.test/page?token={uuid.uuid4().hex}\n",
                category=category,
            )
            await publisher.publish(mail_requested(message, source="test"))
            addresses.append(address)
    finally:
        await publisher.close()
    return addresses


async def test_the_mailer_delivers_with_recipients_subject_and_sender(
    topology: Topology, mailer: RabbitConsumer, sink: SmtpSink
) -> None:
    sink.start()
    sent = _count("mail_sent_total", "broker_delivery")
    (address,) = await _request(topology, "broker_delivery")
    mail = await mail_to(sink, address, "Hello broker_delivery")
    assert sink.recipients() == [[address]]
    assert str(mail["From"]) == "Project Connect <no-reply@pc.test>"
    assert "https://pc.test/page?token=" in mail.get_content()
    assert _count("mail_sent_total", "broker_delivery") == sent + 1


async def test_mail_waits_out_an_smtp_outage_through_the_broker(
    topology: Topology, mailer: RabbitConsumer, sink: SmtpSink
) -> None:
    retried = _count("mail_retries_total", "outage")
    addresses = await _request(topology, *["outage"] * 5)
    await eventually(
        lambda: _count("mail_retries_total", "outage") >= retried + 5,
        message="the deliveries were not retried",
    )
    sink.start()
    for address in addresses:
        await mail_to(sink, address, within=30)
    assert sorted(a for (a,) in sink.recipients()) == sorted(addresses)
    letters = await list_dead_letters(ThrowawayBroker().url, topology, "mailer")
    assert letters == []


async def test_a_temporary_refusal_is_retried_until_accepted(
    topology: Topology, mailer: RabbitConsumer, sink: SmtpSink
) -> None:
    sink.answer = "451 4.3.0 try again later"
    sink.start()
    (address,) = await _request(topology, "deferred")
    await eventually(lambda: sink.refused >= 2, message="the 451 was not retried")
    sink.answer = "250 OK"
    await mail_to(sink, address, within=30)
    assert _count("mail_failed_total", "deferred") == 0


async def test_a_permanent_refusal_is_dead_lettered_counted_and_can_be_replayed(
    topology: Topology, mailer: RabbitConsumer, sink: SmtpSink
) -> None:
    sink.answer = "550 5.1.1 mailbox unavailable"
    sink.start()
    failed = _count("mail_failed_total", "refused")
    (address,) = await _request(topology, "refused")
    url = ThrowawayBroker().url

    async def dead_lettered() -> bool:
        return len(await list_dead_letters(url, topology, "mailer")) == 1

    await eventually(dead_lettered, message="the refused mail was not dead-lettered")
    (letter,) = await list_dead_letters(url, topology, "mailer")
    assert letter.type == "mail.requested"
    assert letter.error == "refused with 550"  # the code, never the server's words
    assert sink.refused == 1  # not retried
    assert _count("mail_failed_total", "refused") == failed + 1

    # Nothing lost: once the cause is fixed, a replay delivers it.
    sink.answer = "250 OK"
    assert len(await replay_dead_letters(url, topology, "mailer")) == 1
    await mail_to(sink, address)


async def test_each_services_mail_outbox_has_its_own_gauges(tmp_path: Path) -> None:
    """The embedded process relays two mail outboxes: each reports under its service."""
    data = await prepared_data_dir(tmp_path / "data")
    waiting: dict[str, tuple[str, type[OutboxColumns], int]] = {
        "auth": (data.auth_url, AuthMail, 2),
        "projects": (data.projects_url, ProjectsMail, 1),
    }
    bus = InProcessBus(Dispatcher())  # never reached: the relays only observe
    for service, (url, model, count) in waiting.items():
        db = Database(url, name=service)
        outbox = Outbox(model)
        try:
            async with db.session() as session, session.begin():
                for n in range(count):
                    message = MailMessage(
                        to=[f"m{n}@example.com"], subject="Hi", text="Hello", category="test"
                    )
                    await outbox.add(session, mail_requested(message, source=service))
            await mail_relay(db, outbox, bus, service=service).observe_backlog()
        finally:
            await db.dispose()

    def backlog(service: str) -> float | None:
        return REGISTRY.get_sample_value("mail_outbox_backlog_messages", {"service": service})

    assert (backlog("auth"), backlog("projects")) == (2, 1)
