"""Imported by the grading pool's forkserver alone (as its preload), and so present in every grading
process it forks: the forkserver dies with the server that started it (a kill -9 included), and
its pid stays here for a grading process to check that its own parent, the forkserver, is still
there once it has asked to die with it (`executors.die_with_parent`).
"""

import os
import sys

from .executors import set_death_signal

if sys.platform.startswith("linux"):
    set_death_signal()
FORKSERVER = os.getpid()
