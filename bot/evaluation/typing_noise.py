"""`python -m bot.evaluation.typing_noise`: which slips of the thumb hide an emergency from the phrase layer.

Parents text at 3 a.m. with fast thumbs. Every emergency among the labelled texts outside the blind
sets (the risk training and development sets, the NLU examples and the held-out NLU sets less
`blind.yml`; the same texts `bot.training.phrase_impact` reads) that the phrase layer catches as
written, by both versions compared, is mistyped one way at a time: two neighbouring letters
swapped, one letter dropped, one doubled, two of these in one word, one space lost ("hesblue"),
"-ing" typed "-in", a word or two in text-speak, punctuation and capitals gone. Each kind makes one
copy per text (seeded from the seed, the kind and the text, so every run and both versions get the
same copies; a kind that cannot change a text makes none). The table counts the copies the phrase layer no longer calls an
emergency, with the code and phrases of `--base` (default HEAD, extracted with `git archive`, run
in a subprocess) and with the working copy. The benign texts are mistyped the same way, and a
second table counts their copies flagged as a risk: a tolerance that forgives more slips can also
read a mistyped ordinary word as a risk word. Then every labelled text, benign ones included, is read
by both, and each whose verdict changes is listed as `phrase_impact` lists it. Only the phrase
layer is read (no model), so it runs in under a minute. The blind sets are never read.

    .venv/bin/python -m bot.evaluation.typing_noise [--base REV] [--seed N] [--show-lost]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bot.config import get_settings
from bot.risk import phrases as phrase_list
from bot.risk.categories import Category
from bot.risk.normalise import TEXT_SPEAK
from bot.training.phrase_check import PHRASES
from bot.training.phrase_impact import NONE, Change, labelled_texts, report, verdict

EMERGENCY = Category.EMERGENCY.value
_WORD = re.compile(r"[A-Za-z]+")
_SPACE_IN_TEXT = re.compile(r"(?<=[A-Za-z]) (?=[A-Za-z])")
_ING = re.compile(r"(?<=[A-Za-z]{2})ing\b", re.IGNORECASE)
_NOT_PLAIN = re.compile(r"[^a-z0-9 ]+")
# What the copies' verdicts are read with in the `--base` version: only the API every version has.
_BASE_VERDICTS = """
import json, sys
from pathlib import Path
from bot.risk import phrases
from bot.risk.matcher import best_match
listed = phrases.load(Path(sys.argv[1]))
for line in sys.stdin:
    match, _context = best_match(json.loads(line), listed)
    print(match.category.value if match else "none")
"""


def _pick_word(text: str, rng: random.Random, fits: Callable[[str], bool]) -> Optional[re.Match]:
    found = [m for m in _WORD.finditer(text) if fits(m.group())]
    return rng.choice(found) if found else None


def _retyped(text: str, found: Optional[re.Match], word: str) -> str:
    return text if found is None else text[:found.start()] + word + text[found.end():]


def _swapped(word: str, rng: random.Random) -> str:
    """Two neighbouring letters that differ, swapped ("bule"); the word itself if none differ."""
    at = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
    if not at:
        return word
    i = rng.choice(at)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _dropped(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[:i] + word[i + 1:]


def _doubled(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[:i + 1] + word[i:]


def _slipped_word(text: str, rng: random.Random, fits: Callable[[str], bool],
                  slip: Callable[[str, random.Random], str]) -> str:
    found = _pick_word(text, rng, fits)
    return _retyped(text, found, slip(found.group(), rng) if found else "")


def swap_neighbours(text: str, rng: random.Random) -> str:
    return _slipped_word(text, rng, lambda w: any(a != b for a, b in zip(w, w[1:])), _swapped)


def drop_letter(text: str, rng: random.Random) -> str:
    return _slipped_word(text, rng, lambda w: len(w) > 1, _dropped)


def double_letter(text: str, rng: random.Random) -> str:
    return _slipped_word(text, rng, lambda w: True, _doubled)


TWO_SLIPS_IN = 6  # letters a word needs to be given two slips: a shorter one is barely left


def _twice_slipped(word: str, rng: random.Random) -> str:
    for _ in range(2):
        word = rng.choice((_swapped, _dropped, _doubled))(word, rng)
    return word


def two_slips_in_a_word(text: str, rng: random.Random) -> str:
    """Two slips, each a swap, a dropped or a doubled letter, in one word of TWO_SLIPS_IN letters or
    more ("reething", "brethign"): hurried thumbs do not stop at one."""
    return _slipped_word(text, rng, lambda w: len(w) >= TWO_SLIPS_IN, _twice_slipped)


def lose_space(text: str, rng: random.Random) -> str:
    spaces = list(_SPACE_IN_TEXT.finditer(text))
    if not spaces:
        return text
    space = rng.choice(spaces)
    return text[:space.start()] + text[space.end():]


def ing_as_in(text: str, rng: random.Random) -> str:
    endings = list(_ING.finditer(text))
    if not endings:
        return text
    ending = rng.choice(endings)
    return text[:ending.start()] + "in" + text[ending.end():]


def _text_speak_for() -> List[Tuple[re.Pattern, str]]:
    """(written out, typed) for every text-speak form: "because" -> "cos", "he is" -> "hes"."""
    return [(re.compile(r"\b" + re.escape(out).replace(r"\ ", r"\s+") + r"\b", re.IGNORECASE), typed)
            for typed, out in sorted(TEXT_SPEAK.items()) if typed.isalpha()]


_TEXT_SPEAK_FOR = _text_speak_for()


def text_speak(text: str, rng: random.Random) -> str:
    found = [(m, typed) for pattern, typed in _TEXT_SPEAK_FOR for m in pattern.finditer(text)]
    if not found:
        return text
    match, typed = rng.choice(found)
    return text[:match.start()] + typed + text[match.end():]


def plain(text: str, rng: random.Random) -> str:
    """Punctuation and capitals gone (apostrophes too: "dont", "hes")."""
    return " ".join(_NOT_PLAIN.sub(" ", text.lower().replace("'", "").replace("’", "")).split())


SLIPS: Dict[str, Callable[[str, random.Random], str]] = {
    "two letters swapped": swap_neighbours,
    "a letter dropped": drop_letter,
    "a letter doubled": double_letter,
    "two slips in one word": two_slips_in_a_word,
    "a space lost": lose_space,
    '"-ing" typed "-in"': ing_as_in,
    "text-speak": text_speak,
    "no punctuation or capitals": plain,
}


def mistyped(text: str, kind: str, seed: int) -> str:
    """`text` with one slip of `kind`, the same on every run for the same seed."""
    return SLIPS[kind](text, random.Random(f"{seed}:{kind}:{text}"))


def base_verdicts(base: str, texts: Sequence[str], root: Path) -> List[str]:
    """The phrase layer's verdict on each text with the code and phrase list committed at `base`."""
    archive = subprocess.run(["git", "archive", base, "bot", PHRASES.parent.as_posix()], cwd=root,
                             capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory() as tree:
        with tarfile.open(fileobj=BytesIO(archive)) as files:
            files.extractall(tree)
        run = subprocess.run([sys.executable, "-c", _BASE_VERDICTS, str(Path(tree) / PHRASES)],
                             input="".join(json.dumps(t) + "\n" for t in texts), capture_output=True,
                             text=True, check=True, cwd=tree, env={**os.environ, "PYTHONPATH": tree})
    verdicts = run.stdout.splitlines()
    assert len(verdicts) == len(texts), run.stderr
    return verdicts


Pairs = Dict[str, List[Tuple[str, str]]]  # per kind of slip, (original, copy) for each text it changed


def copies_of(originals: Sequence[str], seed: int) -> Pairs:
    pairs = {kind: [(o, mistyped(o, kind, seed)) for o in originals] for kind in SLIPS}
    return {kind: [(o, c) for o, c in found if c != o] for kind, found in pairs.items()}


def missed(verdict_of_copy: str) -> bool:
    return verdict_of_copy != EMERGENCY


def flagged(verdict_of_copy: str) -> bool:
    return verdict_of_copy != NONE


def table(copies: Pairs, before: Dict[str, str], after: Dict[str, str], counts: Callable[[str], bool],
          heading: str) -> str:
    lines = [f"| slip | copies | {heading} before | {heading} after |", "|---|---:|---:|---:|"]
    for kind, pairs in copies.items():
        counted = [sum(1 for _, c in pairs if counts(verdicts[c])) for verdicts in (before, after)]
        lines.append(f"| {kind} | {len(pairs):,} | {counted[0]} | {counted[1]} |")
    return "\n".join(lines)


def listed(copies: Pairs, after: Dict[str, str], counts: Callable[[str], bool], heading: str) -> str:
    lines = [f"{heading} (original -> copy):"]
    lines += [f"  [{kind}] {original!r} -> {typed!r}" for kind, pairs in copies.items()
              for original, typed in pairs if counts(after[typed])]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluation.typing_noise", description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the git revision to compare with (default HEAD)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show-lost", action="store_true",
                        help="list the copies the working copy misses, and the benign copies it flags")
    args = parser.parse_args(argv)
    settings = get_settings()
    root = settings.project_root
    texts = labelled_texts(root, settings.nlu_data_dir)
    current = phrase_list.load(root / PHRASES)
    originals = sorted({t.text for t in texts})
    emergencies = copies_of(sorted({t.text for t in texts if t.expected == EMERGENCY}), args.seed)
    benign = copies_of(sorted({t.text for t in texts if t.expected == NONE}), args.seed)
    asked = sorted(set(originals) | {c for pairs in (emergencies, benign) for found in pairs.values() for _, c in found})
    before = dict(zip(asked, base_verdicts(args.base, asked, root)))
    after = {t: verdict(t, current) for t in asked}
    caught = {t for t in originals if before[t] == EMERGENCY and after[t] == EMERGENCY}
    clear = {t for t in originals if before[t] == NONE and after[t] == NONE}
    emergencies = {kind: [(o, c) for o, c in found if o in caught] for kind, found in emergencies.items()}
    benign = {kind: [(o, c) for o, c in found if o in clear] for kind, found in benign.items()}
    print(f"{len({o for found in emergencies.values() for o, _ in found})} distinct labelled emergencies "
          f"caught as written by both {args.base} and the working copy; one copy per slip (seed {args.seed}):\n")
    print(table(emergencies, before, after, missed, "lost"))
    print("\nBenign labelled texts flagged as written by neither; one copy per slip:\n")
    print(table(benign, before, after, flagged, "flagged"))
    if args.show_lost:
        print("\n" + listed(emergencies, after, missed, "copies the working copy still misses"))
        print("\n" + listed(benign, after, flagged, "benign copies the working copy flags"))
    changes = [Change(t, before[t.text], after[t.text]) for t in texts if before[t.text] != after[t.text]]
    print(f"\nVerdicts on all labelled texts, {args.base} against the working copy:")
    print(report(changes, len(texts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
