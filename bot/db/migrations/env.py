"""Alembic environment: runs migrations online against the URL bot.db.migrate passes in."""
from alembic import context

import bot.db.staff  # noqa: F401  (the dashboard's tables join Base.metadata)
import bot.db.messaging  # noqa: F401  (the Twilio channel's tables join Base.metadata)
import bot.db.training  # noqa: F401  (the trainers' inbox joins Base.metadata)
from bot.db.models import Base
from bot.db.session import engine_for

config = context.config

with engine_for(config.get_main_option("sqlalchemy.url").replace("%%", "%")).connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
