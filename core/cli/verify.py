"""Read a film's content credential (C2PA) back and say what it claims: signer, ingredients, disclosure."""

from __future__ import annotations

import argparse

from ..finishing.credentials import read_credential

NAME = "verify"
HELP = "read the content credential (C2PA) of an exported film: signer, takes, disclosure, validation"
ORDER = 72


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="an exported MP4 or MOV")


def run(args: argparse.Namespace) -> int:
    credential = read_credential(args.file)
    print(f"content credential of {credential.path}")
    print(f"  title      : {credential.title}")
    signer = credential.signer + (f" (issued by {credential.issuer})" if credential.issuer else "")
    print(f"  signed by  : {signer}" + ("  — TEST CERTIFICATE: proves nothing about who made this file"
                                         if credential.test else ""))
    print(f"  made with  : {credential.generator}; created as {credential.created.rsplit('/', 1)[-1]}"
          + ("" if credential.disclosure.get("ai_generated", True) else " (no AI-generated media)"))
    takes = [i for i in credential.ingredients if not i["title"].startswith("voices/")]
    voices = len(credential.ingredients) - len(takes)
    print(f"  ingredients: {len(takes)} take(s)" + (f", {voices} voice(s)" if voices else ""))
    for ingredient in credential.ingredients:
        print(f"    {ingredient['title']:<20} {ingredient['model']} ({ingredient['provider']}), "
              f"{ingredient['digital_source_type'].rsplit('/', 1)[-1]}")
    statement = credential.disclosure.get("statement")
    print(f"  disclosure : {statement or 'none'}")
    sources = credential.disclosure.get("sources")
    if sources is None:  # written before the disclosure named its sources
        sources = [{"label": f"AI-generated {kind}", "shots": shots, "digital_source_type": ""}
                   for kind, shots in (credential.disclosure.get("shots") or {}).items()]
    for source in sources:
        kind = source.get("digital_source_type", "").rsplit("/", 1)[-1]
        print(f"    {source.get('label', '')}: {', '.join(source.get('shots', []))}" + (f" ({kind})" if kind else ""))
    print(f"  validation : {credential.status}")
    return 0 if credential.state.lower() in ("valid", "trusted") else 1
