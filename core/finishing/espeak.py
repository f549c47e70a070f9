"""eSpeak NG, offline: speak a line of text into 16-bit samples through the library the
``espeakng-loader`` wheel ships (``libespeak-ng`` and its ``espeak-ng-data``), called with ctypes.

No account, no network, no model download. The library keeps global state, so every call holds one
lock; it is initialised once per process in synchronous mode (samples come back through a callback).
"""

from __future__ import annotations

import ctypes
import functools
import threading

from ..errors import ShotreelError

ENGINE = "espeak-ng"
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH = 1, 2, 3
_POS_CHARACTER = 1
_LOCK = threading.Lock()


class VoiceError(ShotreelError):
    """A scratch voice cannot be made (eSpeak NG missing, or a voice it does not have)."""


class _VoiceSpec(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Engine:
    def __init__(self) -> None:
        try:
            import espeakng_loader
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data = espeakng_loader.get_data_path().encode()
        except (ImportError, OSError, RuntimeError) as exc:
            raise VoiceError(f"eSpeak NG is not available ({exc}); install it with "
                             "`pip install espeakng-loader`") from None
        lib = self.lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_VoiceSpec)]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        self.rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if self.rate <= 0:
            raise VoiceError("eSpeak NG could not start (its data folder is missing or damaged)")
        self.chunks: list[bytes] = []

        def collect(wav, count, events):  # a ctypes callback
            if count > 0 and wav:
                self.chunks.append(ctypes.string_at(wav, count * 2))
            return 0

        self.callback = _CALLBACK(collect)  # kept alive as long as the engine
        lib.espeak_SetSynthCallback(self.callback)
        version = ctypes.c_char_p()
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        self.version = (lib.espeak_Info(ctypes.byref(version)) or b"").decode(errors="replace")


@functools.cache
def _engine() -> _Engine:
    return _Engine()


def version() -> str:
    """eSpeak NG's version (``1.52.0``), part of every voice's hash."""
    return _engine().version


def _by_language(lib: ctypes.CDLL, voice: str) -> bool:
    """A voice named by its language (``en-gb``, ``pt-br``) when no voice file has that name; the
    variant's gender (``+f3``, ``+m1``) is kept."""
    language, _, variant = voice.partition("+")
    gender = {"f": 2, "m": 1}.get(variant[:1].lower(), 0)
    spec = _VoiceSpec(languages=language.lower().encode(), gender=gender)
    return lib.espeak_SetVoiceByProperties(ctypes.byref(spec)) == 0


def speak(text: str, voice: str, pitch: int, rate: int, volume: int = 100) -> tuple[bytes, int]:
    """``text`` spoken by eSpeak NG ``voice`` (``en-us``, ``en-gb+f3`` …) at ``pitch`` (0–100), ``rate``
    (words a minute) and ``volume`` (0–200, 100 normal): mono signed 16-bit little-endian samples and
    their sample rate (22,050 Hz). Raises :class:`VoiceError` for a voice eSpeak NG does not have."""
    engine = _engine()
    lib = engine.lib
    data = text.encode("utf-8") + b"\0"
    with _LOCK:
        if lib.espeak_SetVoiceByName(voice.encode()) != 0 and not _by_language(lib, voice):
            raise VoiceError(f"eSpeak NG has no voice {voice!r} (try en-us, en-gb, fr, de, es …, "
                             "with a variant such as +f3 or +m3)")
        lib.espeak_SetParameter(_RATE, int(rate), 0)
        lib.espeak_SetParameter(_PITCH, int(pitch), 0)
        lib.espeak_SetParameter(_VOLUME, int(volume), 0)
        engine.chunks = []
        status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
        chunks, engine.chunks = engine.chunks, []
    if status != 0:
        raise VoiceError(f"eSpeak NG could not speak the line (status {status})")
    return b"".join(chunks), engine.rate
