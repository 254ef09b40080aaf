"""Safety cases the shipped phrase list (data/risk/phrases.yml) must keep, read by the real matcher:
a threat to hurt a baby and an emergency happening now are never silenced."""
from pathlib import Path

import pytest

from bot.risk import phrases
from bot.risk.detector import assess

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SHIPPED = phrases.load(PROJECT_ROOT / "data/risk/phrases.yml")


def category(text: str) -> str:
    """The phrase layer's verdict alone (no model ranking), with the live thresholds' shape."""
    return assess(text, [], SHIPPED, 0.5, 0.35).category


@pytest.mark.parametrize("text", ["im scared and ill hurt him", "so angry and ill shake her",
                                  "im so scared an ill kill him", "so angry i will shake her"])
def test_a_threat_to_hurt_the_baby_is_child_neglect_however_ill_is_typed(text):
    assert category(text) == "child_neglect"


def test_so_angry_i_could_shake_her_said_of_a_grown_up_is_no_threat():
    assert category("im so angry at my sister i could shake her") == "none"


@pytest.mark.parametrize("text", ["shes gone floppy and limp, the nurse said it was normal",
                                  "my baby stopped breathing for a bit, doctor said it is normal"])
def test_an_emergency_happening_now_is_999_whatever_a_professional_said(text):
    assert category(text) == "emergency"


def test_an_emergency_sign_past_and_over_that_a_doctor_called_normal_is_not_one():
    assert category("he went blue last week, the doctor said that is normal") == "none"
