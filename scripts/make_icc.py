"""Regenerate src/klageformular/assets/sRGB.icc: the letters' PDF/A output-intent profile.

Usage: python scripts/make_icc.py
LittleCMS (through Pillow) builds the sRGB IEC 61966-2.1 profile, so the package carries no
third-party profile file. Two header fields are fixed so the bytes never change: the creation
date (which LittleCMS sets to now) and the version, pinned to 4.2 — the ICC.1:2004-10 edition
that ISO 32000-1, and so PDF/A-2, refers to — instead of the library's newest.
"""

from __future__ import annotations

import struct
from pathlib import Path

from PIL import ImageCms

TARGET = Path(__file__).resolve().parent.parent / "src" / "klageformular" / "assets" / "sRGB.icc"
_VERSION = bytes([4, 0x20, 0, 0])
_CREATED = struct.pack(">6H", 2026, 11, 24, 0, 0, 0)


def make_icc() -> bytes:
    """The profile's bytes, identical on every run."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    assert data[36:40] == b"acsp" and data[16:20] == b"RGB ", "not an RGB ICC profile"
    data[8:12] = _VERSION
    data[24:36] = _CREATED
    data[84:100] = bytes(16)  # profile ID: 'not computed' (the header changed above)
    return bytes(data)


if __name__ == "__main__":
    TARGET.write_bytes(make_icc())
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")
