"""release parts: a release's published figures stored apart from its disclosure audit

Revision ID: 0010
Revises: 0009

Until now a release was one encrypted document, and a report page decrypted and parsed all
of it, the disclosure audit included (most of a large release). From here ``releases.payload``
holds the figures only and ``release_audits`` the audit, the fingerprints of the tables
published by group and the sealed review record, with a digest of the figures they belong
to (``survey_app.services.releases``). Each part is encrypted with the application data
keyring under associated data naming the part. ``releases.revision`` grows at every write,
so a web worker can tell whether the figures it parsed earlier are still the stored ones.

Moving the existing releases needs the server's data keys: ``flask db upgrade`` (and
``downgrade``) passes them in; a database that has releases refuses to migrate without them.
The layout of both parts is written out here, not imported, so this migration keeps doing
what it did when the application's code moves on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PRIVATE_FIELDS = ("fingerprints", "carry")

releases = sa.table(
    'releases',
    sa.column('id', sa.String),
    sa.column('survey_id', sa.String),
    sa.column('payload', sa.LargeBinary),
)
release_audits = sa.table(
    'release_audits',
    sa.column('release_id', sa.String),
    sa.column('payload', sa.LargeBinary),
)


def _whole_aad(survey_id: str, release_id: str) -> bytes:
    return f"candour/release/{survey_id}/{release_id}".encode("ascii")


def _part_aad(part: str, survey_id: str, release_id: str) -> bytes:
    return f"candour/release/{part}/{survey_id}/{release_id}".encode("ascii")


def _dumps(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def _keyring(connection: sa.Connection) -> Any:
    """The server's keyring, given by ``flask db upgrade``; needed only if releases exist."""
    keyring = context.config.attributes.get("keyring")
    stored = connection.execute(sa.select(sa.func.count()).select_from(releases)).scalar()
    if keyring is None and stored:
        raise RuntimeError(
            "Moving the stored releases needs the server's data keys: run `flask db upgrade` "
            "(or `flask db downgrade`) with the application's configuration"
        )
    return keyring


def _ids(connection: sa.Connection) -> list[tuple[str, str]]:
    return [tuple(r) for r in connection.execute(sa.select(releases.c.id, releases.c.survey_id))]


def _open_whole(connection: sa.Connection, keyring: Any, release_id: str, survey_id: str) -> Any:
    token = connection.execute(
        sa.select(releases.c.payload).where(releases.c.id == release_id)
    ).scalar_one()
    try:
        return json.loads(keyring.decrypt(token, aad=_whole_aad(survey_id, release_id)))
    except Exception as error:  # a key left out of the ring, or a damaged row
        raise RuntimeError(
            f"Release {release_id} cannot be opened with the server's data keys, so no "
            "release was moved. Configure every key that encrypted a release, then try again"
        ) from error


def upgrade() -> None:
    # Everything is checked before any change: SQLite does not take table changes back when
    # a migration fails half way.
    connection = op.get_bind()
    keyring = _keyring(connection)
    for release_id, survey_id in _ids(connection):
        _open_whole(connection, keyring, release_id, survey_id)
    op.create_table(
        'release_audits',
        sa.Column('release_id', sa.String(length=32), nullable=False),
        sa.Column('payload', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_release_audits_release_id_releases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('release_id', name=op.f('pk_release_audits')),
    )
    op.add_column(
        'releases', sa.Column('revision', sa.Integer(), nullable=False, server_default='1')
    )
    for release_id, survey_id in _ids(connection):
        document = _open_whole(connection, keyring, release_id, survey_id)
        release = dict(document["release"])
        private: dict[str, Any] = {"audit": release.pop("audit", [])}
        private.update({key: document[key] for key in PRIVATE_FIELDS if key in document})
        figures = {key: value for key, value in document.items() if key not in PRIVATE_FIELDS}
        figures["release"] = release
        plain = _dumps(figures)
        private["figures"] = hashlib.sha256(plain).hexdigest()
        connection.execute(
            releases.update()
            .where(releases.c.id == release_id)
            .values(payload=keyring.encrypt(plain, aad=_part_aad("figures", survey_id, release_id)))
        )
        connection.execute(
            release_audits.insert().values(
                release_id=release_id,
                payload=keyring.encrypt(
                    _dumps(private), aad=_part_aad("audit", survey_id, release_id)
                ),
            )
        )


def downgrade() -> None:
    connection = op.get_bind()
    keyring = _keyring(connection)
    for release_id, survey_id in _ids(connection):
        token = connection.execute(
            sa.select(releases.c.payload).where(releases.c.id == release_id)
        ).scalar_one()
        kept = connection.execute(
            sa.select(release_audits.c.payload).where(release_audits.c.release_id == release_id)
        ).scalar_one()
        figures = json.loads(
            keyring.decrypt(token, aad=_part_aad("figures", survey_id, release_id))
        )
        private = json.loads(keyring.decrypt(kept, aad=_part_aad("audit", survey_id, release_id)))
        document = dict(figures)
        document["release"] = {**figures["release"], "audit": private["audit"]}
        document.update({key: private[key] for key in PRIVATE_FIELDS if key in private})
        connection.execute(
            releases.update()
            .where(releases.c.id == release_id)
            .values(
                payload=keyring.encrypt(_dumps(document), aad=_whole_aad(survey_id, release_id))
            )
        )
    op.drop_table('release_audits')
    # Not in a batch: on SQLite that would copy the table and drop the old one, which (with
    # foreign keys on) empties analysis_runs.release_id. SQLite 3.35+ drops a column in place.
    op.drop_column('releases', 'revision')
