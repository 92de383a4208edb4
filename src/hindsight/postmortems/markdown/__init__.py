"""Markdown in and out: the exporter's layout (export.py), the heading-meaning table
(headings.py), the front-matter block (frontmatter.py) and the importer (importer.py)."""
