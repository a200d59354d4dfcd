"""Demo data: a condominium's desk with areas, people, ticket types and tickets in every state."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from .catalog.builder import FieldSpec, to_schema
from .extensions import db
from .models import (
    Area,
    Channel,
    Comment,
    Feedback,
    Priority,
    Role,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
    TicketTypeVersion,
    User,
    utcnow,
)

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for the demo on purpose
AREAS = ("Seguridad", "Limpieza", "Mantenimiento", "Soporte TI")
PEOPLE = [
    ("Ana Administradora", "admin@example.com", Role.ADMIN, None),
    ("Carlos Guardia", "carlos@example.com", Role.COLLABORATOR, "Seguridad"),
    ("Lucía Limpieza", "lucia@example.com", Role.COLLABORATOR, "Limpieza"),
    ("Miguel Mantenimiento", "miguel@example.com", Role.COLLABORATOR, "Mantenimiento"),
    ("Sofía Soporte", "sofia@example.com", Role.COLLABORATOR, "Soporte TI"),
    ("María Residente (Depto. 101)", "maria@example.com", Role.CLIENT, None),
    ("Juan Residente (Depto. 302)", "juan@example.com", Role.CLIENT, None),
    ("Empresa Ejemplo S.A.", "empresa@example.com", Role.CLIENT, None),
]


def _soporte() -> list[FieldSpec]:
    """Fields of the Soporte type, with a conditional field."""
    return [
        FieldSpec(
            "ubicacion",
            "Ubicación",
            "text",
            True,
            max_length=120,
            help="Edificio, piso o departamento donde ocurre.",
            placeholder="Torre B, depto. 302",
        ),
        FieldSpec(
            "categoria",
            "Categoría",
            "select",
            True,
            options=[
                ("electricidad", "Electricidad"),
                ("plomeria", "Plomería"),
                ("ascensor", "Ascensor"),
                ("red", "Internet / red"),
                ("otro", "Otro"),
            ],
        ),
        FieldSpec(
            "detalle_otro",
            "¿Qué otro problema?",
            "text",
            True,
            max_length=200,
            show_when="categoria",
            show_value="otro",
        ),
        FieldSpec("urgente", "¿Impide usar el servicio?", "boolean"),
        FieldSpec(
            "fotos",
            "Fotos del problema",
            "file",
            max_items=5,
            accept=["image/*", "application/pdf"],
            max_size_mb=10,
        ),
    ]


def _proyecto() -> list[FieldSpec]:
    """Fields of the Proyecto type, with a repeatable group."""
    return [
        FieldSpec("presupuesto", "Presupuesto estimado", "number", minimum=0, maximum=10000000),
        FieldSpec("fecha_inicio", "Fecha de inicio deseada", "date", True),
        FieldSpec(
            "areas_comunes",
            "Áreas comunes afectadas",
            "checkboxes",
            options=[
                ("lobby", "Lobby"),
                ("jardin", "Jardín"),
                ("estacionamiento", "Estacionamiento"),
                ("gimnasio", "Gimnasio"),
            ],
        ),
        FieldSpec("materiales", "Materiales", "repeat", max_items=10),
        FieldSpec("material", "Material", "text", True, parent="materiales", max_length=100),
        FieldSpec("cantidad", "Cantidad", "integer", True, parent="materiales", minimum=1),
    ]


def _consulta() -> list[FieldSpec]:
    """Fields of the Consulta type."""
    return [
        FieldSpec(
            "tema",
            "Tema",
            "radio",
            True,
            options=[
                ("pagos", "Pagos"),
                ("reglamento", "Reglamento"),
                ("reservas", "Reservas"),
                ("otro", "Otro"),
            ],
        ),
        FieldSpec(
            "telefono", "Teléfono de contacto", "phone", help="Si prefieres que te llamemos."
        ),
    ]


TYPES = [
    (
        "soporte",
        "Soporte",
        "Fallas y reparaciones en tu departamento o áreas comunes.",
        "Mantenimiento",
        Priority.NORMAL,
        "#dc3545",
        _soporte,
    ),
    (
        "proyecto",
        "Proyecto",
        "Propuestas de mejora y obras que requieren presupuesto.",
        "Mantenimiento",
        Priority.LOW,
        "#198754",
        _proyecto,
    ),
    (
        "consulta",
        "Consulta",
        "Preguntas sobre pagos, reglamento o reservas.",
        "Soporte TI",
        Priority.NORMAL,
        "#0d6efd",
        _consulta,
    ),
]

SAMPLE_TICKETS = [
    (
        "soporte",
        "Fuga de agua en el baño",
        Status.NEW,
        {"ubicacion": "Depto. 101", "categoria": "plomeria", "urgente": True},
    ),
    (
        "soporte",
        "El ascensor se detiene entre pisos",
        Status.OPEN,
        {"ubicacion": "Torre B", "categoria": "ascensor", "urgente": True},
    ),
    (
        "soporte",
        "Luz del pasillo fundida",
        Status.IN_PROGRESS,
        {"ubicacion": "Piso 3, pasillo norte", "categoria": "electricidad", "urgente": False},
    ),
    ("consulta", "¿Cómo reservo el salón de eventos?", Status.WAITING, {"tema": "reservas"}),
    ("consulta", "Duda sobre la cuota de mantenimiento", Status.RESOLVED, {"tema": "pagos"}),
    (
        "proyecto",
        "Mejorar iluminación del jardín",
        Status.CLOSED,
        {
            "presupuesto": 25000,
            "fecha_inicio": "2026-03-01",
            "areas_comunes": ["jardin"],
            "materiales": [{"material": "Lámpara LED solar", "cantidad": 12}],
        },
    ),
    (
        "soporte",
        "Portón del estacionamiento no abre",
        Status.CLOSED,
        {
            "ubicacion": "Estacionamiento",
            "categoria": "otro",
            "detalle_otro": "Control remoto",
            "urgente": True,
        },
    ),
    ("consulta", "Horario de recolección de basura", Status.NEW, {"tema": "otro"}),
]


def already_loaded() -> bool:
    """Tell whether any user exists; demo data loads only into an empty desk."""
    return (db.session.scalar(select(func.count()).select_from(User)) or 0) > 0


def load(progress: Callable[[str], None] = lambda _msg: None) -> dict[str, str]:
    """Create the demo desk and return the demo logins (e-mail → role)."""
    areas = {name: Area(name=name) for name in AREAS}
    db.session.add_all(areas.values())
    people = _people(areas)
    progress("users")
    types = _types(areas, people["admin@example.com"])
    progress("ticket types")
    _tickets(types, people, areas)
    progress("tickets")
    db.session.flush()
    return {email: str(role) for _n, email, role, _a in PEOPLE}


def _people(areas: dict[str, Area]) -> dict[str, User]:
    """Create the demo users with the shared demo password."""
    people: dict[str, User] = {}
    for name, email, role, area in PEOPLE:
        user = User(name=name, email=email, role=role, language="es")
        user.set_password(DEMO_PASSWORD)
        if area:
            user.areas.append(areas[area])
        db.session.add(user)
        people[email] = user
    db.session.flush()
    return people


def _types(areas: dict[str, Area], admin: User) -> dict[str, TicketTypeVersion]:
    """Create Proyecto, Soporte and Consulta with their first form version."""
    versions: dict[str, TicketTypeVersion] = {}
    for key, name, description, area, priority, color, fields in TYPES:
        schema, ui = to_schema(fields(), name)
        ticket_type = TicketType(
            key=key,
            name=name,
            description=description,
            default_area=areas[area],
            default_priority=priority,
            color=color,
            current_version=1,
        )
        version = TicketTypeVersion(
            ticket_type=ticket_type, number=1, schema=schema, ui=ui, created_by=admin
        )
        db.session.add_all([ticket_type, version])
        versions[key] = version
    db.session.flush()
    return versions


def _tickets(
    types: dict[str, TicketTypeVersion], people: dict[str, User], areas: dict[str, Area]
) -> None:
    """File the sample tickets, with replies, notes, events and feedback."""
    clients = [u for u in people.values() if u.role == Role.CLIENT]
    staff = [u for u in people.values() if u.role == Role.COLLABORATOR]
    now = utcnow()
    for index, (key, subject, status, data) in enumerate(SAMPLE_TICKETS):
        version = types[key]
        created = now - timedelta(days=len(SAMPLE_TICKETS) - index, hours=3)
        ticket = Ticket(
            number=index + 1,
            ticket_type_id=version.ticket_type_id,
            type_version=version,
            subject=subject,
            description=f"{subject}. Por favor revisar a la brevedad.",
            data=data,
            status=status,
            priority=version.ticket_type.default_priority,
            channel=Channel.PORTAL if index % 3 else Channel.PHONE,
            requester=clients[index % len(clients)],
            area=version.ticket_type.default_area,
            created_at=created,
            updated_at=created,
        )
        db.session.add(ticket)
        ticket.events.append(
            TicketEvent(kind="created", actor=ticket.requester, created_at=created)
        )
        if status != Status.NEW:
            # The work goes to a member of the ticket's area, as routing would do.
            agent = next((u for u in staff if ticket.area in u.areas), staff[0])
            _work(ticket, agent, created)


def _work(ticket: Ticket, agent: User, created: Any) -> None:
    """Record an agent taking the ticket, answering it and moving it to its status."""
    ticket.assignee = agent
    answered = created + timedelta(hours=2)
    ticket.events.append(
        TicketEvent(
            kind="took_ownership",
            actor=agent,
            internal=True,
            created_at=created + timedelta(hours=1),
        )
    )
    ticket.comments.append(
        Comment(author=agent, body="Recibido, lo estamos revisando.", created_at=answered)
    )
    ticket.comments.append(
        Comment(
            author=agent,
            internal=True,
            created_at=answered,
            body="Nota interna: coordinar con el proveedor.",
        )
    )
    ticket.first_response_at = answered
    ticket.updated_at = answered
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = created + timedelta(hours=20)
        ticket.updated_at = ticket.resolved_at
    if ticket.status == Status.CLOSED:
        ticket.closed_at = created + timedelta(hours=26)
        ticket.closure_count = 1
        ticket.updated_at = ticket.closed_at
        db.session.add(
            Feedback(
                ticket=ticket,
                closure=1,
                author=ticket.requester,
                rating=5,
                comment="Muy buena atención, gracias.",
            )
        )
    ticket.events.append(
        TicketEvent(
            kind="status",
            actor=agent,
            created_at=ticket.updated_at,
            data={"to": str(ticket.status)},
        )
    )


def generate(
    count: int, seed: int = 7, batch: int = 1000, on_batch: Callable[[int], None] = lambda _n: None
) -> int:
    """Insert count synthetic tickets in batches; return how many were written."""
    rng = random.Random(seed)  # noqa: S311 - repeatable fake data, not secrets
    versions = db.session.scalars(select(TicketTypeVersion)).all()
    clients = list(db.session.scalars(select(User.id).where(User.role == Role.CLIENT)))
    staff = list(db.session.scalars(select(User.id).where(User.role == Role.COLLABORATOR)))
    area_ids = list(db.session.scalars(select(Area.id)))
    if not versions or not clients:
        raise ValueError("load the demo data (or create types and clients) first")
    start = (db.session.scalar(select(func.max(Ticket.number))) or 0) + 1
    written = 0
    while written < count:
        size = min(batch, count - written)
        rows = [
            _synthetic_row(rng, start + written + i, versions, clients, staff, area_ids)
            for i in range(size)
        ]
        db.session.execute(insert(Ticket), rows)
        written += size
        on_batch(size)
    return written


STATUSES = list(Status)
# Weighted: normal twice as likely as the others.
PRIORITY_CHOICES = [Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


def _synthetic_row(
    rng: random.Random,
    number: int,
    versions: Any,
    clients: list[int],
    staff: list[int],
    area_ids: list[int],
) -> dict[str, Any]:
    """Build one synthetic ticket row spread over two years."""
    version = rng.choice(versions)
    created = utcnow() - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    status = rng.choice(STATUSES)
    responded = created + timedelta(minutes=rng.randrange(5, 3000))
    done = status in (Status.RESOLVED, Status.CLOSED)
    return {
        "number": number,
        "ticket_type_id": version.ticket_type_id,
        "type_version_id": version.id,
        "subject": f"Solicitud sintética {number}",
        "description": "Generada para pruebas de rendimiento.",
        "data": {},
        "status": status,
        "priority": rng.choice(PRIORITY_CHOICES),
        "channel": rng.choice(list(Channel)),
        "requester_id": rng.choice(clients),
        "assignee_id": rng.choice(staff) if staff and status != Status.NEW else None,
        "area_id": rng.choice(area_ids) if area_ids else None,
        "created_at": created,
        "updated_at": responded,
        "first_response_at": responded if status != Status.NEW else None,
        "resolved_at": responded + timedelta(hours=5) if done else None,
        "closed_at": responded + timedelta(hours=9) if status == Status.CLOSED else None,
        "closure_count": 1 if status == Status.CLOSED else 0,
        "version": 1,
    }
