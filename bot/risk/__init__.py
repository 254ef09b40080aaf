"""Risk detection: categories, the trainers' phrase list, the matcher and the Rasa component.

Nothing here touches the database or the network, so the NLU pipeline stays pure and fast.
"""
