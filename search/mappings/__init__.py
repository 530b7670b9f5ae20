"""The Elasticsearch store's index templates and mappings, as JSON files.

``search._es_schema`` reads them with ``importlib.resources``. A package, so that the
JSON files ship in wheels as package data (like ``search.migrations``). Every
mapping is ``dynamic: strict``: a field the code does not know is a bug, and
is rejected at write time rather than guessed into the mapping.
"""
