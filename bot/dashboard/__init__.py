"""The health visitors' dashboard: a server-rendered Flask app over the application database.

`create_app(settings)` builds it (bot/dashboard/app.py); `python -m bot dashboard` serves it with
waitress (bot/dashboard/serve.py), which `make run` starts beside the bot.
"""
