"""Demo data: a condominium's desk with areas, people, ticket types and tickets in every state,
and three months of history (load_history) so the Tablero, the reports and their charts show
something real on the first run."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

# Pillow comes with reportlab (xhtml2pdf's PDF engine requires both): the demo's photos are
# drawn with it, each a little different, so no binary file is kept in the repository.
from PIL import Image, ImageDraw
from sqlalchemy import func, insert, select, update
from werkzeug.datastructures import FileStorage

from .catalog.builder import FieldSpec, to_schema
from .extensions import db
from .models import (
    Area,
    Attachment,
    Channel,
    Comment,
    Feedback,
    Priority,
    Role,
    SlaCalendar,
    SlaPolicy,
    SlaPolicyVersion,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
    TicketTypeVersion,
    User,
    area_members,
    utcnow,
)
from .sla import admin as sla
from .tickets.service import store_attachment
from .zones import organisation_zone

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
    _service_levels(areas, people)
    progress("service levels")
    _tickets(types, people, areas)
    db.session.flush()
    sla.backfill(db.session.scalars(select(Ticket)))
    progress("tickets")
    return {email: str(role) for _n, email, role, _a in PEOPLE}


# Chile's fixed-date holidays, every year (the demo is a condominium in Santiago).
HOLIDAYS = [
    ("2026-01-01", "Año Nuevo"),
    ("2026-05-01", "Día del Trabajo"),
    ("2026-09-18", "Fiestas Patrias"),
    ("2026-09-19", "Día de las Glorias del Ejército"),
    ("2026-12-25", "Navidad"),
]
BUSINESS_DAY = 9 * 60  # minutes of a 9–18 working day


def _service_levels(areas: dict[str, Area], people: dict[str, User]) -> None:
    """Calendars (the office's 9–18 on weekdays, Seguridad around the clock) and policies."""
    office = SlaCalendar(
        name="Administración",
        zone=organisation_zone(),
        hours={str(day): [[9 * 60, 18 * 60]] if day < 5 else [] for day in range(7)},
        holidays=[{"date": day, "name": name, "yearly": True} for day, name in HOLIDAYS],
        is_default=True,
    )
    guard = SlaCalendar(
        name="Seguridad 24/7",
        zone=organisation_zone(),
        hours={str(day): [[0, 24 * 60]] for day in range(7)},
        holidays=[],
    )
    db.session.add_all([office, guard])
    db.session.flush()
    areas["Seguridad"].calendar_id = guard.id
    admin = people["admin@example.com"]
    for position, (name, default, rules, response, resolution) in enumerate(
        [
            ("Urgente", False, {"priorities": [Priority.URGENT.value]}, 30, 4 * 60),
            ("Alta", False, {"priorities": [Priority.HIGH.value]}, 2 * 60, BUSINESS_DAY),
            ("Normal", True, {}, 4 * 60, 3 * BUSINESS_DAY),
        ],
        1,
    ):
        policy = SlaPolicy(name=name, position=position, is_default=default, current_version=1)
        db.session.add(policy)
        db.session.add(
            SlaPolicyVersion(
                policy=policy,
                number=1,
                first_response_minutes=response,
                resolution_minutes=resolution,
                created_by=admin,
                **rules,
            )
        )
    db.session.flush()
    # Carlos supervises Seguridad: he is told when one of its tickets misses a target.
    db.session.execute(
        update(area_members)
        .where(
            area_members.c.area_id == areas["Seguridad"].id,
            area_members.c.user_id == people["carlos@example.com"].id,
        )
        .values(supervisor=True)
    )


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


# ---------------------------------------------------------------- three months of history

HISTORY_TICKETS = 300
HISTORY_DAYS = 90
RESIDENTS = [
    "Ana Torres (Depto. 204)",
    "Luis Herrera (Depto. 110)",
    "Patricia Gómez (Depto. 508)",
    "Roberto Díaz (Depto. 303)",
    "Carmen Ruiz (Depto. 401)",
    "Jorge Medina (Depto. 102)",
    "Elena Castro (Depto. 607)",
    "Fernando Vargas (Depto. 215)",
    "Gabriela Ortiz (Depto. 312)",
    "Héctor Navarro (Depto. 509)",
]
PLACES = ["Torre A", "Torre B", "Lobby", "Estacionamiento", "Alberca", "Gimnasio", "Jardín"]

# (type, area, subject, description, fields): what condóminos ask the Mesa de Ayuda for.
REQUESTS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    (
        "soporte",
        "Mantenimiento",
        "Fuga de agua bajo el lavabo",
        "Gotea desde anoche bajo el lavabo del baño principal; ya cerré la llave de paso.",
        {"categoria": "plomeria", "urgente": True},
    ),
    (
        "soporte",
        "Mantenimiento",
        "Apagón parcial en el pasillo",
        "Las luces del pasillo y del elevador de servicio no encienden desde la tarde.",
        {"categoria": "electricidad", "urgente": True},
    ),
    (
        "soporte",
        "Mantenimiento",
        "El ascensor hace ruido al frenar",
        "Al llegar a cada piso se escucha un golpe fuerte y tarda en abrir la puerta.",
        {"categoria": "ascensor", "urgente": False},
    ),
    (
        "soporte",
        "Mantenimiento",
        "Humedad en el techo del baño",
        "Apareció una mancha de humedad que crece después de llover.",
        {"categoria": "plomeria", "urgente": False},
    ),
    (
        "soporte",
        "Soporte TI",
        "Sin internet en el salón de usos múltiples",
        "El wifi del salón aparece pero no navega; tenemos junta de vecinos el viernes.",
        {"categoria": "red", "urgente": False},
    ),
    (
        "soporte",
        "Soporte TI",
        "La app no me deja agregar petición",
        "Al pulsar Agregar Petición la pantalla se queda en blanco.",
        {"categoria": "red", "urgente": False},
    ),
    (
        "soporte",
        "Seguridad",
        "Cámara de la entrada sin imagen",
        "La cámara del acceso vehicular muestra la pantalla en negro desde el lunes.",
        {"categoria": "otro", "detalle_otro": "Cámara de vigilancia", "urgente": True},
    ),
    (
        "soporte",
        "Seguridad",
        "El interfón no suena en mi departamento",
        "Las visitas llaman desde la caseta pero el interfón no timbra.",
        {"categoria": "otro", "detalle_otro": "Interfón", "urgente": False},
    ),
    (
        "soporte",
        "Limpieza",
        "Basura acumulada en el cuarto de contenedores",
        "Los contenedores están llenos desde el fin de semana y hay mal olor.",
        {"categoria": "otro", "detalle_otro": "Recolección", "urgente": False},
    ),
    (
        "soporte",
        "Limpieza",
        "Mancha de aceite en el cajón de estacionamiento",
        "Un vehículo dejó una mancha grande de aceite en mi cajón.",
        {"categoria": "otro", "detalle_otro": "Limpieza de piso", "urgente": False},
    ),
    (
        "consulta",
        "Soporte TI",
        "¿Cómo descargo mi estado de cuenta?",
        "Necesito el estado de cuenta de los últimos tres meses para mi declaración.",
        {"tema": "pagos"},
    ),
    (
        "consulta",
        "Soporte TI",
        "No recibo los correos de la Mesa de Ayuda",
        "Levanté una petición y no me llegó el correo de confirmación.",
        {"tema": "otro"},
    ),
    (
        "consulta",
        "Seguridad",
        "¿Puedo registrar visitas frecuentes?",
        "Mi mamá viene todos los martes; ¿hay forma de dejarla registrada en caseta?",
        {"tema": "reglamento"},
    ),
    (
        "consulta",
        "Limpieza",
        "Horario de limpieza de las áreas comunes",
        "¿A qué hora limpian el gimnasio y la alberca?",
        {"tema": "otro"},
    ),
    (
        "consulta",
        "Soporte TI",
        "Reservar la terraza para el sábado",
        "Quisiera reservar la terraza de 16 a 22 h para un cumpleaños.",
        {"tema": "reservas"},
    ),
    (
        "consulta",
        "Soporte TI",
        "Aclaración de un cargo en la cuota",
        "Aparece un cargo extraordinario que no reconozco en la cuota de este mes.",
        {"tema": "pagos", "telefono": "55 1234 5678"},
    ),
    (
        "proyecto",
        "Mantenimiento",
        "Pintar la fachada de la torre B",
        "La pintura de la fachada está desprendida; propongo cotizar la obra.",
        {
            "presupuesto": 180000,
            "areas_comunes": ["lobby"],
            "materiales": [{"material": "Pintura vinílica (cubeta)", "cantidad": 40}],
        },
    ),
    (
        "proyecto",
        "Mantenimiento",
        "Instalar bebederos en el gimnasio",
        "Varios vecinos piden un bebedero con filtro junto a las caminadoras.",
        {
            "presupuesto": 15000,
            "areas_comunes": ["gimnasio"],
            "materiales": [{"material": "Bebedero con filtro", "cantidad": 2}],
        },
    ),
    (
        "proyecto",
        "Seguridad",
        "Ampliar las cámaras del estacionamiento",
        "El nivel -2 no tiene cámaras y ha habido rayones en autos.",
        {
            "presupuesto": 42000,
            "areas_comunes": ["estacionamiento"],
            "materiales": [{"material": "Cámara IP exterior", "cantidad": 6}],
        },
    ),
]
ANSWERS = [
    "Recibido, ya lo estamos revisando.",
    "Gracias por avisar; un técnico pasará hoy por la tarde.",
    "Tomamos tu petición; te escribimos en cuanto tengamos el diagnóstico.",
    "Hola, revisamos el caso con el proveedor y te confirmamos la visita.",
]
CLIENT_REPLIES = [
    "Gracias, estaré en casa después de las 5.",
    "Sigue pasando, ¿me pueden confirmar la hora?",
    "Perfecto, quedo atenta.",
    "Les dejo la llave en caseta.",
]
NOTES = [
    "Nota interna: pedir cotización a dos proveedores.",
    "Nota interna: el mismo problema se reportó en la torre A.",
    "Nota interna: revisar garantía antes de comprar la pieza.",
]
QUESTIONS = [
    "¿Nos puedes enviar una foto del problema?",
    "¿Qué día te queda bien para la visita?",
]
DONE = [
    "Quedó resuelto: cambiamos la pieza dañada. Cualquier cosa nos avisas.",
    "Listo, ya funciona con normalidad. Gracias por tu paciencia.",
    "Resuelto. Dejamos el área limpia y revisada.",
]
PRAISE = {
    5: ["Excelente atención, muy rápidos.", "Todo perfecto, gracias."],
    4: ["Bien, aunque tardaron un poco en venir.", "Buena atención."],
    3: ["Se resolvió, pero tuve que insistir."],
    2: ["Tardaron varios días en responder."],
    1: ["Nadie vino el día acordado."],
}
RATINGS, RATING_WEIGHTS = [5, 4, 3, 2, 1], [45, 30, 12, 8, 5]
# Hours to the first answer: most within the day, a few after a weekend.
ANSWER_HOURS = [(0.1, 1), (1, 4), (4, 24), (24, 72)]
ANSWER_WEIGHTS = [35, 35, 20, 10]


def load_history(
    seed: int = 16,
    tickets: int = HISTORY_TICKETS,
    progress: Callable[[str], None] = lambda _m: None,
) -> int:
    """Add three months of tickets to the demo desk: conversations, notes, photos, closures
    and ratings, dated over the last HISTORY_DAYS days. Return how many tickets were added."""
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
    clients = _residents()
    staff = list(db.session.scalars(select(User).where(User.role == Role.COLLABORATOR)))
    areas = {a.name: a for a in db.session.scalars(select(Area))}
    versions = {v.ticket_type.key: v for v in db.session.scalars(select(TicketTypeVersion))}
    first = (db.session.scalar(select(func.max(Ticket.number))) or 0) + 1
    now = utcnow()
    filed = []
    for n in range(tickets):
        key, area, subject, description, fields = rng.choice(REQUESTS)
        created = _office_hours(now - timedelta(minutes=rng.randrange(HISTORY_DAYS * 24 * 60)), now)
        ticket = Ticket(
            number=first + n,
            ticket_type_id=versions[key].ticket_type_id,
            type_version=versions[key],
            subject=subject,
            description=description,
            data=_fields(rng, key, fields, created),
            status=Status.NEW,
            priority=rng.choice(PRIORITY_CHOICES),
            channel=rng.choices([Channel.PORTAL, Channel.PHONE, Channel.EMAIL], [7, 2, 1])[0],
            requester=rng.choice(clients),
            area=areas[area],
            created_at=created,
            updated_at=created,
        )
        ticket.events.append(
            TicketEvent(kind="created", actor=ticket.requester, created_at=created)
        )
        agent = next((u for u in staff if ticket.area in u.areas), staff[0])
        _live(rng, ticket, agent, now)
        db.session.add(ticket)
        filed.append(ticket)
    db.session.flush()
    sla.backfill(filed, now)
    progress("history")
    _photos(rng, [t for t in filed if t.ticket_type_id == versions["soporte"].ticket_type_id])
    progress("photos")
    return tickets


def _residents() -> list[User]:
    """The demo's clients plus more condóminos (sharing the demo password's hash)."""
    clients = list(db.session.scalars(select(User).where(User.role == Role.CLIENT)))
    password_hash = clients[0].password_hash  # hashing once: scrypt costs ~50 ms a user
    for n, name in enumerate(RESIDENTS, 1):
        user = User(name=name, email=f"residente{n}@example.com", role=Role.CLIENT, language="es")
        user.password_hash = password_hash
        db.session.add(user)
        clients.append(user)
    return clients


def _office_hours(moment: datetime, now: datetime) -> datetime:
    """The same day between 8:00 and 20:00 (people write to the desk when awake), not later
    than now."""
    return min(moment.replace(hour=8 + moment.hour % 12), now - timedelta(hours=1))


def _fields(
    rng: random.Random, key: str, fields: dict[str, Any], created: datetime
) -> dict[str, Any]:
    """The type's required fields filled in for one ticket."""
    data = dict(fields)
    if key == "soporte":
        data["ubicacion"] = (
            f"{rng.choice(PLACES)}, depto. {rng.randrange(1, 9)}0{rng.randrange(1, 9)}"
        )
    if key == "proyecto":
        data["fecha_inicio"] = (created + timedelta(days=rng.randrange(20, 90))).date().isoformat()
    return data


def _live(rng: random.Random, ticket: Ticket, agent: User, now: datetime) -> None:
    """Give a ticket the life its age allows: answered, talked over, resolved, closed, rated."""
    created = ticket.created_at
    age_days = (now - created).days
    # Older tickets are mostly done; the last days' are still being worked on.
    if age_days > 14:
        status = rng.choices(STATUSES, [0, 1, 3, 3, 8, 85])[0]
    elif age_days > 3:
        status = rng.choices(STATUSES, [5, 10, 20, 10, 20, 35])[0]
    else:
        status = rng.choices(STATUSES, [35, 25, 25, 10, 5, 0])[0]
    if status == Status.NEW:
        return
    low, high = rng.choices(ANSWER_HOURS, ANSWER_WEIGHTS)[0]
    answered = min(created + timedelta(hours=rng.uniform(low, high)), now - timedelta(minutes=5))
    ticket.assignee = agent
    ticket.events.append(
        TicketEvent(kind="took_ownership", actor=agent, internal=True, created_at=answered)
    )
    if status == Status.OPEN:
        ticket.status = status
        ticket.updated_at = answered
        return
    last = _say(ticket, agent, rng.choice(ANSWERS), answered)
    ticket.first_response_at = answered
    if rng.random() < 0.4:
        last = _say(ticket, ticket.requester, rng.choice(CLIENT_REPLIES), _later(rng, last, now))
    if rng.random() < 0.3:
        last = _say(ticket, agent, rng.choice(NOTES), _later(rng, last, now), internal=True)
    if status == Status.WAITING:
        last = _say(ticket, agent, rng.choice(QUESTIONS), _later(rng, last, now))
    if status in (Status.RESOLVED, Status.CLOSED):
        resolved = min(last + timedelta(hours=rng.uniform(1, 96)), now - timedelta(minutes=2))
        last = _say(ticket, agent, rng.choice(DONE), resolved)
        ticket.resolved_at = resolved
        closed = resolved + timedelta(hours=rng.uniform(1, 48))
        if status == Status.CLOSED and closed < now:
            _close(rng, ticket, closed)
            last = closed
        else:
            status = Status.RESOLVED
    ticket.status = status
    ticket.updated_at = last
    ticket.events.append(
        TicketEvent(kind="status", actor=agent, created_at=last, data={"to": str(status)})
    )


def _later(rng: random.Random, after: datetime, now: datetime) -> datetime:
    """A moment some hours after another, never in the future."""
    return min(after + timedelta(hours=rng.uniform(0.5, 20)), now - timedelta(minutes=3))


def _say(
    ticket: Ticket, author: User, body: str, when: datetime, internal: bool = False
) -> datetime:
    """Add a reply or an internal note to the conversation, with its timeline event."""
    ticket.comments.append(Comment(author=author, body=body, internal=internal, created_at=when))
    kind = "note" if internal else "reply"
    ticket.events.append(TicketEvent(kind=kind, actor=author, internal=internal, created_at=when))
    return when


def _close(rng: random.Random, ticket: Ticket, closed: datetime) -> None:
    """Close a ticket; three in four closures are rated by the condómino, some with words."""
    ticket.closed_at = closed
    ticket.closure_count = 1
    if rng.random() < 0.75:
        rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
        comment = rng.choice(PRAISE[rating]) if rng.random() < 0.5 else ""
        rated = closed + timedelta(minutes=rng.randrange(10, 600))
        db.session.add(
            Feedback(
                ticket=ticket,
                closure=1,
                author=ticket.requester,
                rating=rating,
                comment=comment,
                created_at=rated,
                updated_at=rated,
            )
        )
        ticket.events.append(
            TicketEvent(
                kind="feedback", actor=ticket.requester, created_at=rated, data={"rating": rating}
            )
        )


def _photos(rng: random.Random, tickets: list[Ticket], share: float = 0.2) -> None:
    """Attach a photo to some Soporte tickets, through the app's own upload checks."""
    for ticket in tickets:
        if rng.random() >= share:
            continue
        upload = FileStorage(io.BytesIO(_photo(rng)), "foto.png", "file", "image/png")
        attachment: Attachment = store_attachment(ticket, ticket.requester, upload)
        attachment.created_at = ticket.created_at
        ticket.events.append(
            TicketEvent(
                kind="attached",
                actor=ticket.requester,
                created_at=ticket.created_at,
                data={"files": [attachment.id]},
            )
        )


def _photo(rng: random.Random) -> bytes:
    """A small PNG "photo": a wall, a floor and a stain, in colours of its own."""
    wall = tuple(rng.randrange(150, 235) for _c in range(3))
    image = Image.new("RGB", (160, 120), wall)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 80, 160, 120), fill=tuple(rng.randrange(60, 140) for _c in range(3)))
    x, y = rng.randrange(20, 110), rng.randrange(20, 70)
    draw.ellipse((x, y, x + rng.randrange(15, 40), y + rng.randrange(10, 30)), fill=(90, 70, 50))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
