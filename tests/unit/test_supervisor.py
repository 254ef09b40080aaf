"""The commands `python -m bot run` starts (bot/supervisor.py), read by the programs that get them."""
from __future__ import annotations

from rasa.__main__ import create_argument_parser

from bot.config import load_settings
from bot.supervisor import rasa_server


def test_a_generated_token_that_starts_with_a_dash_reaches_rasa_as_the_token():
    """secrets.token_urlsafe starts with "-" one time in 64; rasa's parser read it as an option
    and refused to start ("argument -t/--auth-token: expected one argument")."""
    token = "-Ab3_starts-with-a-dash"
    command = rasa_server(load_settings({}), token).command
    assert create_argument_parser().parse_args(command[1:]).auth_token == token
