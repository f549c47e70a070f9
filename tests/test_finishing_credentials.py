"""C2PA content credentials: the film signed as a creation of its takes, read back by shotreel verify."""

from __future__ import annotations

import subprocess

import pytest
from shotreel.cli import main
from shotreel.finishing.credentials import (
    TRAINED,
    CredentialError,
    embed_credential,
    load_signing,
    make_test_signing,
    read_credential,
)
from shotreel.finishing.disclosure import disclose
from shotreel.finishing.provenance import generation_used
from shotreel.media import ffmpeg_exe
from shotreel.project import load_project

from ._finishing_support import small_film


def _movie(path):
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=s=160x90:r=24:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", str(path)], check=True)
    return path


def _write_pair(folder, signing):
    cert, key = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(signing.chain)
    key.write_bytes(signing.key)
    return cert, key


def test_a_film_signed_with_the_test_certificate_reads_back_with_its_takes_and_disclosure(tmp_path, capsys):
    film = load_project(small_film(tmp_path / "film"))
    generation = generation_used(film)
    signed = tmp_path / "signed.mp4"
    embed_credential(_movie(tmp_path / "plain.mp4"), signed, film.title, generation,
                     disclose(film, generation), make_test_signing())
    credential = read_credential(signed)
    assert credential.title == "Small Hours" and credential.test
    assert "TEST CERTIFICATE" in credential.signer
    assert credential.created.endswith("compositeWithTrainedAlgorithmicMedia")
    assert [(i["title"], i["model"], i["provider"], i["digital_source_type"]) for i in credential.ingredients] == [
        ("sh010/t001.mp4", "gen4_turbo", "runway", TRAINED), ("sh020/t001.mp4", "kling-v2-1", "kling", TRAINED)]
    assert credential.disclosure["statement"] == "This film contains AI-generated video."
    assert credential.state == "Valid"
    assert credential.problems == ["the signing certificate is not on a trust list (a shotreel TEST certificate)"]

    assert main(["verify", str(signed)]) == 0
    out = capsys.readouterr().out
    assert "TEST CERTIFICATE: proves nothing about who made this file" in out
    assert "sh010/t001.mp4" in out and "gen4_turbo (runway), trainedAlgorithmicMedia" in out
    assert "disclosure : This film contains AI-generated video." in out
    assert "AI-generated video: sh010, sh020" in out


def test_the_users_certificate_and_key_are_used_when_they_belong_together(tmp_path):
    cert, key = _write_pair(tmp_path, make_test_signing())
    signing = load_signing(cert, key)
    assert signing.alg == "es256" and not signing.test  # a file given by the user is not labelled a test


def test_a_certificate_that_does_not_match_its_key_is_one_line_naming_the_file(tmp_path):
    cert, _ = _write_pair(tmp_path, make_test_signing())
    other = tmp_path / "other"
    other.mkdir()
    _, key = _write_pair(other, make_test_signing())
    with pytest.raises(CredentialError) as error:
        load_signing(cert, key)
    assert str(error.value).startswith(f"{cert}: the certificate does not match the key key.pem")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("which, message", [("cert", "is not a PEM certificate"),
                                             ("key", "is not an unencrypted PEM private key")])
def test_a_file_that_is_not_pem_is_named(tmp_path, which, message):
    cert, key = _write_pair(tmp_path, make_test_signing())
    broken = cert if which == "cert" else key
    broken.write_text("hello")
    with pytest.raises(CredentialError, match=message) as error:
        load_signing(cert, key)
    assert str(broken) in str(error.value)


def test_verify_says_when_a_file_has_no_credential(tmp_path, capsys):
    movie = _movie(tmp_path / "plain.mp4")
    assert main(["verify", str(movie)]) == 2
    assert capsys.readouterr().err.strip() == f"shotreel: error: {movie}: has no content credential (C2PA manifest)"
