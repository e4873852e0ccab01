"""Customer e-mail, phone and name sealed at rest: the cipher, key rotation, the database files
after ingest and after the migration of plain rows, and lookups through the blind indexes."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from soriloop.conftest import Member, add
from soriloop.core.crypto import FieldCipher, Undecryptable, cipher, parse_keys
from soriloop.customers.models import Customer
from soriloop.customers.services import CustomerRef, customer_resolve_many, customers_reencrypt

EMAIL = "seal.me@example.com"
PHONE = "01055556666"


def new_key() -> str:
    return base64.urlsafe_b64encode(bytes(range(32))).decode()


def other_key() -> str:
    return base64.urlsafe_b64encode(bytes(range(1, 33))).decode()


def test_a_sealed_value_opens_for_its_purpose_only_and_not_when_altered() -> None:
    c = FieldCipher(keys=(bytes(32),), index_key=b"k")
    token = c.seal("customer.email", EMAIL)
    assert EMAIL not in token and c.open("customer.email", token) == EMAIL
    assert c.seal("customer.email", EMAIL) != token, "a fresh nonce each time"
    with pytest.raises(Undecryptable):
        c.open("customer.phone", token)
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(Undecryptable):
        c.open("customer.email", altered)
    assert c.seal("customer.email", "") == "" and c.open("customer.email", "") == ""


def test_the_blind_index_is_keyed_and_stable() -> None:
    one = FieldCipher(keys=(bytes(32),), index_key=b"one")
    two = FieldCipher(keys=(bytes(32),), index_key=b"two")
    assert one.digest("customer.email", EMAIL) == one.digest("customer.email", EMAIL)
    assert one.digest("customer.email", EMAIL) != two.digest("customer.email", EMAIL)
    assert EMAIL not in one.digest("customer.email", EMAIL)


def test_keys_must_be_32_bytes_of_base64() -> None:
    assert parse_keys([new_key()]) == [bytes(range(32))]
    with pytest.raises(ImproperlyConfigured):
        parse_keys([base64.urlsafe_b64encode(b"short").decode()])


def test_a_rotated_key_still_opens_and_reencrypt_seals_under_the_new_one(
    alice: Member, settings
) -> None:
    settings.ENCRYPTION_KEYS = [new_key()]
    (kim,) = customer_resolve_many(
        workspace=alice.workspace, refs=[CustomerRef(email=EMAIL, phone=PHONE, name="김민수")]
    )
    old_token = Customer.objects.get(pk=kim.pk).email_sealed
    settings.ENCRYPTION_KEYS = [other_key(), new_key()]
    stored = Customer.objects.get(pk=kim.pk)
    assert (stored.email, stored.phone, stored.name) == (EMAIL, PHONE, "김민수")
    assert not cipher().is_current(stored.email_sealed)
    assert customers_reencrypt() == 1
    assert customers_reencrypt() == 0, "nothing left to do"
    settings.ENCRYPTION_KEYS = [other_key()]
    stored = Customer.objects.get(pk=kim.pk)
    assert stored.email_sealed != old_token and stored.email == EMAIL
    (found,) = customer_resolve_many(workspace=alice.workspace, refs=[CustomerRef(email=EMAIL)])
    assert found.pk == kim.pk, "the blind index did not change with the key"


def _database_bytes() -> bytes:
    """The bytes of the database's files, after writing everything committed into them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            name = Path(connection.settings_dict["NAME"])
            files = [name, name.with_name(name.name + "-wal")]
        else:
            cursor.execute("CHECKPOINT")
            cursor.execute("SHOW data_directory")
            (root,) = cursor.fetchone()
            cursor.execute(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c"
                " WHERE c.relkind IN ('r', 't', 'i') AND pg_relation_filepath(c.oid) IS NOT NULL"
                " AND c.relnamespace IN ('public'::regnamespace, 'pg_toast'::regnamespace)"
            )
            files = [Path(root) / path for (path,) in cursor.fetchall()]
    parts = [
        str(part)
        for file in files
        for part in [file, *sorted(file.parent.glob(file.name + ".*"))]
        if part.exists()
    ]
    # Read by another process: closing a descriptor this process opened on the SQLite file
    # would drop every POSIX lock the process holds on it, its open connection's included
    # (sqlite.org/howtocorrupt.html, 2.2). Another process (the smtpd a later test starts)
    # would then take itself for the file's last user and delete the WAL and its index
    # under this process's connections: "disk I/O error" at their next connect.
    done = subprocess.run(["cat", *parts], capture_output=True, check=True)
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_the_database_files_hold_no_plain_email_or_phone_after_ingest(alice: Member) -> None:
    add(alice, text="control: written in the clear", customer={"email": EMAIL, "phone": PHONE})
    add(alice, text="again", customer={"email": EMAIL.upper(), "phone": "010-5555-6666"})
    files = _database_bytes()
    assert b"control: written in the clear" in files, "the scan sees committed rows"
    assert EMAIL.encode() not in files
    assert PHONE.encode() not in files
    assert Customer.objects.count() == 1, "the blind indexes still dedup"


MIGRATE_IN_A_FILE_OF_ITS_OWN = """
import os, sqlite3, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "soriloop.settings"
import django
django.setup()
from django.core.management import call_command
from django.db import connection
email, phone, db = sys.argv[1], sys.argv[2], sys.argv[3]
call_command("migrate", "customers", "0002", verbosity=0)
call_command("migrate", "accounts", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("INSERT INTO accounts_workspace (name, slug, timezone, default_language, created_at)"
                   " VALUES ('w', 'w', 'Asia/Seoul', 'ko', CURRENT_TIMESTAMP)")
    cursor.execute("INSERT INTO customers_customer (workspace_id, external_id, email, phone, name,"
                   " attributes, created_at, updated_at) VALUES (1, 'old-1', %s, %s, '김민수', '{}',"
                   " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", [email, phone])
connection.close()
import pathlib
files = b"".join(p.read_bytes() for p in pathlib.Path(db).parent.glob("soriloop.sqlite3*"))
assert email.encode() in files, "the control: the plain row is in the file"
call_command("migrate", verbosity=0)
from soriloop.customers.models import Customer
stored = Customer.objects.get(external_id="old-1")
assert (stored.email, stored.phone, stored.name) == (email, phone, "김민수"), stored
connection.close()
print("migrated")
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant of the next test")
def test_the_migration_seals_plain_rows_of_a_sqlite_file_and_leaves_no_copy(
    tmp_path: Path,
) -> None:
    """On a database file of its own: migrating this suite's shared test database back and
    forth under the other tests' connections is not what a deployment does."""
    db = tmp_path / "soriloop.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["SORILOOP_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", MIGRATE_IN_A_FILE_OF_ITS_OWN, EMAIL, PHONE, str(db)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0 and "migrated" in done.stdout, done.stderr[-3000:]
    files = b"".join(p.read_bytes() for p in tmp_path.glob("soriloop.sqlite3*"))
    assert EMAIL.encode() not in files and PHONE.encode() not in files


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite: the test above, in a file")
@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_existing_plain_rows_and_leaves_no_copy(alice: Member) -> None:
    executor = MigrationExecutor(connection)
    before = [("customers", "0002_customerevent")]
    executor.migrate(before)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_customer (workspace_id, external_id, email, phone, name,"
            " attributes, created_at, updated_at) VALUES (%s, 'old-1', %s, %s, '김민수', '{}',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            [alice.workspace.pk, EMAIL, PHONE],
        )
    assert EMAIL.encode() in _database_bytes(), "the control: the plain row is in the file"
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    files = _database_bytes()
    assert EMAIL.encode() not in files and PHONE.encode() not in files
    stored = Customer.objects.get(external_id="old-1")
    assert (stored.email, stored.phone, stored.name) == (EMAIL, PHONE, "김민수")
    (found,) = customer_resolve_many(workspace=alice.workspace, refs=[CustomerRef(phone=PHONE)])
    assert found.pk == stored.pk, "a migrated customer is found by its phone, not created again"
