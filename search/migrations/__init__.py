"""The SQLite store's schema: ``NNNN_name.sql`` files, applied in order.

``search._sqlite_migrate`` applies them.

A package, so that the SQL files ship in wheels as package data. Never edit an
applied file: add the next number.
"""
