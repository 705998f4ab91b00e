"""Settings for benchmarks: the real app plus the bare one-INSERT reference endpoint."""

from motcua.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
