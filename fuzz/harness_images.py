"""Image decoding: mutated JPEG/PNG/WebP/GIF/BMP bytes, as bytes, base64 and data URIs, through
``faceedge.images.load_image`` (what every public call decodes with)."""
from __future__ import annotations

import base64

from faceedge.images import load_image

from .context import encoded_seeds
from .mutate import mutate_bytes, rng_for

NAME = "images"


class Harness:
    def __init__(self) -> None:
        self.seeds = encoded_seeds()

    def run_one(self, seed: int, index: int) -> str:
        rng = rng_for(seed, index)
        data = mutate_bytes(rng, rng.choice(self.seeds), self.seeds)
        form = rng.randrange(4)
        if form == 0:
            image = load_image(data)
        elif form == 1:
            image = load_image(base64.b64encode(data).decode(), "BASE64")
        elif form == 2:
            image = load_image("data:image/jpeg;base64," + base64.b64encode(data).decode())
        else:
            image = load_image(bytearray(data))
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype.name == "uint8", \
            image.shape
        return "decoded"
