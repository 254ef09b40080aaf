"""`python -m bot …` runs the command line in bot.cli."""
import sys

from bot.cli import main

sys.exit(main())
