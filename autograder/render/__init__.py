"""What people read of a grade: report.json, report.html and summary.html (`reports`), the
figures drawn as inline SVG (`plots`, written by `svg`), and the page templates (`templates/`).

Imported only where a page is rendered: nothing here is part of the grader version.
"""
