"""The application database: models, sessions and migrations."""
