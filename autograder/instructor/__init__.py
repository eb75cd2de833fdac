"""The instructor's tools: vetting a class's variants, measuring the checks with mutants,
previewing a student's notebook and scaffolding a new assignment.

A front end over the engine, like the command line: it generates and grades through the
engine's own functions and reads what an assignment declares for it (``measures.py``,
``mistakes/``, ``mutants.py``); the engine never imports it.
"""
