# The stand-in's Alembic environment. Like EvalAP's (evalap/api/alembic/env.py), the database URL
# comes from the application's settings, DATABASE_URI = POSTGRES_URL.rstrip('/') + '/' + DB_NAME,
# not from alembic.ini; every revision of a run shares one transaction.
import os
import re
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

url = os.environ["POSTGRES_URL"].rstrip("/") + "/" + os.environ.get("DB_NAME", "evalap")
url = re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql+psycopg2://", url)


def run_migrations_offline():
    context.configure(url=url, target_metadata=None, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
