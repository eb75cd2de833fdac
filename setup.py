"""The build's one addition to pyproject.toml: the bundled course travels in the wheel.

`assignments/`, `solutions/`, `templates/`, `course.toml` and `scaffolds/` (what `init` and
`new` add) of this repository are copied, at build time, beside the package as
`optim_autograder_course/` (see `autograder.course.BUNDLED`), so that an installed autograder
runs `demo` and writes a new course with `init` without the checkout. Beside the package, not inside it: the sandbox shows student code the package's
folder, and the solutions must never be in it. An editable install needs no copy: the
package finds the checkout itself.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLE = "optim_autograder_course"  # the name autograder.course.BUNDLED looks for
COURSE = ("assignments", "solutions", "templates", "course.toml", "scaffolds")


class BuildWithCourse(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / BUNDLE
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in COURSE:
            source = HERE / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithCourse})
