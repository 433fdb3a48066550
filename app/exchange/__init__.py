"""Importers and exporters: metadata sheets, CSV, JSON, ZIP packages, IIIF, research sets.

Exports: pick items with ``select_all`` / ``select_collection`` / ``select_items`` /
``select_search`` (app.exchange.common), then ``run_export`` (app.exchange.export).
Packages in: ``import_packages`` (app.exchange.package_import).
"""
