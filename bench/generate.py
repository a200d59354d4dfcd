"""Build a fresh benchmark database: 5 ticket types, 5 areas, 2,052 people, N tickets.

Usage:
  .venv/bin/python bench/generate.py --db sqlite --tickets 100000 [--path bench/out/bench.db]
  .venv/bin/python bench/generate.py --db postgresql --tickets 100000 \
      [--url postgresql://postgres@127.0.0.1:5432/servicedesk_bench]

The schema comes from the real migrations (Flask-Migrate upgrade); rows are bulk inserted
with SQLAlchemy Core in batches. Progress goes to stderr; the last stdout line is JSON.
Logins: colab0@bench.example (collaborator) and admin0@bench.example (administrator), both
with the password "bench-password".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import Connection, make_url  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from servicedesk import create_app  # noqa: E402
from servicedesk.catalog.builder import FieldSpec, to_schema  # noqa: E402
from servicedesk.config import normalise_database_url  # noqa: E402
from servicedesk.extensions import db  # noqa: E402
from servicedesk.models import (  # noqa: E402
    Area,
    Attachment,
    Comment,
    Feedback,
    SlaCalendar,
    SlaPolicy,
    SlaPolicyVersion,
    Ticket,
    TicketEvent,
    TicketType,
    TicketTypeVersion,
    User,
    area_members,
    elapsed_us,
)
from servicedesk.sla import clock as sla_clock  # noqa: E402
from servicedesk.sla.business_time import Calendar  # noqa: E402
from servicedesk.sla.service import targets_of, to_calendar  # noqa: E402

PASSWORD = "bench-password"  # noqa: S105 - a documented benchmark login, not a secret
BATCH = 5000
DEFAULT_PATH = ROOT / "bench" / "out" / "bench.db"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/servicedesk_bench"
DB_NAME_RE = re.compile(r"^servicedesk_bench[a-z0-9_]*$")
DOMAIN = "bench.example"
N_AREAS, N_COLLABORATORS, N_ADMINS, N_CLIENTS = 5, 50, 2, 2000

# The search scenario of bench/dashboard.py looks for this word (typed without its accent).
SEARCH_WORD = "porton"
# The custom-field scenario filters soporte tickets on categoria = ascensor.
FILTER_TYPE, FILTER_FIELD, FILTER_VALUE = "soporte", "categoria", "ascensor"


def log(message: str) -> None:
    """Write a progress line to stderr."""
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the catalogue


@dataclass
class TypeDef:
    """One benchmark ticket type: its form and the texts its tickets use."""

    key: str
    name: str
    area: str
    priority: str
    color: str
    fields: list[FieldSpec]
    subjects: list[str]


AREAS = ["Seguridad", "Limpieza", "Mantenimiento", "Soporte TI", "Jardinería"]

TYPES = [
    TypeDef(
        "soporte",
        "Soporte",
        "Mantenimiento",
        "normal",
        "#dc3545",
        [
            FieldSpec("ubicacion", "Ubicación", "text", True, max_length=120),
            FieldSpec(
                "categoria",
                "Categoría",
                "select",
                True,
                options=[
                    ("electricidad", "Electricidad"),
                    ("plomeria", "Plomería"),
                    ("ascensor", "Ascensor"),
                    ("porton", "Portón"),
                    ("red", "Internet / red"),
                    ("otro", "Otro"),
                ],
            ),
            FieldSpec("urgente", "¿Impide usar el servicio?", "boolean"),
            FieldSpec("fecha_falla", "Fecha de la falla", "date"),
            FieldSpec("piso", "Piso", "integer", minimum=0, maximum=40),
        ],
        [
            "Fuga de agua en el baño",
            "El ascensor se detiene entre pisos",
            "Corte de electricidad en el pasillo",
            "El portón del estacionamiento no abre",
            "Sin internet en el departamento",
            "Olor a gas en la cocina",
            "El tablero eléctrico hace ruido",
            "La calefacción no enciende",
        ],
    ),
    TypeDef(
        "limpieza",
        "Limpieza",
        "Limpieza",
        "low",
        "#0dcaf0",
        [
            FieldSpec(
                "zona",
                "Zona",
                "select",
                True,
                options=[
                    ("lobby", "Lobby"),
                    ("pasillos", "Pasillos"),
                    ("sotano", "Sótano"),
                    ("gimnasio", "Gimnasio"),
                    ("terraza", "Terraza"),
                ],
            ),
            FieldSpec("fecha_deseada", "Fecha deseada", "date", True),
            FieldSpec("con_mascotas", "¿Hay mascotas involucradas?", "boolean"),
            FieldSpec("metros", "Superficie aproximada (m²)", "number", minimum=1, maximum=5000),
            FieldSpec("indicaciones", "Indicaciones", "textarea", max_length=1000),
        ],
        [
            "Limpieza profunda del lobby",
            "Basura acumulada en el sótano",
            "Mancha en la alfombra del pasillo",
            "Vidrios sucios en la recepción",
            "Olor desagradable en el ascensor",
            "Hojas secas frente a la entrada",
        ],
    ),
    TypeDef(
        "seguridad",
        "Seguridad",
        "Seguridad",
        "high",
        "#6f42c1",
        [
            FieldSpec(
                "incidente",
                "Tipo de incidente",
                "select",
                True,
                options=[
                    ("robo", "Robo"),
                    ("intrusion", "Intrusión"),
                    ("alarma", "Alarma"),
                    ("camara", "Cámara"),
                    ("acceso", "Control de acceso"),
                ],
            ),
            FieldSpec("fecha_hecho", "Fecha del hecho", "date", True),
            FieldSpec("hubo_danos", "¿Hubo daños?", "boolean"),
            FieldSpec(
                "monto_danos", "Monto estimado de daños", "number", minimum=0, maximum=1000000
            ),
            FieldSpec("testigos", "Testigos", "text", max_length=200),
        ],
        [
            "Portón abierto durante la noche",
            "Persona desconocida en el jardín",
            "Cámara de seguridad sin imagen",
            "Alarma sonando sin motivo",
            "Robo de bicicleta en el estacionamiento",
            "Tarjeta de acceso no funciona",
        ],
    ),
    TypeDef(
        "jardines",
        "Jardines",
        "Jardinería",
        "low",
        "#198754",
        [
            FieldSpec(
                "sector",
                "Sector",
                "select",
                True,
                options=[
                    ("jardin_central", "Jardín central"),
                    ("entrada", "Entrada"),
                    ("patio", "Patio"),
                    ("piscina", "Piscina"),
                ],
            ),
            FieldSpec(
                "tarea",
                "Tarea",
                "select",
                True,
                options=[
                    ("poda", "Poda"),
                    ("riego", "Riego"),
                    ("plagas", "Plagas"),
                    ("cesped", "Césped"),
                ],
            ),
            FieldSpec("fecha_inicio", "Fecha de inicio", "date"),
            FieldSpec("presupuesto", "Presupuesto", "number", minimum=0, maximum=10000000),
            FieldSpec("requiere_permiso", "¿Requiere permiso municipal?", "boolean"),
        ],
        [
            "Poda de árboles del jardín",
            "El riego automático del jardín no funciona",
            "Plaga en el césped",
            "Flores marchitas en la entrada",
            "Hojas en la piscina",
            "Ramas sobre la reja de servicio",
        ],
    ),
    TypeDef(
        "consulta",
        "Consulta",
        "Soporte TI",
        "normal",
        "#0d6efd",
        [
            FieldSpec(
                "tema",
                "Tema",
                "select",
                True,
                options=[
                    ("pagos", "Pagos"),
                    ("reglamento", "Reglamento"),
                    ("reservas", "Reservas"),
                    ("otro", "Otro"),
                ],
            ),
            FieldSpec("detalle", "Detalle", "textarea", max_length=2000),
            FieldSpec("requiere_llamada", "¿Quiere que lo llamemos?", "boolean"),
            FieldSpec("fecha_preferida", "Fecha preferida", "date"),
            FieldSpec("monto", "Monto en cuestión", "number", minimum=0, maximum=100000),
        ],
        [
            "¿Cómo reservo el salón de eventos?",
            "Duda sobre la cuota de mantenimiento",
            "Horario de recolección de basura",
            "Consulta sobre el reglamento de mascotas",
            "Cobro de electricidad de áreas comunes",
            "¿Quién tiene el control remoto del garaje?",
        ],
    ),
]

PHRASES = [
    "Desde ayer en la mañana el problema se repite.",
    "Hay una fuga pequeña pero constante cerca de la cañería.",
    "El ascensor hace un ruido extraño al llegar al piso.",
    "Se cortó la electricidad dos veces durante la noche.",
    "Los niños juegan en el jardín y es peligroso.",
    "La puerta del garaje tarda mucho en cerrarse.",
    "Un vecino comentó lo mismo la semana pasada.",
    "Por favor revisar a la brevedad, es urgente.",
    "Adjunto una descripción de lo que ocurrió.",
    "La llave de paso está en el pasillo del segundo piso.",
    "Solicito que me avisen antes de entrar al departamento.",
    "Puedo estar en casa después de las seis de la tarde.",
    "Ya se había reportado antes y no se solucionó.",
    "La iluminación del estacionamiento es insuficiente.",
    "Gracias por la atención y la rapidez.",
]
REPLIES = [
    "Recibido, lo estamos revisando.",
    "Un técnico pasará mañana por la mañana.",
    "¿Nos confirma el número de departamento, por favor?",
    "Ya quedó solucionado, gracias por avisar.",
    "Coordinamos con el proveedor; quedamos atentos.",
    "Seguimos esperando el repuesto del ascensor.",
]
CLIENT_REPLIES = [
    "Gracias, quedo atento.",
    "El problema volvió a aparecer.",
    "Sí, es el departamento de la torre B.",
    "Perfecto, estaré en casa.",
]
NOTES = [
    "Nota interna: coordinar con el proveedor.",
    "Nota interna: revisar garantía.",
    "Nota interna: el vecino ya reclamó antes.",
    "Nota interna: pedir presupuesto.",
]
FEEDBACK = [
    "",
    "",
    "",
    "Muy buena atención, gracias.",
    "Tardaron bastante.",
    "Excelente trabajo del equipo.",
    "Resuelto, pero volvió a fallar.",
]
FIRST = [
    "Ana",
    "José",
    "María",
    "Lucía",
    "Tomás",
    "Sofía",
    "Martín",
    "Inés",
    "Raúl",
    "Begoña",
    "Ángel",
    "Nuria",
    "Íñigo",
    "Camila",
    "Joaquín",
    "Valentina",
]
LAST = [
    "García",
    "Pérez",
    "Núñez",
    "Muñoz",
    "Rodríguez",
    "López",
    "Fernández",
    "Gómez",
    "Sánchez",
    "Díaz",
    "Ibáñez",
    "Castaño",
]

PRIORITIES = ["low"] * 2 + ["normal"] * 5 + ["high"] * 2 + ["urgent"]
CHANNELS = ["portal"] * 12 + ["email"] * 3 + ["phone"] * 3 + ["walk_in"] + ["api"]
STAFF_CHANNELS = {"phone", "walk_in"}
# (max age in days, [(status, weight)…]): active work is recent, old tickets are closed.
STATUS_BY_AGE = [
    (3, [("new", 35), ("open", 25), ("in_progress", 25), ("waiting", 10), ("resolved", 5)]),
    (
        14,
        [
            ("new", 8),
            ("open", 15),
            ("in_progress", 25),
            ("waiting", 17),
            ("resolved", 20),
            ("closed", 15),
        ],
    ),
    (
        60,
        [
            ("new", 2),
            ("open", 4),
            ("in_progress", 8),
            ("waiting", 8),
            ("resolved", 13),
            ("closed", 65),
        ],
    ),
    (
        10**6,
        [
            ("new", 0.3),
            ("open", 0.5),
            ("in_progress", 1),
            ("waiting", 1.2),
            ("resolved", 2),
            ("closed", 95),
        ],
    ),
]
TWO_YEARS = timedelta(days=730)


# ------------------------------------------------------------------ databases


def database_url(kind: str, path: str | None, url: str | None) -> str:
    """Return the SQLAlchemy URL of the benchmark database."""
    if kind == "sqlite":
        return f"sqlite:///{Path(path or DEFAULT_PATH).resolve()}"
    return normalise_database_url(url or DEFAULT_URL)


def recreate(url: str) -> None:
    """Drop and create the benchmark database (only servicedesk_bench* on PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = Path(parsed.database or "")
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        return
    name = parsed.database or ""
    if not DB_NAME_RE.match(name):
        raise SystemExit(
            f"refusing to recreate {name!r}: the name must start with "
            "servicedesk_bench (lowercase letters, digits, _)"
        )
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def make_app(url: str, instance: str, **config: Any) -> Flask:
    """Build the app against the benchmark database (`config`: a bench's own settings).

    Without the reports' cache thread of the embedded mode: a bench measures its own pages,
    not a rebuild of the cache running beside them (bench/reports.py builds it itself).
    """
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "x" * 40,
            "INSTANCE_PATH": instance,
            "REPORT_CACHE_SECONDS": 0,
            **config,
        }
    )


# ------------------------------------------------------------------ people, areas, types


def load_people(conn: Connection, rng: random.Random, now: datetime) -> dict[str, Any]:
    """Insert areas, admins, collaborators and clients; one password hash for all."""
    hashed = generate_password_hash(PASSWORD)  # once: scrypt is slow by design
    conn.execute(
        insert(Area.__table__),
        [
            {"id": i + 1, "name": name, "active": True, "created_at": now - TWO_YEARS}
            for i, name in enumerate(AREAS)
        ],
    )
    area_ids = {name: i + 1 for i, name in enumerate(AREAS)}
    users: list[dict[str, Any]] = []

    def person(prefix: str, index: int, role: str) -> int:
        uid = len(users) + 1
        users.append(
            {
                "id": uid,
                "email": f"{prefix}{index}@{DOMAIN}",
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} ({prefix}{index})",
                "phone": None,
                "password_hash": hashed,
                "role": role,
                "active": True,
                "language": "es",
                "session_token": secrets.token_urlsafe(24),
                "created_at": now - TWO_YEARS - timedelta(days=1),
                "password_changed_at": now - TWO_YEARS - timedelta(days=1),
                "last_login_at": None,
            }
        )
        return uid

    admins = [person("admin", i, "admin") for i in range(N_ADMINS)]
    staff = [person("colab", i, "collaborator") for i in range(N_COLLABORATORS)]
    clients = [person("client", i, "client") for i in range(N_CLIENTS)]
    for start in range(0, len(users), BATCH):
        conn.execute(insert(User.__table__), users[start : start + BATCH])
    members: dict[int, list[int]] = {aid: [] for aid in area_ids.values()}
    links = []
    for i, uid in enumerate(staff):
        areas = {i % N_AREAS + 1}
        if i % 7 == 3:  # a few people work for two areas
            areas.add((i + 2) % N_AREAS + 1)
        for aid in sorted(areas):
            members[aid].append(uid)
            links.append({"area_id": aid, "user_id": uid})
    conn.execute(insert(area_members), links)
    return {
        "areas": area_ids,
        "members": members,
        "admins": admins,
        "staff": staff,
        "clients": clients,
        "users": len(users),
    }


def create_types(app: Flask, area_ids: dict[str, int], admin_id: int) -> dict[str, dict[str, Any]]:
    """Create the 5 types with the builder (FieldSpec -> to_schema) and version 1 each."""
    made: dict[str, dict[str, Any]] = {}
    with app.test_request_context():
        for spec in TYPES:
            schema, ui = to_schema(spec.fields, spec.name)
            ticket_type = TicketType(
                key=spec.key,
                name=spec.name,
                description=f"Solicitudes de {spec.name.lower()}.",
                default_area_id=area_ids[spec.area],
                default_priority=spec.priority,
                color=spec.color,
                current_version=1,
            )
            version = TicketTypeVersion(
                ticket_type=ticket_type, number=1, schema=schema, ui=ui, created_by_id=admin_id
            )
            db.session.add_all([ticket_type, version])
            db.session.flush()
            made[spec.key] = {
                "type_id": ticket_type.id,
                "version_id": version.id,
                "schema": schema,
                "def": spec,
                "area_id": area_ids[spec.area],
            }
        db.session.commit()
    return made


# ------------------------------------------------------------------ service levels

# The desk's calendar: weekdays 08:00-20:00 and Saturday mornings, two fixed holidays.
SLA_HOURS = {str(day): [[8 * 60, 20 * 60]] for day in range(5)} | {"5": [[9 * 60, 14 * 60]]}
SLA_HOLIDAYS = [
    {"date": "2025-01-01", "name": "Año Nuevo", "yearly": True},
    {"date": "2025-09-18", "name": "Fiestas Patrias", "yearly": True},
]
# (name, default, rules, first response minutes, resolution minutes): urgent tickets get
# half an hour and a business day, the rest four hours and three business days.
SLA_POLICIES = [
    ("Urgente", False, {"priorities": ["urgent"]}, 30, 12 * 60),
    ("Estándar", True, {}, 4 * 60, 3 * 12 * 60),
]


class RememberedCalendar(Calendar):
    """A calendar that works out each date's working hours once (the replay asks ~40 times)."""

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local date, computed on the first request."""
        known = self.__dict__.setdefault("_known", {})
        if day not in known:
            known[day] = super().windows(day)
        return known[day]


def create_service_levels(app: Flask, admin_id: int) -> dict[str, Any]:
    """Store the default calendar and two policies (as the admin pages would)."""
    with app.app_context():
        calendar = SlaCalendar(
            name="Oficina", zone="UTC", hours=SLA_HOURS, holidays=SLA_HOLIDAYS, is_default=True
        )
        db.session.add(calendar)
        versions = {}
        for position, (name, default, rules, response, resolution) in enumerate(SLA_POLICIES):
            policy = SlaPolicy(name=name, is_default=default, position=position)
            version = SlaPolicyVersion(
                policy=policy,
                number=1,
                first_response_minutes=response,
                resolution_minutes=resolution,
                warn_percent=75,
                created_by_id=admin_id,
                **rules,
            )
            db.session.add_all([policy, version])
            db.session.flush()
            versions[name] = (version.id, targets_of(version))
        db.session.commit()
        plain = to_calendar(calendar)
        remembered = RememberedCalendar(plain.zone, plain.hours, plain.holidays, plain.yearly)
        return {"calendar": remembered, "versions": versions}


def add_service_levels(rows: list[dict[str, Any]], sla: dict[str, Any], now: datetime) -> None:
    """Give generated tickets the columns the app's clocks would have written.

    Each ticket is replayed through servicedesk/sla/clock.py: started at filing, met by its
    first response and its resolution, paused from its last update when it waits on the
    client; then the escalation job's pass at ``now`` records the warnings and breaches it
    would have sent. So open tickets have dues past, near and ahead, some paused, and closed
    ones are met or missed with their business seconds.
    """
    for row in rows:
        name = "Urgente" if row["priority"] == "urgent" else "Estándar"
        version_id, targets = sla["versions"][name]
        subject = sla_clock.Ticket(row["created_at"], sla["calendar"], targets)
        clocks = sla_clock.start(subject, row["created_at"])
        if row["first_response_at"] is not None:
            clocks = sla_clock.respond(clocks, subject, row["first_response_at"])
        if row["resolved_at"] is not None:
            clocks = sla_clock.resolve(clocks, subject, row["resolved_at"])
        elif row["status"] == "waiting":
            clocks = sla_clock.pause(clocks, subject, row["updated_at"])
        else:
            clocks, _sent = sla_clock.notify(clocks, subject, now)
        row.update(clocks.columns(), sla_version_id=version_id)


# ------------------------------------------------------------------ tickets


def field_value(rng: random.Random, spec: FieldSpec, created: datetime) -> Any:
    """Return a value valid for one builder field."""
    kind = spec.kind
    if kind in ("select", "radio"):
        return rng.choice(spec.options)[0]
    if kind == "boolean":
        return rng.random() < 0.3
    if kind == "integer":
        return rng.randint(int(spec.minimum or 0), int(spec.maximum or 100))
    if kind == "number":
        low, high = spec.minimum or 0, min(spec.maximum or 1000, 50000)
        return round(rng.uniform(low, high), 2)
    if kind == "date":
        return (created.date() + timedelta(days=rng.randint(-5, 20))).isoformat()
    if kind == "textarea":
        return " ".join(rng.sample(PHRASES, 2))[: spec.max_length or 4000]
    return f"Torre {rng.choice('ABCD')}, depto. {rng.randint(1, 20)}0{rng.randint(1, 8)}"[
        : spec.max_length or 200
    ]


def custom_data(rng: random.Random, spec: TypeDef, created: datetime) -> dict[str, Any]:
    """Fill a type's form: required fields always, optional ones most of the time."""
    data = {}
    for field in spec.fields:
        if field.required or rng.random() < 0.75:
            data[field.key] = field_value(rng, field, created)
    return data


def pick_status(rng: random.Random, age_days: float) -> str:
    """Choose a status that fits the ticket's age."""
    for limit, weights in STATUS_BY_AGE:
        if age_days < limit:
            names, w = zip(*weights, strict=True)
            return rng.choices(names, weights=w)[0]
    return "closed"


def later(
    rng: random.Random, start: datetime, now: datetime, typical: timedelta, share: float = 0.6
) -> datetime:
    """A moment after start: about `typical` later, never beyond a share of what is left."""
    wanted = timedelta(seconds=rng.expovariate(1 / typical.total_seconds()) + 60)
    room = (now - start) * share
    return start + min(wanted, room)


@dataclass
class Counters:
    """Row counts and ids handed out so far."""

    tickets: int = 0
    comments: int = 0
    events: int = 0
    feedback: int = 0
    attachments: int = 0


def ticket_batch(
    rng: random.Random,
    first: int,
    size: int,
    now: datetime,
    types: dict[str, dict[str, Any]],
    people: dict[str, Any],
) -> dict[str, list]:
    """Build the rows of one batch: tickets, their comments, events, files and feedback."""
    tickets, comments, events, feedback, files = [], [], [], [], []
    keys = list(types)
    type_weights = [30, 20, 15, 15, 20]
    area_list = list(people["areas"].values())
    for number in range(first, first + size):
        info = types[rng.choices(keys, weights=type_weights)[0]]
        spec: TypeDef = info["def"]
        created = now - timedelta(seconds=rng.uniform(0, TWO_YEARS.total_seconds()))
        age = (now - created).total_seconds() / 86400
        status = pick_status(rng, age)
        channel = rng.choice(CHANNELS)
        requester = rng.choice(people["clients"])
        area = info["area_id"] if rng.random() < 0.85 else rng.choice(area_list)
        members = people["members"][area]
        if status == "new":
            assignee = rng.choice(members) if rng.random() < 0.05 else None
        elif status == "open":
            assignee = rng.choice(members) if rng.random() < 0.7 else None
        else:
            assignee = rng.choice(members) if rng.random() < 0.97 else None
        creator = rng.choice(members) if channel in STAFF_CHANNELS else requester
        first_response = resolved = closed = None
        updated = created + timedelta(minutes=rng.randint(0, 30))
        if status != "new":
            first_response = later(rng, created, now, timedelta(hours=6), 0.3)
            updated = later(rng, first_response, now, timedelta(days=1))
        if status in ("resolved", "closed"):
            resolved = later(rng, first_response, now, timedelta(days=2))
            updated = resolved
        if status == "closed":
            closed = later(rng, resolved, now, timedelta(days=3))
            updated = closed
        updated = min(max(updated, created), now)
        place = f"Torre {rng.choice('ABCD')}, depto. {rng.randint(1, 20)}0{rng.randint(1, 8)}"
        subject = f"{rng.choice(spec.subjects)} ({place})"
        description = " ".join(rng.sample(PHRASES, rng.randint(1, 3)))
        tickets.append(
            {
                "id": number,
                "number": number,
                "ticket_type_id": info["type_id"],
                "type_version_id": info["version_id"],
                "subject": subject,
                "description": description,
                "data": custom_data(rng, spec, created),
                "status": status,
                "priority": rng.choice(PRIORITIES),
                "channel": channel,
                "requester_id": requester,
                "assignee_id": assignee,
                "area_id": area,
                "created_by_id": creator,
                "created_at": created,
                "updated_at": updated,
                "first_response_at": first_response,
                "resolved_at": resolved,
                "first_response_us": elapsed_us(created, first_response),
                "resolution_us": elapsed_us(created, resolved),
                "closed_at": closed,
                "closure_count": 1 if closed else 0,
                "version": 1,
            }
        )
        events.append(
            {
                "ticket_id": number,
                "actor_id": creator,
                "kind": "created",
                "data": {},
                "internal": False,
                "created_at": created,
            }
        )
        talked = rng.random() < 0.2
        if talked:
            comments.extend(
                ticket_comments(
                    rng, number, requester, assignee or members[0], created, first_response, updated
                )
            )
        # Decided by the number, not the generator, so the rest of the data stays as it was.
        if talked or number % 10 == 0:
            files.append(attachment_row(number, requester, created))
        if closed and rng.random() < 0.8:
            when = min(closed + timedelta(hours=rng.uniform(1, 48)), now)
            feedback.append(
                {
                    "ticket_id": number,
                    "closure": 1,
                    "author_id": requester,
                    "rating": rng.choices([1, 2, 3, 4, 5], weights=[5, 7, 15, 33, 40])[0],
                    "comment": rng.choice(FEEDBACK),
                    "created_at": when,
                    "updated_at": when,
                }
            )
    return {
        "tickets": tickets,
        "comments": comments,
        "events": events,
        "feedback": feedback,
        "attachments": files,
    }


def attachment_row(ticket_id: int, author: int, created: datetime) -> dict[str, Any]:
    """A client's photo or document on the ticket: its row only, no bytes in the store."""
    stored = f"bench{ticket_id:08d}"  # alphanumeric, like the store's own names
    photo = ticket_id % 3 != 0
    return {
        "ticket_id": ticket_id,
        "uploaded_by_id": author,
        "internal": False,
        "filename": f"foto-{ticket_id}.jpg" if photo else f"presupuesto-{ticket_id}.pdf",
        "stored_name": stored,
        "content_type": "image/jpeg" if photo else "application/pdf",
        "size": 40_000 + ticket_id % 900_000,
        "sha256": hashlib.sha256(stored.encode()).hexdigest(),
        "created_at": created,
    }


def ticket_comments(
    rng: random.Random,
    ticket_id: int,
    requester: int,
    agent: int,
    created: datetime,
    first_response: datetime | None,
    updated: datetime,
) -> list[dict[str, Any]]:
    """A short conversation: the desk's first reply, then replies and internal notes."""

    def row(author: int, body: str, internal: bool, when: datetime) -> dict[str, Any]:
        return {
            "ticket_id": ticket_id,
            "author_id": author,
            "body": body,
            "internal": internal,
            "created_at": when,
        }

    if first_response is None:  # a new ticket: only the client has written
        return [row(requester, rng.choice(CLIENT_REPLIES), False, updated)]
    out = [row(agent, rng.choice(REPLIES), False, first_response)]
    span = (updated - first_response).total_seconds()
    for _ in range(rng.randint(0, 4)):
        when = first_response + timedelta(seconds=rng.uniform(0, max(span, 1)))
        pick = rng.random()
        if pick < 0.25:
            out.append(row(agent, rng.choice(NOTES), True, when))
        elif pick < 0.6:
            out.append(row(requester, rng.choice(CLIENT_REPLIES), False, when))
        else:
            out.append(row(agent, rng.choice(REPLIES), False, when))
    return sorted(out, key=lambda r: r["created_at"])


def check_sample(types: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """Validate a sample of generated custom data against each type's JSON Schema."""
    from jsonschema import Draft202012Validator

    by_type = {
        info["type_id"]: Draft202012Validator(
            info["schema"], format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for info in types.values()
    }
    for row in rows[:500]:
        errors = list(by_type[row["ticket_type_id"]].iter_errors(row["data"]))
        if errors:
            raise SystemExit(
                f"generated data invalid for ticket {row['number']}: {errors[0].message}"
            )


# ------------------------------------------------------------------ orchestration


def prepare(conn: Connection) -> None:
    """Speed up the load on SQLite: no fsync (a benchmark database can be rebuilt)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA synchronous=OFF")


def reset_sequences(conn: Connection) -> None:
    """On PostgreSQL, move id sequences past the explicit ids inserted."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("areas", "users", "tickets"):
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def rebuild_search(app: Flask) -> tuple[int | None, float]:
    """Fill the full-text index through the app's own rebuild, when the app has one."""
    started = time.perf_counter()
    try:
        from servicedesk.tickets import search
    except ImportError:
        return None, 0.0
    if not hasattr(search, "rebuild_all"):
        return None, 0.0
    with app.app_context():
        indexed = search.rebuild_all()
        db.session.commit()
    return indexed, time.perf_counter() - started


def analyze(app: Flask) -> None:
    """Refresh planner statistics (VACUUM ANALYZE on PostgreSQL, ANALYZE on SQLite)."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")


def generate(
    kind: str, tickets: int, path: str | None = None, url: str | None = None, seed: int = 7
) -> dict[str, Any]:
    """Build the database from scratch and return counts and timings."""
    started = time.perf_counter()
    target = database_url(kind, path, url)
    recreate(target)
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    counts = Counters()
    with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
        app = make_app(target, instance)
        with app.app_context():
            upgrade()
            log(f"schema ready ({time.perf_counter() - started:.1f}s)")
            engine = db.engine
            with engine.begin() as conn:
                prepare(conn)
                people = load_people(conn, rng, now)
            log(f"{people['users']} users ({time.perf_counter() - started:.1f}s)")
            types = create_types(app, people["areas"], people["admins"][0])
            sla = create_service_levels(app, people["admins"][0])
            load_started = time.perf_counter()
            while counts.tickets < tickets:
                size = min(BATCH, tickets - counts.tickets)
                rows = ticket_batch(rng, counts.tickets + 1, size, now, types, people)
                add_service_levels(rows["tickets"], sla, now)
                if counts.tickets == 0:
                    check_sample(types, rows["tickets"])
                with engine.begin() as conn:
                    prepare(conn)
                    conn.execute(insert(Ticket.__table__), rows["tickets"])
                    conn.execute(insert(TicketEvent.__table__), rows["events"])
                    if rows["comments"]:
                        conn.execute(insert(Comment.__table__), rows["comments"])
                    if rows["feedback"]:
                        conn.execute(insert(Feedback.__table__), rows["feedback"])
                    if rows["attachments"]:
                        conn.execute(insert(Attachment.__table__), rows["attachments"])
                counts.tickets += size
                counts.events += len(rows["events"])
                counts.comments += len(rows["comments"])
                counts.feedback += len(rows["feedback"])
                counts.attachments += len(rows["attachments"])
                log(f"tickets {counts.tickets}/{tickets} ({time.perf_counter() - started:.1f}s)")
            with engine.begin() as conn:
                reset_sequences(conn)
            load_seconds = time.perf_counter() - load_started
        indexed, index_seconds = rebuild_search(app)
        log(f"search index: {indexed} ({index_seconds:.1f}s)")
        analyze_started = time.perf_counter()
        analyze(app)
        analyze_seconds = time.perf_counter() - analyze_started
        with app.app_context():
            stored = db.session.scalar(select(func.count()).select_from(Ticket))
            db.engine.dispose()
    return {
        "db": kind,
        "database": make_url(target).render_as_string(hide_password=True),
        "tickets": stored,
        "comments": counts.comments,
        "events": counts.events,
        "feedback": counts.feedback,
        "attachments": counts.attachments,
        "users": people["users"],
        "areas": N_AREAS,
        "ticket_types": len(types),
        "search_indexed": indexed,
        "seed": seed,
        "load_seconds": round(load_seconds, 1),
        "index_seconds": round(index_seconds, 1),
        "analyze_seconds": round(analyze_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "today": date.today().isoformat(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--path", help=f"SQLite file (default {DEFAULT_PATH})")
    parser.add_argument("--url", help=f"PostgreSQL URL (default {DEFAULT_URL})")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Generate and print the summary as one JSON line."""
    args = parse_args(argv)
    summary = generate(args.db, args.tickets, args.path, args.url, args.seed)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
