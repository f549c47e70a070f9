"""Generate a feature-length Fountain screenplay (about 120 pages, 6,000+ lines) for speed tests.

Deterministic (seeded), and it uses every element a writer uses: acts, sequences and beats with
synopses, numbered headings, action, characters with extensions, parentheticals, dual dialogue,
notes (shot, continuity, free), boneyard, lyrics, transitions, centred text and page breaks.
"""

from __future__ import annotations

import random

CHARACTERS = ("MARA", "JONAH", "ÉLODIE", "DR. OKAFOR", "RUIZ", "THE CAPTAIN", "KIT", "SAMIRA")
PLACES = ("VESNA - CORRIDOR", "VESNA - HYDROPONICS BAY", "VESNA - COMMAND DECK", "LIGHTHOUSE - LAMP ROOM",
          "HARBOUR MARKET", "OLD QUARRY", "RUIZ'S APARTMENT", "TRAIN STATION - PLATFORM 4", "FIELD HOSPITAL",
          "ROOFTOP GARDEN")
TIMES = ("DAY", "NIGHT", "DAWN", "LATER", "CONTINUOUS")
WORDS = ("light", "door", "rain", "glass", "wind", "silence", "engine", "shadow", "window", "signal", "hand",
         "map", "lamp", "water", "stairs", "radio", "engine", "garden", "key", "letter", "coat", "smoke")
VERBS = ("crosses", "stops at", "looks toward", "reaches for", "turns from", "waits by", "studies", "pushes open",
         "listens to", "circles")


def _sentence(rng: random.Random, who: str) -> str:
    return (f"{who.title()} {rng.choice(VERBS)} the {rng.choice(WORDS)}, and the {rng.choice(WORDS)} "
            f"{rng.choice(('answers', 'flickers', 'holds', 'gives way', 'goes quiet'))}.")


def _line(rng: random.Random) -> str:
    n = rng.randint(4, 18)
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + rng.choice((".", "?", "!", "..."))


def feature_script(scenes: int = 115, seed: int = 7) -> str:
    """A Fountain feature of ``scenes`` scenes; about 55 lines a scene, so 115 scenes ≈ 120 pages."""
    rng = random.Random(seed)
    out = ["Title: THE LONG SIGNAL", "Credit: written by", "Author: Test Writer", "Draft date: 1 May 2026", ""]
    act = 0
    for number in range(1, scenes + 1):
        if number % 40 == 1:
            act += 1
            out += [f"# ACT {act}", ""]
        if number % 10 == 1:
            out += [f"## Sequence {number // 10 + 1}", ""]
        if number % 3 == 1:
            out += [f"### Beat {number}", "", f"= {_line(rng)}", ""]
        out += [f"INT. {rng.choice(PLACES)} - {rng.choice(TIMES)} #{number}#", ""]
        cast = rng.sample(CHARACTERS, 3)
        for paragraph in range(rng.randint(5, 7)):
            if paragraph == 2:
                out += ["[[shot: CU on the " + rng.choice(WORDS) + "]]", ""]
            rows = [_sentence(rng, rng.choice(cast)) for _ in range(rng.randint(1, 2))]
            if paragraph == 1:
                rows[0] += " [[cont: " + _line(rng) + "]]"
            out += rows + [""]
            for _ in range(rng.randint(1, 2)):
                who = rng.choice(cast)
                extension = rng.choice(("", "", "", " (V.O.)", " (O.S.)", " (CONT'D)"))
                out.append(who + extension)
                if rng.random() < 0.3:
                    out.append(f"({rng.choice(('quietly', 'beat', 'to herself', 'laughing'))})")
                out += [_line(rng) for _ in range(rng.randint(1, 2))]
                out.append("")
            if paragraph == 4 and number % 5 == 0:
                a, b = cast[:2]
                out += [a, _line(rng), "", f"{b} ^", _line(rng), ""]
            if paragraph == 5 and number % 7 == 0:
                out += ["/* an older version of this moment:", _line(rng), "*/", ""]
            if paragraph == 6 and number % 11 == 0:
                out += [f"~{_line(rng)}", f"~{_line(rng)}", ""]
        out += [rng.choice(("CUT TO:", "DISSOLVE TO:", "SMASH CUT TO:")), ""]
        if number % 9 == 0:
            out += ["===", ""]
    out += ["> THE END <", ""]
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    text = feature_script()
    print(f"{text.count(chr(10))} lines")
