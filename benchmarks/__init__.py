"""`make bench`: this project's configuration against the stock `rasa init` one, side by side."""
