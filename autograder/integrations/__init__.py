"""The engine's grades in other tools: a Gradescope autograder bundle and what runs inside it
(`gradescope`), nbgrader's source notebook and gradebook (`nbgrader`), grade tables for an
LMS (`exports`). Front ends over the engine, which never imports them.
"""
