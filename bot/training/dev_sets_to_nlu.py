"""Turn risk development sets 1-7 into NLU training examples (data/nlu/zz_risk_from_dev_sets.yml).

Not in use: the file it wrote was tried on 2026-11-26 and removed again, because its benign
messages labelled out_of_scope cost ordinary questions their answers (README, Quality gates).

Sets 1-7 (tests/evaluation/risk_dev/) have been tuned on so often that their scores no longer say
how the detector does on new wording; their ~1,400 labelled disclosures and ~600 benign messages
teach the classifier more than they measure. A disclosure becomes an example of its category's
risk intent. A benign message needs an ordinary intent, which the sets do not give, so it takes the
best non-risk intent a model trained without this file ranks it under (`--benign model`), or
`out_of_scope` (`--benign out_of_scope`), or is left out (`--benign skip`).

A text is left out when the rest of data/nlu already holds it (it would be a duplicate or a
conflict), when a held-out set holds it (tests/evaluation/nlu/, the blind risk test set and every
other risk_dev set, so they keep measuring), when the training sets give it two labels, or when it has square
brackets (Rasa would read them as an entity annotation). The output is rewritten whole on each run.
"""
from __future__ import annotations

import argparse
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml

from bot.config import PROJECT_ROOT
from bot.risk.categories import RISK_CATEGORIES, Category, category_of_intent, intent_for

DEV_DIR = Path("tests/evaluation/risk_dev")
TRAINING_SETS = ("risk_dev_set.yml",) + tuple(f"risk_dev_set_{n}.yml" for n in range(2, 8))
NLU_DIR = Path("data/nlu")
# Sorted after every hand-written file: a trainer's label goes into the first file holding its intent
# (bot/training/labelling.py), and a label written here would be lost when this file is regenerated.
OUTPUT = NLU_DIR / "zz_risk_from_dev_sets.yml"
HELD_OUT_NLU = Path("tests/evaluation/nlu")
# The blind risk test set: its texts are compared here, never shown. Writers of sets 1-7 and of the
# blind set sometimes wrote the same short message ("he hit me"); training on it would flatter the gate.
BLIND_SET = Path("tests/evaluation/risk/risk_test_set.yml")
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
BENIGN_MODES = ("model", "out_of_scope", "skip")

Labeller = Callable[[Sequence[str]], List[str]]


@dataclass(frozen=True)
class Selection:
    """The examples to write, by intent, and how many texts were left out and why."""

    examples: Dict[str, List[str]]
    skipped: Dict[str, int]


def normalise(text: str) -> str:
    """As tests/unit/test_training_data.py compares texts: letters and digits only."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def load_labelled(path: Path) -> List[Tuple[str, str]]:
    """(text, category) pairs of a risk set; benign is "none", whether listed under the top-level
    `benign:` key or as a `none:` category."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = [(one_line(t), c) for c, texts in (document.get("categories") or {}).items() for t in texts or []]
    return pairs + [(one_line(t), Category.NONE.value) for t in document.get("benign") or []]


def nlu_texts(paths: Iterable[Path]) -> Set[str]:
    """Normalised example texts of Rasa NLU files (a plain reading: `- text` lines of `examples`)."""
    seen: Set[str] = set()
    for path in paths:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or []:
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    seen.add(normalise(line.strip()[2:]))
    return seen


def nlu_intents(path: Path) -> List[str]:
    """The intents a Rasa NLU file gives examples of, in order."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [block["intent"] for block in document.get("nlu") or [] if "intent" in block]


def best_ordinary_intent(ranking: Sequence[Dict], min_confidence: float = 0.0) -> str:
    """The classifier's highest non-risk intent, or out_of_scope if its ranking holds none with at
    least `min_confidence` (an unsure pseudo-label would teach an FAQ intent the wrong words)."""
    for entry in ranking:
        name = entry.get("name")
        if name and name != FALLBACK and category_of_intent(name) is None:
            return name if entry.get("confidence", 0.0) >= min_confidence else OUT_OF_SCOPE
    return OUT_OF_SCOPE


def model_labeller(model_path: Path, min_confidence: float = 0.0) -> Labeller:
    """Labels texts with a trained model's best ordinary intent, parsed as the running bot parses."""
    def label(texts: Sequence[str]) -> List[str]:
        from bot.evaluation.parsing import parse_all

        return [best_ordinary_intent(p.get("intent_ranking") or [], min_confidence)
                for p in parse_all(model_path, texts)]
    return label


def select(pairs: Sequence[Tuple[str, str]], excluded: Set[str],
           benign_labeller: Optional[Labeller]) -> Selection:
    """Each usable text once, under its risk intent or (benign) the labeller's intent."""
    skipped = {"in data or a held-out set": 0, "two labels in the sets": 0, "square brackets": 0,
               "repeated": 0}
    labels: Dict[str, Set[str]] = {}
    for text, category in pairs:
        labels.setdefault(normalise(text), set()).add(category)
    chosen: List[Tuple[str, str]] = []
    seen: Set[str] = set()
    for text, category in pairs:
        key = normalise(text)
        reason = ("in data or a held-out set" if key in excluded or not key else
                  "two labels in the sets" if len(labels[key]) > 1 else
                  "square brackets" if "[" in text or "]" in text else
                  "repeated" if key in seen else None)
        if reason:
            skipped[reason] += 1
            continue
        seen.add(key)
        chosen.append((text, category))
    risky = [(t, intent_for(Category(c))) for t, c in chosen if c != Category.NONE.value]
    benign = [t for t, c in chosen if c == Category.NONE.value]
    if benign_labeller is None:
        skipped["benign, not labelled"] = len(benign)
        benign_pairs: List[Tuple[str, str]] = []
    else:
        benign_pairs = list(zip(benign, benign_labeller(benign)))
    examples: Dict[str, List[str]] = {}
    for text, intent in risky + benign_pairs:
        examples.setdefault(intent, []).append(text)
    return Selection(examples, skipped)


def intent_order(intents: Iterable[str]) -> List[str]:
    """Risk intents in the categories' order, then the ordinary ones alphabetically."""
    risk = [intent_for(c) for c in RISK_CATEGORIES]
    return [i for i in risk if i in intents] + sorted(i for i in intents if i not in risk)


def render(selection: Selection, header: str) -> str:
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ['version: "3.1"', "nlu:"]
    for intent in intent_order(selection.examples):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in selection.examples[intent]]
    return "\n".join(lines) + "\n"


def header_text(sets: Sequence[str], benign: str, model: Optional[Path], min_confidence: float,
                selection: Selection) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in selection.skipped.items())
    model_name = model.name if model else None
    source = {"model": f"the best non-risk intent of the model {model_name} (trained without this "
                       f"file) if it has at least {min_confidence} confidence, else out_of_scope",
              "out_of_scope": "out_of_scope", "skip": "left out"}[benign]
    rerun = f"python -m bot.training.dev_sets_to_nlu --benign {benign}" + (
        f" --min-confidence {min_confidence} --model MODEL.tar.gz, MODEL trained with this file moved "
        f"out of data/" if benign == "model" else "")
    text = (f"GENERATED by `python -m bot.training.dev_sets_to_nlu`: do not edit by hand, rerun it. "
            f"The risk development sets {', '.join(sets)} in tests/evaluation/risk_dev/ are now "
            f"TRAINING data: their disclosures are examples of their category's risk intent, their "
            f"benign messages examples of {source}. Their scores no longer measure anything; sets 8 "
            f"and up do, and none of their texts is here. Left out: {counts}. Rerun: {rerun}.")
    return textwrap.fill(text, width=98)


def excluded_texts(root: Path, output: Path, training_sets: Sequence[str]) -> Set[str]:
    """Texts no generated example may repeat: the rest of data/nlu, and every held-out set (the
    blind risk test set included)."""
    data_files = [p for p in sorted((root / NLU_DIR).glob("*.yml")) if p.resolve() != output.resolve()]
    held_out_dev = [p for p in sorted((root / DEV_DIR).glob("*.yml")) if p.name not in training_sets]
    if (root / BLIND_SET).exists():
        held_out_dev.append(root / BLIND_SET)
    held_out = {normalise(t) for p in held_out_dev for t, _ in load_labelled(p)}
    return nlu_texts(data_files) | nlu_texts(sorted((root / HELD_OUT_NLU).glob("*.yml"))) | held_out


def generate(root: Path, output: Path, benign: str, model: Optional[Path], min_confidence: float = 0.0,
             training_sets: Sequence[str] = TRAINING_SETS, labeller: Optional[Labeller] = None) -> Selection:
    """Write `output` from the training sets; returns what was written and left out."""
    pairs = [pair for name in training_sets for pair in load_labelled(root / DEV_DIR / name)]
    if benign == "model":
        labeller = labeller or model_labeller(model, min_confidence)
    elif benign == OUT_OF_SCOPE:
        labeller = lambda texts: [OUT_OF_SCOPE] * len(texts)  # noqa: E731
    else:
        labeller = None
    selection = select(pairs, excluded_texts(root, output, training_sets), labeller)
    header = header_text(training_sets, benign, model, min_confidence, selection)
    output.write_text(render(selection, header), encoding="utf-8")
    return selection


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.training.dev_sets_to_nlu",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--benign", choices=BENIGN_MODES, default="model",
                        help="how benign messages are labelled (default: model)")
    parser.add_argument("--model", type=Path,
                        help="a model trained without the output file (for --benign model)")
    parser.add_argument("--min-confidence", type=float, default=0.0,
                        help="with --benign model: below this confidence a benign message is out_of_scope")
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / OUTPUT)
    args = parser.parse_args(argv)
    if args.benign == "model" and not args.model:
        parser.error("--benign model needs --model")
    selection = generate(PROJECT_ROOT, args.output, args.benign, args.model, args.min_confidence)
    written = sum(len(v) for v in selection.examples.values())
    print(f"wrote {written} examples to {args.output}; left out: {selection.skipped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
